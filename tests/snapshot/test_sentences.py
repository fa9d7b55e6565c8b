import dataclasses

import pandas as pd
import pytest

from crimestats.snapshot import write_sentences
from crimestats.snapshot.sentences import rank_phrase

HEADLINE = (
    "Wolverhampton saw a 13.6% upturn in total recorded crime since 2016-2017, with 21,225 offences "
    "(an increase of 2,541); this is the 2nd lowest increase across the West Midlands."
)


def test_one_sentence_per_sentence_number(csp_findings):
    sentences = write_sentences(csp_findings)
    assert len(sentences) == csp_findings.table["sentence"].max() == 6
    assert sentences[0] == HEADLINE
    assert sentences[1].startswith("Vehicle offences (+726), violence with injury (+383)")
    assert sentences[1].endswith("main contributing factors to the increase in total recorded crime.")
    assert sentences[2] == (
        "That is 81.4 offences per 1,000 residents (mid-2017 population 260,648), "
        "against 80.8 across the West Midlands."
    )


def _with_table(found, table):
    return dataclasses.replace(found, table=table)


def test_sentences_read_the_findings_not_the_counts(csp_findings):
    table = csp_findings.table.copy()
    change = table["finding"] == "change"
    table.loc[change, ["current", "change", "pct_change"]] = [99999, -1234, -1.23]
    table.loc[change, ["significance", "p_value"]] = ["no significant change", 0.4321]
    table.loc[table["finding"] == "rate", "rate"] = 12.34
    sentences = write_sentences(_with_table(csp_findings, table))
    assert sentences[0].startswith("Wolverhampton saw a 1.2% reduction in total recorded crime since 2016-2017")
    assert "with 99,999 offences (a decrease of 1,234)" in sentences[0]
    assert sentences[0].endswith("(not statistically significant, p = 0.43).")
    assert sentences[2].startswith("That is 12.3 offences per 1,000 residents")


def test_without_contributions_or_rates_there_are_fewer_sentences(csp_findings):
    table = csp_findings.table
    only_changes = table[table["finding"] == "change"]
    assert write_sentences(_with_table(csp_findings, only_changes)) == [HEADLINE]


def test_falling_contributions_explain_a_reduction(csp_findings):
    table = csp_findings.table.copy()
    parts = table["finding"] == "contribution"
    table.loc[parts, "change"] = [-50, -20, -10, -1]
    sentence = write_sentences(_with_table(csp_findings, table))[1]
    assert sentence.startswith("Vehicle offences (-50), violence with injury (-20)")
    assert "contributing factors to the reduction in total recorded crime" in sentence


PEERS = pd.DataFrame({"area_name": list("ABCDE"), "change": [-30, -10, 0, 5, 40]})


@pytest.mark.parametrize(
    ("change", "rank", "phrase"),
    [
        (-30, 1, "the largest reduction"),
        (-10, 2, "the 2nd largest reduction"),
        (0, 3, "ranked 3rd of 5 (2 reductions, 2 increases)"),
        (5, 4, "the lowest increase"),
        (40, 5, "the highest increase"),
    ],
)
def test_rank_phrase(change, rank, phrase):
    assert rank_phrase(PEERS, change, rank) == phrase


def test_a_lone_increase_is_the_lowest_not_the_highest():
    assert rank_phrase(PEERS.assign(change=[-3, -2, -1, 0, 9]), 9, 5) == "the lowest increase"
