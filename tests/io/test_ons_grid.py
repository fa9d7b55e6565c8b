from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crimestats as cs
from crimestats.io.ons_grid import clean_code, label_key, line_for, parse_cells, span, strip_footnote, title_period
from crimestats.taxonomy import p1_lines

HERE = Path("table.xlsx")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("ENGLAND AND WALES8", "ENGLAND AND WALES"),
        ("ENGLAND AND WALES4,5,6,7,8", "ENGLAND AND WALES"),
        ("Lancashire 8", "Lancashire"),
        ("stalking and harassment 5", "stalking and harassment"),
        ("Residential burglary5,6", "Residential burglary"),
        ("Total recorded crime (excluding fraud3)", "Total recorded crime (excluding fraud)"),
        ("Staffordshire [note 5]", "Staffordshire"),
        ("Devon and Cornwall [note 4]", "Devon and Cornwall"),
        ("Theft offences [note 1][note 2][note 3]", "Theft offences"),
        ("British Transport Police(2006)", "British Transport Police"),
        (
            "England and Wales (excluding Greater Manchester Police)5",
            "England and Wales (excluding Greater Manchester Police)",
        ),
        ("Dyfed-Powys", "Dyfed-Powys"),
        ("West Midlands ", "West Midlands"),
    ],
)
def test_footnote_markers_are_stripped_in_every_form(label, expected):
    assert strip_footnote(label) == expected


@given(st.sampled_from(["Lancashire", "Surrey", "Homicide", "Theft offences"]), st.integers(1, 30))
def test_any_footnote_number_in_any_form_leaves_the_label(label, note):
    for marked in (f"{label}{note}", f"{label} {note}", f"{label} [note {note}]", f"{label}({note})"):
        assert strip_footnote(marked) == label


def test_every_line_and_variant_is_in_the_vocabulary():
    for line in p1_lines():
        for spelling in (line.name, line.label, *line.variants):
            assert line_for(spelling) is line
            assert line_for(spelling.upper() + "7") is line  # any case, footnote attached


@pytest.mark.parametrize(
    ("heading", "line"),
    [
        ("Miscellaneous crimes against society", "miscellaneous crimes against society"),
        ("Miscellaneous crimes", "miscellaneous crimes against society"),
        ("All other theft offences", "other theft offences"),
        ("Residental burglary4", "residential burglary"),  # ONS's own typo in P2
        ("Non-residential  burglary5,6", "non-residential burglary"),
        ("Death or serious\n injury caused by\n illegal driving", "death or serious injury caused by unlawful driving"),
        ("Stalking\nand harassment", "stalking and harassment"),
        ("Total recorded crime\n (excluding fraud)", "total recorded crime"),
    ],
)
def test_heading_variants_met_in_real_editions(heading, line):
    assert line_for(heading).name == line


def test_unknown_heading_is_none_not_a_guess():
    assert line_for("Fraud and computer misuse") is None
    assert label_key("Victim-based crime") == "victim based crime"


@pytest.mark.parametrize(
    ("title", "start"),
    [
        ("Table P1: ..., year ending March 181,2,3", "2017-04-01"),
        ("Table P1: ..., year ending June 181,2", "2017-07-01"),
        ("Table P1: ..., year ending September 2019 [note 1]", "2018-10-01"),
        ("Table P1: ..., year ending December 181,2", "2018-01-01"),
        ("Table C3: ..., year ending December 2022 [note 1][note 2]", "2022-01-01"),
        ("Table P1: ..., year ending Dec 201,2", "2020-01-01"),
    ],
)
def test_title_gives_a_12_month_window_ending_in_any_quarter(title, start):
    assert title_period(title, path=HERE, table="P1") == pd.Timestamp(start)


def test_a_title_with_no_year_ending_is_an_error_quoting_it():
    with pytest.raises(cs.SourceFormatError, match=r"cannot find 'year ending <Month> <year>'.*Police recorded crime"):
        title_period("Police recorded crime by offence group", path=HERE, table="P1")


def test_spans_financial_calendar_and_rolling_years():
    assert span("Apr '10 to Mar '11") == (pd.Timestamp("2010-04-01"), 12)
    assert span("Jan '18 to Dec '18") == (pd.Timestamp("2018-01-01"), 12)
    assert span("Jul '16 to Jun '17") == (pd.Timestamp("2016-07-01"), 12)
    assert span("Apr '10 to\n Mar '114") == (pd.Timestamp("2010-04-01"), 12)
    assert span("% involving a knife") is None


def test_codes_lose_footnote_digits():
    assert clean_code("E230000118") == "E23000011"
    assert clean_code("E23000014") == "E23000014"
    assert clean_code(float("nan")) is None


def test_not_published_markers_are_missing_never_zero_and_junk_is_an_error():
    cells = pd.Series([5, "..", "[x]", "-", None, "1,234"], index=range(10, 16))
    numbers, marker = parse_cells(cells, path=HERE, label="Homicide")
    assert numbers.tolist()[:1] == [5] and numbers.iloc[1:5].isna().all() and numbers.iloc[5] == 1234
    assert marker.tolist() == [False, True, True, True, False, False]
    with pytest.raises(cs.SourceFormatError, match=r"row 3.*'lots' is not a count"):
        parse_cells(pd.Series(["lots"], index=[2]), path=HERE, label="Homicide")
    with pytest.raises(cs.SourceFormatError, match="is not a count"):
        parse_cells(pd.Series([1.5], index=[2]), path=HERE, label="Homicide")
