"""The performance snapshot: a year's findings as report-ready sentences, a findings table and charts."""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from . import plotting, sources
from .areas import peer_areas
from .exceptions import PeriodError, PopulationError, SelectionError
from .metrics import compare_years, contributions, monthly_trend, rates
from .periods import FinancialYear, Window, to_window
from .text import capitalise, count, join_words, ordinal, percent, place

logger = logging.getLogger(__name__)

#: How a selection is named in a sentence (the subject when it opens one).
SENTENCE_LABELS = {
    "total recorded crime": "total recorded crime",
    "knife or sharp instrument offences": "offences involving a knife or sharp instrument",
    "victim-based crime": "victim-based crime",
    "vehicle offences": "vehicle offences",
}


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
    """

    area: str
    year: str
    peers: str | Sequence[str]
    bullets: list[str]
    findings: pd.DataFrame
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

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
        for name, figure in self.figures.items():
            lines += [f"![{_figure_title(figure, name)}]({name}.{image_format})", ""]
        return "\n".join(lines)

    def to_html(self, *, dpi: int = 150) -> str:
        """The snapshot as one standalone HTML page with the charts embedded as PNG."""
        import io

        images = []
        for name, figure in self.figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=dpi)
            encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
            alt = html.escape(_figure_title(figure, name))
            images.append(f'<figure><img src="data:image/png;base64,{encoded}" alt="{alt}"></figure>')
        items = "\n".join(f"<li>{html.escape(b)}</li>" for b in self.bullets)
        return (
            '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>body{{font-family:Arial,sans-serif;max-width:"
            "50em;margin:2em auto;line-height:1.45}img{max-width:100%}figure{margin:1.5em 0}</style></head>"
            f"<body><h1>{html.escape(self.title)}</h1><ul>{items}</ul>{''.join(images)}</body></html>\n"
        )


def _figure_title(figure: Figure, default: str) -> str:
    for ax in figure.axes:
        if ax.get_title(loc="left"):
            return " ".join(ax.get_title(loc="left").split())
    return " ".join(figure.get_suptitle().split()) or default


def _rank_phrase(table: pd.DataFrame, row: pd.Series) -> str:
    """Where the area stands among its peers: "the 2nd lowest increase", "the largest reduction"..."""
    falls = int((table["change"] < 0).sum())
    rises = int((table["change"] > 0).sum())
    if row["change"] > 0:
        position = int(row["rank"]) - int((table["change"] <= 0).sum())
        if rises > 1 and position == rises:
            return "the highest increase"
        return "the lowest increase" if position == 1 else f"the {ordinal(position)} lowest increase"
    if row["change"] < 0:
        return "the largest reduction" if row["rank"] == 1 else f"the {ordinal(int(row['rank']))} largest reduction"
    return f"ranked {ordinal(int(row['rank']))} of {len(table)} ({falls} reductions, {rises} increases)"


def _change_sentence(
    table: pd.DataFrame, area: str, selection: str, peers_phrase: str, base_label: str, *, first: bool
) -> tuple[str, pd.Series]:
    row = table.set_index("area_name").loc[area]
    label = SENTENCE_LABELS.get(selection.lower(), selection)
    up = row["change"] > 0
    if row["change"] == 0:
        text = f"{capitalise(label)} in {area} was unchanged at {count(row['current'])} offences"
    elif first:
        text = (
            f"{area} saw a {percent(row['pct_change'])} {'upturn' if up else 'reduction'} in {label} since "
            f"{base_label}, with {count(row['current'])} offences "
            f"({'an increase' if up else 'a decrease'} of {count(abs(row['change']))})"
        )
    else:
        text = (
            f"{capitalise(label)} {'rose' if up else 'fell'} by {count(abs(row['change']))} offences "
            f"({percent(row['pct_change'])}) to {count(row['current'])}"
        )
    text += f"; this is {_rank_phrase(table, row)} across {peers_phrase}."
    if not row["significant"]:
        text += (
            " The change is within normal year-to-year variation "
            f"(not statistically significant, p = {row['p_value']:.2f})."
        )
    return text, row


def performance_snapshot(
    counts: pd.DataFrame,
    *,
    area: str,
    year: str,
    peers: str | Sequence[str],
    selections: Sequence[str] = ("total recorded crime",),
    base: str | None = None,
    source_note: str | None = None,
) -> Snapshot:
    """Build the "Performance Snapshot" of a community-safety annual report.

    Parameters
    ----------
    counts
        Canonical counts covering both years for the area and all its peers.
    area
        The area the report is about ("Wolverhampton").
    year
        The report year ("2017/18"); also calendar years or "12m:YYYY-MM".
    peers
        Peer group: a force area ("West Midlands"), "region:<name>" or a list of areas.
    selections
        What to report on, first the headline (default total recorded crime); e.g. add
        "knife or sharp instrument offences".
    base
        The comparison year; default the year before ``year``.
    source_note
        Source line printed under every chart; default from the counts' sources.

    Returns
    -------
    Snapshot

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> snap = cs.performance_snapshot(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    >>> print(snap.bullets[0])  # doctest: +NORMALIZE_WHITESPACE
    Wolverhampton saw a 13.6% upturn in total recorded crime since 2016-2017, with 21,225 offences
    (an increase of 2,541); this is the 2nd lowest increase across the West Midlands.
    """
    current_window = to_window(year)
    base_window = to_window(base) if base is not None else _previous(current_window)
    base_label = _report_label(base_window)
    peers_phrase = place(peers) if isinstance(peers, str) else "its peer areas"
    note = source_note or _source_note(counts)

    bullets: list[str] = []
    findings: list[dict] = []
    figures: dict[str, Figure] = {}
    tables: dict[str, pd.DataFrame] = {}
    for i, selection in enumerate(selections):
        table = compare_years(counts, base=base_window, current=current_window, within=peers, selection=selection)
        text, row = _change_sentence(table, area, selection, peers_phrase, base_label, first=i == 0)
        bullets.append(text)
        findings.append({"finding": "change", "selection": selection, **_numbers(row), "sentence": len(bullets)})
        key = _key(selection)
        tables[f"peers_{key}"] = table
        fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 0.9 + 0.34 * len(table)), layout="constrained")
        plotting.plot_peer_ranking(
            table,
            area=area,
            ax=fig.add_subplot(),
            title=f"{capitalise(SENTENCE_LABELS.get(selection.lower(), selection))}: "
            f"change {base_window.label} to {current_window.label}",
            average_label=f"{capitalise(peers_phrase)} overall",
        )
        plotting.add_source_note(fig, note)
        figures[f"peer_ranking_{key}"] = fig

    headline = selections[0]
    parts = _contributions(counts, area, base_window, current_window, headline)
    if parts is not None and parts.attrs["net_change"] != 0:
        tables["contributions"] = parts
        rising = parts.attrs["net_change"] > 0
        movers = parts[parts["change"] > 0] if rising else parts[parts["change"] < 0].iloc[::-1]
        named = [f"{row[parts.columns[0]]} ({int(row['change']):+,})" for _, row in movers.head(4).iterrows()]
        if named:
            bullets.append(
                f"{capitalise(join_words(named))} were the main contributing factors to the "
                f"{'increase' if rising else 'reduction'} in {SENTENCE_LABELS.get(headline, headline)}."
            )
            for _, row in movers.head(4).iterrows():
                findings.append(
                    {
                        "finding": "contribution",
                        "selection": str(row[parts.columns[0]]),
                        "base": row["base"],
                        "current": row["current"],
                        "change": row["change"],
                        "share_of_change": row["share_of_change"],
                        "sentence": len(bullets),
                    }
                )
        fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 0.9 + 0.3 * min(len(parts), 12)), layout="constrained")
        plotting.plot_contributions(
            parts, ax=fig.add_subplot(), title=f"What changed in {area}: {base_window.label} to {current_window.label}"
        )
        plotting.add_source_note(fig, note)
        figures["contributions"] = fig

    rate_text = _rate_sentence(counts, area, peers, current_window, headline, peers_phrase, findings, len(bullets) + 1)
    if rate_text:
        bullets.append(rate_text)

    trend_figure = _trend_figure(counts, area, peers, peers_phrase, headline, note, tables)
    if trend_figure is not None:
        figures["monthly_trend"] = trend_figure

    own = counts[counts["area_name"] == area]
    by_category = compare_years(own, base=base_window, current=current_window, by="category", selection=headline)
    by_category = by_category[(by_category["base"] > 0) | (by_category["current"] > 0)]
    tables["categories"] = by_category
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 1.6 * -(-len(by_category) // 4) + 0.7), layout="constrained")
    plotting.plot_category_changes(by_category, fig=fig, title=f"{area}: offences by category")
    plotting.add_source_note(fig, note)
    figures["categories"] = fig

    columns = [
        "finding",
        "selection",
        "base",
        "current",
        "change",
        "pct_change",
        "rank",
        "n_areas",
        "p_value",
        "significance",
        "share_of_change",
        "rate",
        "population",
        "population_year",
        "sentence",
    ]
    table = pd.DataFrame(findings).reindex(columns=columns)
    for column in ("base", "current", "change", "rank", "n_areas", "population", "population_year", "sentence"):
        table[column] = table[column].astype("Int64")
    table.insert(1, "area", area)
    table.insert(2, "base_period", base_window.label)
    table.insert(3, "current_period", current_window.label)
    return Snapshot(
        area=area,
        year=current_window.label,
        peers=peers,
        bullets=bullets,
        findings=table,
        figures=figures,
        tables=tables,
    )


def _numbers(row: pd.Series) -> dict:
    return {
        k: row[k] for k in ("base", "current", "change", "pct_change", "rank", "n_areas", "p_value", "significance")
    }


def _key(selection: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in selection.lower()).strip("_")


def _previous(window: Window) -> Window:
    start = window.start - pd.DateOffset(months=window.months)
    if window.months == 12 and window.start.month == 4:
        return to_window(FinancialYear(start.year))
    if window.months == 12 and window.start.month == 1:
        return to_window(str(start.year))
    return Window(start, window.start, f"12 months to {(window.start - pd.DateOffset(days=1)):%B %Y}")


def _report_label(window: Window) -> str:
    """A base year as reports write it after "since": "2016-2017"."""
    if window.months == 12 and window.start.month == 4:
        return FinancialYear(window.start.year).label("long")
    return window.label


def _source_note(counts: pd.DataFrame) -> str:
    names = [sources.label(s) for s in sorted(counts["source"].dropna().unique())]
    return f"Source: {join_words(names)}. Open Government Licence v3.0. Produced with crimestats."


def _contributions(counts, area, base_window, current_window, headline) -> pd.DataFrame | None:
    for level in ("ons_line", "category"):
        try:
            return contributions(
                counts, area=area, base=base_window, current=current_window, level=level, selection=headline
            )
        except SelectionError as error:
            logger.info("contributions by %s not possible: %s", level, error)
    return None


def _rate_sentence(counts, area, peers, window, headline, peers_phrase, findings, sentence) -> str | None:
    # Only the area and its peers need a population: other areas in the counts must not matter.
    peer_names = peer_areas(peers)
    try:
        table = rates(counts[counts["area_name"].isin(peer_names)], year=window, selection=headline)
    except (PopulationError, PeriodError) as error:
        logger.info("no rate sentence: %s", error)
        return None
    table = table.set_index("area_name")
    if area not in table.index:
        return None
    row = table.loc[area]
    peer_names = [a for a in peer_names if a in table.index]
    peer_rate = 1000 * table.loc[peer_names, "count"].sum() / table.loc[peer_names, "population"].sum()
    findings.append(
        {
            "finding": "rate",
            "selection": headline,
            "current": row["count"],
            "rate": row["rate"],
            "population": row["population"],
            "population_year": row["population_year"],
            "sentence": sentence,
        }
    )
    findings.append(
        {
            "finding": "peer rate",
            "selection": headline,
            "current": table.loc[peer_names, "count"].sum(),
            "rate": peer_rate,
            "population": table.loc[peer_names, "population"].sum(),
            "population_year": row["population_year"],
            "sentence": sentence,
        }
    )
    return (
        f"That is {row['rate']:.1f} offences per 1,000 residents (mid-{int(row['population_year'])} population "
        f"{count(row['population'])}), against {peer_rate:.1f} across {peers_phrase}."
    )


def _trend_figure(counts, area, peers, peers_phrase, headline, note, tables) -> Figure | None:
    monthly = counts[counts["period_months"] == 1]
    if monthly.empty or monthly["period_start"].nunique() < 12:
        logger.info("no trend chart: it needs at least 12 months of monthly counts")
        return None
    trend = monthly_trend(monthly, areas=peer_areas(peers), selection=headline)
    tables["monthly_trend"] = trend
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 3.4), layout="constrained")
    label = SENTENCE_LABELS.get(headline, headline)
    plotting.plot_monthly_trend(
        trend,
        area=area,
        ax=fig.add_subplot(),
        peer_label=f"{capitalise(peers_phrase) if isinstance(peers, str) else 'Peers'} overall",
        title=f"Rolling 12-month {label}: {area} against {peers_phrase}",
    )
    plotting.add_source_note(fig, note)
    return fig
