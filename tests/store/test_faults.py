"""A refresh under bad input: one bad file never stops the good ones, an empty source is an error."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import io
import json
import shutil
import zipfile
import zlib

import pandas as pd
import pytest

import crimestats as cs
from crimestats import sources
from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, main
from tests.conftest import TEST_DATA, store_state

CITY = TEST_DATA / "police-uk" / "city-of-london"
FEBRUARY = "2017-02-city-of-london-street.csv"


def months(store: cs.Store) -> set[str]:
    return set(store.read()["period_start"].dt.strftime("%Y-%m"))


FAULTS = [
    (PermissionError(13, "Permission denied"), "permission denied"),
    (zipfile.BadZipFile("File is not a zip file"), "not a valid zip archive"),
    (zlib.error("Error -3 while decompressing data"), "compressed data is corrupt"),
    (EOFError("Compressed file ended before the end-of-stream marker was reached"), "cut short"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "not UTF-8 text"),
    (pd.errors.ParserError("Error tokenizing data. C error: Expected 12 fields in line 40, saw 13"), "line 40"),
    (KeyError("crime_id"), "'crime_id' is missing"),
]


@pytest.mark.parametrize(("fault", "reason"), FAULTS, ids=[type(f).__name__ for f, _ in FAULTS])
def test_one_bad_file_is_reported_and_the_good_ones_ingested(tmp_path, capsys, fault, reason):
    police_uk = sources.get("police.uk")

    def ingest(path, **options):
        if str(path).endswith(FEBRUARY):
            raise fault
        return police_uk.load(path, **options)

    root = tmp_path / "store"
    # One unit at a time (no ingest_many), so the fault is what reading that one unit raised.
    with sources.registered(dataclasses.replace(police_uk, ingest=ingest, ingest_many=None, read_records=None)):
        code = main(["refresh", str(CITY), "--store", str(root), "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    assert "Traceback" not in captured.err
    result = json.loads(captured.out)
    assert [item["file"].rsplit("/", 1)[1] for item in result["failed"]] == [FEBRUARY]
    error = result["failed"][0]["error"]
    assert FEBRUARY in error and reason in error and "\n" not in error
    assert len(result["ingested"]) == 2
    assert months(cs.Store(root)) == {"2017-01", "2017-03"}


def test_truncated_gzip_and_corrupt_zip_member_fail_alone(tmp_path, capsys):
    incoming = tmp_path / "incoming"
    shutil.copytree(CITY / "2017-01", incoming / "2017-01")
    february = (CITY / "2017-02" / FEBRUARY).read_bytes()
    packed = gzip.compress(february)
    (incoming / "cut").mkdir()
    (incoming / "cut" / f"{FEBRUARY}.gz").write_bytes(packed[: len(packed) // 2])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"2017-03/{FEBRUARY.replace('02', '03', 1)}",
            (CITY / "2017-03").joinpath("2017-03-city-of-london-street.csv").read_bytes(),
        )
    damaged = bytearray(buffer.getvalue())
    for offset in range(200, 260):  # inside the deflated member
        damaged[offset] ^= 0xFF
    (incoming / "march.zip").write_bytes(bytes(damaged))

    root = tmp_path / "store"
    assert main(["refresh", str(incoming), "--store", str(root), "--json"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    failed = {item["file"].rsplit("/", 1)[1]: item["error"] for item in result["failed"]}
    assert set(failed) == {f"{FEBRUARY}.gz", "march.zip"}
    assert "Traceback" not in captured.err
    assert months(cs.Store(root)) == {"2017-01"}


@pytest.mark.parametrize("kind", ["empty folder", "no data files", "missing path"])
def test_a_refresh_from_nothing_exits_1_and_leaves_no_store_folder(tmp_path, capsys, kind):
    source = tmp_path / "raw"
    if kind != "missing path":
        source.mkdir()
    if kind == "no data files":
        (source / "README.txt").write_text("monthly downloads land here\n")
        (source / "2017-01").mkdir()
        (source / "2017-01" / "2017-01-city-of-london-outcomes.csv").write_text("Crime ID,Month\n")
    root = tmp_path / "store"
    assert main(["refresh", str(source), "--store", str(root)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    expected = "does not exist" if kind == "missing path" else "holds no data files"
    assert f"FAILED {source}: {expected}" in err
    assert not root.exists()


def test_a_refresh_of_no_sources_is_not_ok(tmp_path):
    result = cs.Store(tmp_path / "store").refresh([])
    assert not result.ok and "no sources given" in result.failed[0]["error"]


def test_refresh_with_a_mapping_ingests_the_force_extract(tmp_path, capsys):
    extract, mapping = cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping")
    root = tmp_path / "store"
    assert main(["refresh", str(extract), "--mapping", str(mapping), "--store", str(root), "--json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert [(item["source"], item["count"]) for item in result["ingested"]] == [("extract", 439_787)]
    assert cs.Store(root).read()["count"].sum() == 439_787


def test_a_full_disk_while_writing_is_a_store_error_saying_how_much_space_was_needed(tmp_path, monkeypatch, capsys):
    from crimestats.store import atomic

    root = tmp_path / "store"
    cs.Store(root).refresh([CITY / "2017-01"])
    before, state = cs.Store(root).read(), store_state(root)
    writes = []

    def full_after_one(handle, data):
        if writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        writes.append(len(data))
        handle.write(data)

    monkeypatch.setattr(atomic, "_write_all", full_after_one)
    with pytest.raises(
        cs.StoreError, match=r"disk full while writing the refresh .*this refresh needs \d+\.\d MB"
    ) as error:
        cs.Store(root).refresh([CITY], records=True)
    assert "written before the disk filled, then removed" in str(error.value) and "MB free" in str(error.value)
    assert main(["refresh", str(CITY), "--store", str(root)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "disk full" in err and "Traceback" not in err
    # The store is as it was: same manifest, same files, nothing half-written left behind.
    assert store_state(root) == state
    pd.testing.assert_frame_equal(cs.Store(root).read(), before)
    monkeypatch.undo()
    assert cs.Store(root).refresh([CITY]).ok and months(cs.Store(root)) == {"2017-01", "2017-02", "2017-03"}


def test_too_little_free_space_is_found_before_anything_is_written(tmp_path, monkeypatch):
    from crimestats.store import commit

    root = tmp_path / "store"
    cs.Store(root).refresh([CITY / "2017-01"])
    manifest = (root / "manifest.json").read_bytes()
    monkeypatch.setattr(commit, "free_space", lambda folder: 1000)
    with pytest.raises(cs.StoreError, match=r"disk full while starting to write .*: this refresh needs 0\.\d MB"):
        cs.Store(root).refresh([CITY])
    assert (root / "manifest.json").read_bytes() == manifest
    assert len(list(root.rglob("*.parquet"))) == 1


def test_after_a_failed_write_the_writes_not_yet_begun_are_skipped(tmp_path, monkeypatch):
    from crimestats.store import atomic, writing

    police_uk = TEST_DATA / "police-uk"
    folders = [CITY, police_uk / "mixed-2022-06", police_uk / "reorganised-2022-06", police_uk / "reorganised-2024-01"]
    cs.Store(tmp_path / "whole").refresh(folders, records=True)
    files = len(list((tmp_path / "whole").rglob("*.parquet")))
    attempts = []

    def full_after_one(handle, data):
        attempts.append(len(data))
        if len(attempts) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        handle.write(data)

    monkeypatch.setattr(atomic, "_write_all", full_after_one)
    with pytest.raises(cs.StoreError, match="disk full while writing the refresh"):
        cs.Store(tmp_path / "store").refresh(folders, records=True)
    # The first file is written alone, then up to WRITERS at once: those under way when one fails finish.
    assert files >= 2 * writing.WRITERS + 2
    assert len(attempts) <= 1 + writing.WRITERS
    assert not list((tmp_path / "store").rglob("*.parquet"))
