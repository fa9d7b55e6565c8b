"""The snapshot as delivered: the ``Snapshot`` object, its folder, Markdown and standalone HTML."""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

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
    """

    area: str
    year: str
    peers: str | Sequence[str]
    bullets: list[str]
    findings: pd.DataFrame
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """Heading for the snapshot."""
        return f"Performance snapshot: {self.area}, {self.year}"

    def save(self, folder: str | Path, formats: Sequence[str] = ("png", "svg"), *, dpi: int = 200) -> list[Path]:
        """Write each chart in ``formats``, ``findings.csv``, ``snapshot.md`` and a standalone ``snapshot.html``.

        Returns the paths written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, figure in self.figures.items():
            for fmt in formats:
                path = folder / f"{name}.{fmt}"
                figure.savefig(path, dpi=dpi, format=fmt)
                written.append(path)
        findings = folder / "findings.csv"
        self.findings.to_csv(findings, index=False)
        written.append(findings)
        markdown = folder / "snapshot.md"
        markdown.write_text(self.to_markdown(image_format=formats[0] if formats else "png"), encoding="utf-8")
        page = folder / "snapshot.html"
        page.write_text(self.to_html(dpi=dpi), encoding="utf-8")
        written += [markdown, page]
        logger.info("snapshot written to %s (%d files)", folder, len(written))
        return written

    def to_markdown(self, image_format: str = "png") -> str:
        """The snapshot as Markdown, linking chart files named ``<chart>.<image_format>``."""
        lines = [f"# {self.title}", ""]
        lines += [f"- {bullet}" for bullet in self.bullets]
        lines.append("")
        if self.notes:
            lines += ["**Notes**", ""] + [f"{i}. {note}" for i, note in enumerate(self.notes, start=1)] + [""]
        for name, figure in self.figures.items():
            lines += [f"![{_figure_title(figure, name)}]({name}.{image_format})", ""]
        return "\n".join(lines)

    def to_html(self, *, dpi: int = 150) -> str:
        """The snapshot as one standalone HTML page with the charts embedded as PNG."""
        images = []
        for name, figure in self.figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=dpi)
            encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
            alt = html.escape(_figure_title(figure, name))
            images.append(f'<figure><img src="data:image/png;base64,{encoded}" alt="{alt}"></figure>')
        items = "\n".join(f"<li>{html.escape(b)}</li>" for b in self.bullets)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes = f'<section class="notes"><h2>Notes</h2><ol>{notes}</ol></section>' if notes else ""
        return (
            '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>body{{font-family:Arial,sans-serif;max-width:"
            "50em;margin:2em auto;line-height:1.45}img{max-width:100%}figure{margin:1.5em 0}</style></head>"
            f"<body><h1>{html.escape(self.title)}</h1><ul>{items}</ul>{notes}{''.join(images)}</body></html>\n"
        )


def _figure_title(figure: Figure, default: str) -> str:
    for ax in figure.axes:
        if ax.get_title(loc="left"):
            return " ".join(ax.get_title(loc="left").split())
    return " ".join(figure.get_suptitle().split()) or default
