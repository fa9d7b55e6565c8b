"""The snapshot as delivered: the ``Snapshot`` object, its folder, Markdown, standalone HTML, Word and Excel."""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..exceptions import CrimestatsError
from .provenance import Provenance

if TYPE_CHECKING:  # matplotlib is imported where charts are drawn, not with the package
    from matplotlib.figure import Figure

#: Document formats :meth:`Snapshot.save` writes (``findings.csv`` is always written).
DOCUMENT_FORMATS = ("md", "html", "docx", "xlsx")
#: Chart formats: each chart is written as ``<chart>.<format>``.
CHART_FORMATS = ("png", "svg", "pdf")
#: What ``save`` writes by default: the Markdown and HTML pages and every chart as PNG and SVG.
DEFAULT_FORMATS = ("md", "html", "png", "svg")


class OutputFormatError(CrimestatsError):
    """A format ``Snapshot.save`` cannot write."""


logger = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """A performance snapshot: sentences, the numbers behind them, and charts.

    Attributes
    ----------
    bullets
        Report-ready sentences.
    findings
        One row per number a sentence uses (``finding, selection, base, current, change,
        pct_change, rank, n_areas, p_value, significance, rate, population, sentence``).
    figures
        Charts by name (matplotlib Figures, drawn without pyplot).
    tables
        The metric tables the findings come from.
    notes
        Footnotes: sources and periods used, areas left out and why, crimes not counted.
    provenance
        Date produced, crimestats version, source files and editions, and the method note,
        written into every document.
    """

    area: str
    year: str
    peers: str | Sequence[str]
    bullets: list[str]
    findings: pd.DataFrame
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    provenance: Provenance | None = None

    @property
    def title(self) -> str:
        """Heading for the snapshot."""
        return f"Performance snapshot: {self.area}, {self.year}"

    def save(self, folder: str | Path, formats: Sequence[str] = DEFAULT_FORMATS, *, dpi: int = 200) -> list[Path]:
        """Write the snapshot to ``folder`` in ``formats``; always ``findings.csv``.

        Parameters
        ----------
        folder
            Created if missing.
        formats
            Documents (``md``: ``snapshot.md``; ``html``: standalone ``snapshot.html``; ``docx``:
            ``snapshot.docx``; ``xlsx``: ``findings.xlsx``) and chart formats (``png``, ``svg``,
            ``pdf``: each chart as ``<chart>.<format>``), in any order. Chart formats alone also
            write ``md`` and ``html`` (as before documents were formats).
        dpi
            Resolution of PNG charts and of the charts embedded in HTML and Word.

        Returns
        -------
        list[pathlib.Path]
            The paths written.

        Raises
        ------
        OutputFormatError
            A format not in :data:`DOCUMENT_FORMATS` or :data:`CHART_FORMATS`.

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
        >>> snap = cs.performance_snapshot(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     sorted(p.name for p in snap.save(folder, formats=("docx", "xlsx")))
        ['findings.csv', 'findings.xlsx', 'snapshot.docx']
        """
        wanted = [f.strip().lower().lstrip(".") for f in formats if f.strip()]
        unknown = [f for f in wanted if f not in DOCUMENT_FORMATS + CHART_FORMATS]
        if unknown:
            raise OutputFormatError(
                f"unknown output format {', '.join(map(repr, unknown))}: documents are "
                f"{', '.join(DOCUMENT_FORMATS)}; charts are {', '.join(CHART_FORMATS)}"
            )
        if not any(f in DOCUMENT_FORMATS for f in wanted):
            wanted += ["md", "html"]  # charts only: the pages that show them, as before documents were formats
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        charts = [f for f in wanted if f in CHART_FORMATS]
        for name, figure in self.figures.items():
            for fmt in charts:
                path = folder / f"{name}.{fmt}"
                figure.savefig(path, dpi=dpi, format=fmt)
                written.append(path)
        findings = folder / "findings.csv"
        self.findings.to_csv(findings, index=False)
        written.append(findings)
        if "md" in wanted:
            markdown = folder / "snapshot.md"
            image_format = next((f for f in charts if f != "pdf"), None)
            markdown.write_text(self.to_markdown(image_format=image_format), encoding="utf-8")
            written.append(markdown)
        if "html" in wanted:
            page = folder / "snapshot.html"
            page.write_text(self.to_html(dpi=dpi), encoding="utf-8")
            written.append(page)
        if "docx" in wanted:
            from .office import write_docx

            written.append(write_docx(self, folder / "snapshot.docx", dpi=dpi))
        if "xlsx" in wanted:
            from .office import write_xlsx

            written.append(write_xlsx(self, folder / "findings.xlsx"))
        logger.info("snapshot written to %s (%d files)", folder, len(written))
        return written

    def caveat_lines(self) -> list[str]:
        """The produced line and the source lines, for the end of every document."""
        if self.provenance is None:
            return []
        return [self.provenance.produced_line(), *(f"Source: {line}." for line in self.provenance.source_lines())]

    def to_markdown(self, image_format: str | None = "png") -> str:
        """The snapshot as Markdown, linking chart files named ``<chart>.<image_format>`` (none when None)."""
        lines = [f"# {self.title}", ""]
        lines += [f"- {bullet}" for bullet in self.bullets]
        lines.append("")
        if self.notes:
            lines += ["**Notes**", ""] + [f"{i}. {note}" for i, note in enumerate(self.notes, start=1)] + [""]
        for name, figure in self.figures.items() if image_format else ():
            lines += [f"![{figure_title(figure, name)}]({name}.{image_format})", ""]
        if self.provenance is not None:
            lines += ["**Sources and method**", ""] + [f"- {line}" for line in self.caveat_lines()]
            lines += ["", self.provenance.method, ""]
        return "\n".join(lines)

    def to_html(self, *, dpi: int = 150) -> str:
        """The snapshot as one standalone HTML page with the charts embedded as PNG."""
        images = []
        for name, figure in self.figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=dpi)
            encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
            alt = html.escape(figure_title(figure, name))
            images.append(f'<figure><img src="data:image/png;base64,{encoded}" alt="{alt}"></figure>')
        items = "\n".join(f"<li>{html.escape(b)}</li>" for b in self.bullets)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes = f'<section class="notes"><h2>Notes</h2><ol>{notes}</ol></section>' if notes else ""
        sources = ""
        if self.provenance is not None:
            lines = "".join(f"<li>{html.escape(line)}</li>" for line in self.caveat_lines())
            sources = (
                f'<section class="sources"><h2>Sources and method</h2><ul>{lines}</ul>'
                f"<p>{html.escape(self.provenance.method)}</p></section>"
            )
        return (
            '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>body{{font-family:Arial,sans-serif;max-width:"
            "50em;margin:2em auto;line-height:1.45}img{max-width:100%}figure{margin:1.5em 0}</style></head>"
            f"<body><h1>{html.escape(self.title)}</h1><ul>{items}</ul>{notes}{''.join(images)}{sources}</body></html>\n"
        )


def figure_title(figure: Figure, default: str) -> str:
    """A chart's title in one line (its alt text), or ``default``."""
    for ax in figure.axes:
        if ax.get_title(loc="left"):
            return " ".join(ax.get_title(loc="left").split())
    return " ".join(figure.get_suptitle().split()) or default
