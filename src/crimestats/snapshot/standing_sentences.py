"""Sentences of the standing findings (severity, peer position, exceptional months), from the findings alone."""

from __future__ import annotations

import pandas as pd

from ..severity import BY_CODE
from ..text import capitalise, count, join_words, ordinal, percent, place
from .labels import peers_phrase, selection_label

#: The finding kind that opens each standing sentence.
STANDING_KINDS = ("severity", "peer position", "months assessed")


def standing_sentence(findings, rows: pd.DataFrame) -> str:
    """The sentence of one group of standing findings (one ``sentence`` number)."""
    kind = rows["finding"].iloc[0]
    if kind == "severity":
        return severity_sentence(findings, rows)
    if kind == "peer position":
        return peer_position_sentence(findings, rows)
    return exceptional_months_sentence(findings, rows)


def _one(rows: pd.DataFrame, kind: str) -> pd.Series | None:
    found = rows[rows["finding"] == kind]
    return None if found.empty else found.iloc[0]


def severity_sentence(findings, rows: pd.DataFrame) -> str:
    """E.g. "Crime severity (the ONS Crime Severity Score ...) rose 24.1% to 16.18 ..."."""
    own, base, peer = _one(rows, "severity"), _one(rows, "severity base"), _one(rows, "peer severity")
    up = own["pct_change"] > 0
    text = (
        f"Harm-weighted crime (the ONS Crime Severity Score) in {place(findings.area)} "
        f"{'rose' if up else 'fell'} by {percent(abs(own['pct_change']))} to {own['rate']:.2f} "
        f"(from {base['rate']:.2f} in {findings.base.label})"
    )
    if peer is not None and pd.notna(own["rank"]):
        rank, n_areas = int(own["rank"]), int(own["n_areas"])
        position = "the lowest" if rank == 1 else f"the {ordinal(rank)} lowest"
        peer_change = f"{'rose' if peer['pct_change'] > 0 else 'fell'} by {percent(abs(peer['pct_change']))}"
        text += (
            f"; {position} change of the {n_areas} areas of {peers_phrase(findings.peers)}, whose score "
            f"{peer_change} to {peer['rate']:.2f}"
        )
    text += "."
    if own["note"] != BY_CODE:
        text += f" The score is an {own['note']}, not the ONS figure."
    unweighted = rows[rows["finding"] == "severity unweighted"]
    if len(unweighted):
        text += (
            f" {count(int(unweighted['current'].sum()))} offences with no ONS weight "
            f"({join_words(unweighted['selection'].tolist())}) are left out of the score."
        )
    return text


def peer_position_sentence(findings, rows: pd.DataFrame) -> str:
    """E.g. "At 81.4 offences per 1,000 residents, ... is in line with the West Midlands (80.8) ..."."""
    own, peer = _one(rows, "peer position"), _one(rows, "peer group rate")
    low95, high95 = _one(rows, "lower limit 95%"), _one(rows, "upper limit 95%")
    low998, high998 = _one(rows, "lower limit 99.8%"), _one(rows, "upper limit 99.8%")
    label = selection_label(own["selection"])
    text = (
        f"At {own['rate']:.1f} offences per 1,000 residents, {findings.area}'s {label} rate is {own['note']} "
        f"{peers_phrase(findings.peers)} ({peer['rate']:.1f}): for an area of its population the expected range is "
        f"{low95['rate']:.1f} to {high95['rate']:.1f} (95% control limits"
    )
    if low998 is not None and high998 is not None:
        text += f"; {low998['rate']:.1f} to {high998['rate']:.1f} at 99.8%"
    text += ")"
    if own["note"] != "in line with" and low998 is not None and (high998["note"] == "outside"):
        text += ", and outside the 99.8% limits too"
    return text + "."


def exceptional_months_sentence(findings, rows: pd.DataFrame) -> str:
    """E.g. "Burglary in March 2018 (255 offences) was above the expected range (...)"."""
    clauses = []
    for selection, part in rows.groupby("selection", sort=False):
        months = part[part["finding"] == "exceptional month"]
        expected = _one(part, "expected level")
        assessed = int(_one(part, "months assessed")["current"])
        label = selection_label(str(selection))
        label = capitalise(label) if not clauses else label[:1].lower() + label[1:]
        directions = sorted(set(months["significance"]))
        if len(months) <= 3:
            named = [f"{row.note} ({count(int(row.current))})" for row in months.itertuples()]
            when = f"in {join_words(named)}"
        else:
            peak = months.loc[months["current"].astype(int).idxmax()]
            outside = int(_one(part, "months outside the limits")["current"])
            when = (
                f"in {outside} of the {assessed} months, the highest in {peak['note']} ({count(int(peak['current']))})"
            )
        limits = []
        for side in ("upper", "lower"):
            limit = _one(part, f"{side} control limit")
            if limit is not None:
                limits.append(f"{side} control limit {count(round(float(limit['rate'])))}")
        clause = (
            f"{label} was {' or '.join(directions)} {when}, against an expected "
            f"{count(round(float(expected['rate'])))} a month from {expected['note']} ({', '.join(limits)})"
        )
        clauses.append(clause)
    return "; ".join(clauses) + "."
