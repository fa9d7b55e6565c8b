"""The source registry: one "what is this file" rule, and a new source in one registration."""

import json
from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs
from crimestats import sources
from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, main
from crimestats.exceptions import SourceFormatError
from tests.conftest import SHARED, TEST_DATA

# ---- a toy source, registered from this file alone -------------------------------------------
# A made-up "Welsh Government" annual table: Year,Force,Category,Crimes (e.g. "2017,Gwent,Robbery,120").


def read_welsh_table(path: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype={"Year": int, "Force": str, "Category": str, "Crimes": int})
    frame = pd.DataFrame(
        {
            "period_start": pd.to_datetime(raw["Year"].astype(str) + "-01-01"),
            "period_months": 12,
            "force": [cs.force_name(f) for f in raw["Force"]],
            "category": raw["Category"],
            "count": raw["Crimes"],
            "source": "welsh-gov",
            "is_crime": True,
        }
    )
    counts = cs.validate(frame, source=str(path))
    rows = len(raw)
    quality = cs.FileQuality(str(path), "welsh-gov", rows, rows, int(raw["Crimes"].sum()))
    return cs.counts.attach(counts, coverage=None, quality=[quality])


WELSH = cs.Source(
    name="welsh-gov",
    label="Welsh Government crime table",
    period_months=12,
    has_records=False,
    recognise=lambda probe: probe.header == ("year", "force", "category", "crimes"),
    read=read_welsh_table,
    description="Welsh Government annual table (Year,Force,Category,Crimes)",
)
# ---- end of the toy source ---------------------------------------------------------------------


@pytest.fixture
def welsh(tmp_path):
    path = tmp_path / "in" / "welsh-2017.csv"
    path.parent.mkdir()
    path.write_text("Year,Force,Category,Crimes\n2017,Gwent,Robbery,120\n2017,Gwent,Burglary,900\n", encoding="utf-8")
    with sources.registered(WELSH):
        yield path


def test_a_toy_source_flows_through_validate_refresh_status_and_the_snapshot_note(welsh, tmp_path, capsys):
    assert sources.resolve(welsh).name == "welsh-gov"
    assert main(["validate", str(welsh.parent)]) == EXIT_OK
    assert "source welsh-gov: 2 rows read, 2 counted" in capsys.readouterr().out

    store = tmp_path / "store"
    assert main(["refresh", str(welsh.parent), "--store", str(store), "--json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert [item["source"] for item in result["ingested"]] == ["welsh-gov"]
    assert int(cs.Store(store).read()["count"].sum()) == 1020

    assert main(["status", "--store", str(store)]) == EXIT_OK
    assert "welsh-gov" in capsys.readouterr().out

    from crimestats.snapshot.labels import source_note

    assert "Welsh Government crime table" in source_note(cs.Store(store).read()["source"])


def test_an_unregistered_source_is_not_known_any_more(welsh):
    sources.unregister("welsh-gov")
    with pytest.raises(SourceFormatError, match="not a known layout"):
        sources.resolve(welsh)


def every_file(*roots: Path) -> list[Path]:
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def test_validate_and_refresh_classify_every_file_alike(tmp_path, monkeypatch):
    """Both commands go through sources.expand; record what each asked the recogniser and compare."""
    files = every_file(TEST_DATA, SHARED / "real", Path(cs.datasets.path("scenario-csp")).parent)
    files = [f for f in files if f.name.lower().endswith(sources.DATA_SUFFIXES) and f.stat().st_size < 30_000_000]
    seen: dict[str, list[tuple[str, str]]] = {"validate": [], "refresh": []}
    current = {"command": "validate"}
    real_recognised = sources._recognised

    def spy(path, mapping, **known):
        try:
            name = real_recognised(path, mapping, **known).name
        except SourceFormatError:
            name = "<error>"
        seen[current["command"]].append((str(path), name))
        raise SourceFormatError(path, "stop here: classification only")

    monkeypatch.setattr(sources, "_recognised", spy)
    for file in files:
        current["command"] = "validate"
        main(["validate", str(file)])
        current["command"] = "refresh"
        main(["refresh", str(file), "--store", str(tmp_path / "store"), "--dry-run"])
    assert seen["validate"] == seen["refresh"]
    assert len(seen["validate"]) == len(files)
    kinds = dict(seen["validate"])
    assert kinds[str(cs.datasets.path("ons-pfa-2018"))] == "ons"
    assert kinds[str(cs.datasets.path("scenario-csp"))] == "home-office"
    assert kinds[str(TEST_DATA / "police-uk" / "city-of-london" / "2017-01" / "2017-01-city-of-london-street.csv")] == (
        "police.uk"
    )


def test_an_extract_with_its_mapping_is_an_extract_even_with_an_offence_code_column():
    mapping = cs.datasets.path("scenario-extract-mapping")
    extract = cs.datasets.path("scenario-extract")
    assert sources.resolve(extract, mapping=mapping).name == "extract"
    # Without the mapping the same file is no known layout (its header is not a Home Office table's).
    with pytest.raises(SourceFormatError, match="give a mapping"):
        sources.resolve(extract)
    # A street file stays a street file when a mapping is given for other files.
    street = TEST_DATA / "police-uk" / "city-of-london" / "2017-01" / "2017-01-city-of-london-street.csv"
    assert sources.resolve(street, mapping=mapping).name == "police.uk"


def test_a_folder_is_expanded_into_units_and_skips_are_listed(tmp_path):
    folder = tmp_path / "download" / "2017-01"
    folder.mkdir(parents=True)
    street = TEST_DATA / "police-uk" / "city-of-london" / "2017-01" / "2017-01-city-of-london-street.csv"
    (folder / street.name).write_bytes(street.read_bytes())
    (folder / "2017-01-city-of-london-outcomes.csv").write_text("Crime ID,Month\n", encoding="utf-8")
    (folder / "notes.txt").write_text("hello", encoding="utf-8")
    (folder / "mystery.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    plan = sources.expand([tmp_path / "download"])
    assert [u.path.name for u in plan.units] == [street.name]
    assert {Path(f).name: r for f, r in plan.skipped}["2017-01-city-of-london-outcomes.csv"].startswith("a data.police")
    assert [Path(f).name for f, _ in plan.failed] == ["mystery.csv"]


def test_an_empty_folder_is_a_failure_not_silence(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    plan = sources.expand([tmp_path / "empty"])
    assert plan.units == [] and "holds no data files" in str(plan.failed[0][1])
    assert main(["validate", str(tmp_path / "empty")]) == EXIT_BAD_INPUT
    assert "holds no data files" in capsys.readouterr().err


def test_each_source_has_a_label_and_a_period_length():
    for source in sources.all_sources():
        assert source.label and source.period_months in (1, 3, 12)
    assert sources.label("police.uk") == "data.police.uk"
    assert sources.label("gone") == "gone"


def test_each_source_name_and_label_is_written_once_in_the_code():
    from tests.conftest import source_literals

    literals = source_literals()
    for source in sources.all_sources():
        # "extract" is also the name of the mapping's [extract] table; only the registration names the source.
        places = [(p, t) for p, _, t in literals if t == source.name and not (t == "extract" and p == "io/extract.py")]
        assert len(places) <= 1, (source.name, places)
        labels = [(p, t) for p, _, t in literals if t == source.label]
        assert len(labels) == 1, (source.label, labels)


def test_a_folder_s_files_come_in_rglob_s_order_without_a_stat_each(tmp_path):
    # "a-b/x" sorts after "a/x" by path parts, before it as text: the plan's order is the parts'.
    for name in ("a/x.csv", "a-b/x.csv", "a/.hidden/y.csv", "b.csv", "a/c/z.csv", "Z.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)  # not followed, as rglob
    (tmp_path / "file-link.csv").symlink_to(tmp_path / "b.csv")
    expected = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    assert sources._files_under(tmp_path) == expected
    assert sources._files_under(tmp_path)[:2] == [tmp_path / "Z.csv", tmp_path / "a" / ".hidden" / "y.csv"]
