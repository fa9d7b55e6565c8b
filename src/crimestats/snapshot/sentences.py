"""The snapshot's report-ready sentences, written from its findings alone (no counts, no metrics)."""

from __future__ import annotations

import pandas as pd

from ..text import capitalise, count, join_words, ordinal, percent
from .findings import Findings, selection_name
from .labels import peers_phrase, period_phrase, selection_label
from .standing_sentences import STANDING_KINDS, standing_sentence


def write_sentences(findings: Findings) -> list[str]:
    """One sentence per ``sentence`` number of the findings table, in order.

    A sentence per selection's change (the first is the headline), one naming the main
    contributors to the headline change, one comparing the rate per 1,000 residents with the peers'.
    Wording rules: ``docs/snapshot.md``.

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.snapshot import compute_findings
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> found = compute_findings(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    >>> print(write_sentences(found)[0])  # doctest: +NORMALIZE_WHITESPACE
    Wolverhampton saw a 13.6% upturn in total recorded crime since 2016-2017, with 21,225 offences
    (an increase of 2,541); this is the 2nd lowest increase across the West Midlands.
    """
    table = findings.table
    sentences = []
    for number, rows in table.groupby("sentence", sort=True):
        kind = rows["finding"].iloc[0]
        if kind == "change":
            sentences.append(change_sentence(findings, rows.iloc[0], first=int(number) == 1))
        elif kind == "contribution":
            sentences.append(contributions_sentence(findings, rows))
        elif kind in ("rate", "peer rate"):
            sentences.append(rate_sentence(findings, rows))
        elif kind == "hidden crime":
            sentences.append(hidden_crimes_sentence(findings, rows))
        elif kind in STANDING_KINDS:
            sentences.append(standing_sentence(findings, rows))
        else:  # pragma: no cover - compute_findings writes no other kind
            raise AssertionError(f"no sentence for findings of kind {kind!r}")
    return sentences


def rank_phrase(peer_table: pd.DataFrame, change: float, rank: int) -> str:
    """Where the area stands among its peers: "the 2nd lowest increase", "the largest reduction"...

    Among areas that rose, "lowest increase" counts from the smallest rise; among areas that fell,
    "largest reduction" counts from the largest fall.
    """
    falls = int((peer_table["change"] < 0).sum())
    rises = int((peer_table["change"] > 0).sum())
    if change > 0:
        position = int(rank) - int((peer_table["change"] <= 0).sum())
        if rises > 1 and position == rises:
            return "the highest increase"
        return "the lowest increase" if position == 1 else f"the {ordinal(position)} lowest increase"
    if change < 0:
        return "the largest reduction" if rank == 1 else f"the {ordinal(int(rank))} largest reduction"
    return f"ranked {ordinal(int(rank))} of {len(peer_table)} ({falls} reductions, {rises} increases)"


def change_sentence(findings: Findings, row: pd.Series, *, first: bool) -> str:
    """The sentence of one "change" finding (the headline's when ``first``)."""
    area, label = findings.area, selection_label(row["selection"])
    up = row["change"] > 0
    if row["change"] == 0:
        text = f"{capitalise(label)} in {area} was unchanged at {count(row['current'])} offences"
    elif first:
        text = (
            f"{area} saw a {percent(row['pct_change'])} {'upturn' if up else 'reduction'} in {label} "
            f"{period_phrase(findings.base, findings.current)}, with {count(row['current'])} offences "
            f"({'an increase' if up else 'a decrease'} of {count(abs(row['change']))})"
        )
    else:
        text = (
            f"{capitalise(label)} {'rose' if up else 'fell'} by {count(abs(row['change']))} offences "
            f"({percent(row['pct_change'])}) to {count(row['current'])}"
        )
    peer_table = findings.peer_table(row["selection"])
    if len(peer_table) > 1:  # a group of one ranks nothing
        text += f"; this is {rank_phrase(peer_table, row['change'], row['rank'])} across {peers_phrase(findings.peers)}"
    text += "."
    if row["significance"] == "no significant change":
        text += (
            " The change is within normal year-to-year variation "
            f"(not statistically significant, p = {row['p_value']:.2f})."
        )
    return text


def contributions_sentence(findings: Findings, rows: pd.DataFrame) -> str:
    """The sentence naming the main contributors to the headline change.

    "contribution" findings are the offence lines, which add up to the change; a "flag contribution"
    (business crime) cuts across them, so it is named after them as also contributing, with its
    change, and never counted among the parts.
    """
    lines = rows[rows["finding"] == "contribution"]
    flags = rows[rows["finding"] == "flag contribution"]
    rising = lines["change"].iloc[0] > 0
    named = [f"{part} ({int(change):+,})" for part, change in zip(lines["selection"], lines["change"], strict=True)]
    headline = selection_label(selection_name(findings.headline))
    text = (
        f"{capitalise(join_words(named))} were the main contributing factors to the "
        f"{'increase' if rising else 'reduction'} in {headline}"
    )
    if len(flags):
        also = [f"{part} ({int(change):+,})" for part, change in zip(flags["selection"], flags["change"], strict=True)]
        text += f", with {join_words(also)}, which runs across these offence lines, also contributing"
    return text + "."


def rate_sentence(findings: Findings, rows: pd.DataFrame) -> str:
    """The sentence comparing the area's rates per 1,000 residents with its peer group's, headline first."""
    own_rows, peer_rows = rows[rows["finding"] == "rate"], rows[rows["finding"] == "peer rate"].set_index("selection")
    own = own_rows.iloc[0]
    peers = peers_phrase(findings.peers)
    alone = len(findings.peer_areas) < 2  # the group is the area itself: nothing to compare with
    text = (
        f"That is {own['rate']:.1f} offences per 1,000 residents (mid-{int(own['population_year'])} population "
        f"{count(own['population'])})"
    )
    if not alone:
        text += f", against {peer_rows.loc[own['selection'], 'rate']:.1f} across {peers}"
    others = [
        f"{selection_label(row.selection)}, {row.rate:.2f} per 1,000"
        + ("" if alone else f" against {peer_rows.loc[row.selection, 'rate']:.2f}")
        for row in own_rows.iloc[1:].itertuples()
    ]
    return text + (f"; for {'; for '.join(others)}." if others else ".")


def hidden_crimes_sentence(findings: Findings, rows: pd.DataFrame) -> str:
    """Traditionally hidden crimes (modern slavery, exploitation): small numbers, with the caution they need.

    Says "small increases" / "small decreases" / "small changes" from the signs, each offence from
    its count the year before to this year, and that such numbers move by chance and with recording.
    """
    rows = rows.sort_values("current", ascending=False)
    moves = [
        f"{row.selection.lower()} from {count(row.base)} to {count(row.current)}"
        if row.change
        else f"{row.selection.lower()} unchanged at {count(row.current)}"
        for row in rows.itertuples()
    ]
    up, down = (rows["change"] > 0).any(), (rows["change"] < 0).any()
    trend = "small increases" if up and not down else "small decreases" if down and not up else "small changes"
    significant = rows["significance"].str.startswith("significant").fillna(False)
    if significant.any():
        named = join_words(rows.loc[significant, "selection"].str.lower().tolist())
        test = f"the change in {named} is statistically significant"
    else:
        test = "none of these changes is statistically significant"
    return (
        f"Traditionally hidden crimes saw {trend}: {join_words(moves)} offences. Numbers this small move from year "
        f"to year by chance ({test}), and more of these crimes being recorded often reflects better recognition "
        "and reporting rather than more offending."
    )


def write_notes(findings: Findings) -> list[str]:
    """The snapshot's footnotes: sources and periods used, areas left out and why, crimes not counted.

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.snapshot import compute_findings
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> found = compute_findings(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    >>> write_notes(found)[0]
    'Sources: Home Office police recorded crime: April 2016 to March 2018.'
    """
    table = findings.table
    notes = []
    sources = table.loc[table["finding"] == "source", "note"].tolist()
    if sources:
        notes.append(f"Sources: {'; '.join(sources)}.")
    excluded = table.loc[table["finding"] == "excluded", "note"].drop_duplicates().tolist()
    if excluded:
        notes.append(f"Left out of the comparison with {peers_phrase(findings.peers)}: {'; '.join(excluded)}.")
    unattributed = table[table["finding"] == "not attributed"]
    total = table[table["finding"] == "force total"]
    counted = table[table["finding"] == "counted in area"]
    if len(unattributed) and len(total) and len(counted):
        force = total["note"].iloc[0]
        parts = [f"{count(row.current)} {row.note}" for row in unattributed.itertuples()]
        notes.append(
            f"Of the {count(total['current'].iloc[0])} offences ({selection_label(selection_name(findings.headline))}) "
            f"recorded in the {force} police force area in {findings.current.label}, {findings.area} counts "
            f"{count(counted['current'].iloc[0])}; not attributed to any of the force's local areas: "
            f"{join_words(parts)}."
        )
    return notes
