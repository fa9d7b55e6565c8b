"""The store on a Dask cluster: a refresh whose file tasks run on a LocalCluster, and the store read as Dask."""

from __future__ import annotations

import pickle
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs
from crimestats import sources
from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, main
from crimestats.collect import collect, is_dask
from crimestats.store.loading import load_unit
from tests.conftest import TEST_DATA

distributed = pytest.importorskip("distributed")  # the dask extra (in the test extra)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index:DeprecationWarning")

CITY = TEST_DATA / "police-uk" / "city-of-london"
SOURCES = [
    CITY,
    TEST_DATA / "police-uk" / "mixed-2022-06",
    TEST_DATA / "police-uk" / "reorganised-2024-01",
    TEST_DATA / "home-office" / "prc-pfa-2019-20-west-midlands-fraud-avon.csv",
]


@pytest.fixture(scope="module")
def client():
    # Threads, not processes: a worker process starts in seconds on a loaded 2-core machine and
    # imports crimestats again. What a process boundary adds (pickling the tasks' results) is
    # checked on its own below.
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


def frame_of(counts: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order, for equality checks."""
    return pd.DataFrame(counts).sort_values(list(counts.columns)).reset_index(drop=True)


def without_names(manifest: dict) -> tuple[dict, dict]:
    """A manifest's partitions and files, less what differs between two refreshes of the same files."""
    partitions = {key: {k: v for k, v in meta.items() if k != "file"} for key, meta in manifest["partitions"].items()}
    files = {key: {k: v for k, v in meta.items() if k != "ingested_at"} for key, meta in manifest["files"].items()}
    return partitions, files


def bad_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A folder of one good street file and one with a wrong header."""
    incoming = tmp_path / "incoming"
    shutil.copytree(CITY / "2017-02", incoming / "2017-02")
    bad = incoming / "2017-03" / "2017-03-city-of-london-street.csv"
    bad.parent.mkdir()
    bad.write_text((CITY / "2017-03" / bad.name).read_text().replace("Crime type", "Crime kind", 1))
    return incoming, bad


def test_a_refresh_on_the_cluster_writes_the_single_machine_store(tmp_path, client):
    alone, clustered = cs.Store(tmp_path / "alone"), cs.Store(tmp_path / "cluster")
    expected = alone.refresh(SOURCES)
    result = clustered.refresh(SOURCES, client=client)
    assert result.ok and len(result.ingested) == len(expected.ingested) == 9
    assert result.partitions_written == expected.partitions_written
    assert without_names(clustered.manifest()) == without_names(alone.manifest())
    pd.testing.assert_frame_equal(frame_of(clustered.read()), frame_of(alone.read()))
    # Idempotent on the cluster too: nothing new, nothing sent.
    again = clustered.refresh(SOURCES, client=client)
    assert again.ingested == [] and len(again.skipped) == 9


def test_a_bad_file_is_that_files_failure_on_the_cluster_too(tmp_path, client):
    incoming, bad = bad_copy(tmp_path)
    alone = cs.Store(tmp_path / "alone").refresh([incoming])
    clustered = cs.Store(tmp_path / "cluster").refresh([incoming], client=client)
    assert [f["file"] for f in clustered.failed] == [str(bad.resolve())]
    assert "wrong header" in clustered.failed[0]["error"]
    assert clustered.failed == alone.failed  # the same message, word for word
    assert [i["count"] for i in clustered.ingested] == [i["count"] for i in alone.ingested]
    assert cs.Store(tmp_path / "cluster").read()["period_start"].dt.strftime("%Y-%m").unique().tolist() == ["2017-02"]


def test_a_task_that_raises_what_no_reader_should_is_a_failure_not_a_crash(tmp_path, client):
    def explode(path, **options):
        raise RuntimeError("reader bug")

    odd = tmp_path / "file.boom"
    odd.write_text("x")
    boom = cs.Source(
        name="boom",
        label="boom",
        period_months=1,
        has_records=False,
        recognise=lambda p: p.suffix == ".boom",
        read=explode,
    )
    with sources.registered(boom):
        result = cs.Store(tmp_path / "store").refresh([odd, CITY / "2017-01"], client=client)
    assert len(result.failed) == 1 and len(result.ingested) == 1
    assert "failed on the Dask cluster: RuntimeError: reader bug" in result.failed[0]["error"]
    assert result.failed[0]["error"].startswith(str(odd))


def test_what_a_task_returns_survives_a_process_boundary():
    """A worker process sends its result pickled: frames with their coverage and quality, or a message."""
    street = CITY / "2017-01" / "2017-01-city-of-london-street.csv"
    good = pickle.loads(pickle.dumps(load_unit(street, "police.uk", None, False)))
    assert good.error is None and int(good.counts["count"].sum()) == 483
    assert good.counts.coverage is not None and len(good.counts.quality) == 1
    assert sum(int(meta["count"]) for _, meta, _ in good.parts) == 483
    bad = pickle.loads(pickle.dumps(load_unit(TEST_DATA / "README.md", "police.uk", None, False)))
    assert bad.counts is None and bad.error.startswith(str(TEST_DATA / "README.md"))
    unknown = load_unit(street, "no-such-source", None, False)
    assert "no source kind 'no-such-source'" in unknown.error


def test_the_dask_read_is_the_pandas_read(tmp_path, client):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY, *SOURCES[2:]])  # two police.uk folders and a Home Office table
    # A re-downloaded month leaves a retired file behind, and a crashed refresh some debris: never read.
    redownload = tmp_path / "redownload" / "2017-01"
    redownload.mkdir(parents=True)
    street = CITY / "2017-01" / "2017-01-city-of-london-street.csv"
    table = pd.read_csv(street, dtype=str, keep_default_na=False)
    table.iloc[5:].to_csv(redownload / street.name, index=False)
    store.refresh([redownload])
    assert store.manifest()["retired"]
    debris = store.root / "counts" / "src=police.uk" / "year=2024" / "part-999999-crashed.parquet"
    shutil.copy(next(debris.parent.glob("*.parquet")), debris)

    for filters in (
        {},
        {"forces": ["City of London Police"], "start": "2017-02"},
        {"areas": ["Bournemouth, Christchurch and Poole"]},
        {"forces": ["Dorset"]},  # one of the two forces of the 2024 file
    ):
        lazy = store.read(engine="dask", **filters)
        assert is_dask(lazy)
        eager = store.read(**filters)
        assert list(lazy.columns) == list(eager.columns)
        assert lazy.dtypes.to_dict() == eager.dtypes.to_dict()
        pd.testing.assert_frame_equal(frame_of(lazy.compute()), frame_of(eager))
    assert int(store.read(engine="dask")["count"].sum().compute()) == sum(
        int(meta["count"]) for meta in store.manifest()["partitions"].values()
    )
    few = {"columns": ["force", "count"], "areas": ["City of London"], "start": "2017-02"}
    pd.testing.assert_frame_equal(frame_of(store.read(engine="dask", **few).compute()), frame_of(store.read(**few)))
    assert set(store.read(engine="dask", forces=["Dorset"])["force"].unique().compute()) == {"Dorset"}
    dorset = {"columns": ["count"], "forces": ["Dorset"]}  # filtered on a column it does not return
    lazy = store.read(engine="dask", **dorset).compute()
    pd.testing.assert_frame_equal(frame_of(lazy), frame_of(store.read(**dorset)))
    assert store.read(**dorset)["count"].sum() == store.read(forces=["Dorset"])["count"].sum()
    empty = cs.Store(tmp_path / "empty")
    empty.root.mkdir()
    assert len(empty.read(engine="dask").compute()) == 0
    with pytest.raises(cs.StoreError, match="engine='polars'"):
        store.read(engine="polars")


def test_the_metrics_sum_a_dask_read_on_the_cluster(tmp_path, client):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    lazy, eager = store.read(engine="dask"), store.read()
    collected = collect(lazy)
    assert not is_dask(collected)
    pd.testing.assert_frame_equal(frame_of(collected), frame_of(eager))
    pd.testing.assert_frame_equal(collected.coverage, eager.coverage)
    assert collected.quality == eager.quality
    for options in ({"by": "area_name"}, {"by": "force"}):
        periods = {"base": ("2017-01", "2017-01"), "current": ("2017-03", "2017-03")}
        on_dask = cs.compare_years(lazy, **periods, **options)
        on_pandas = cs.compare_years(eager, **periods, **options)
        pd.testing.assert_frame_equal(on_dask, on_pandas)
        assert on_dask.attrs == on_pandas.attrs
    city = {"areas": ["City of London"]}
    pd.testing.assert_frame_equal(cs.monthly_trend(lazy, **city), cs.monthly_trend(eager, **city))

    tables = cs.Store(tmp_path / "tables")  # CSP-level published counts: two financial years
    tables.refresh([cs.datasets.path("scenario-csp")])
    lazy, eager = tables.read(engine="dask"), tables.read()
    pd.testing.assert_frame_equal(cs.rates(lazy, year="2017/18"), cs.rates(eager, year="2017/18"))
    years = {"base": "2016/17", "current": "2017/18"}
    pd.testing.assert_frame_equal(
        cs.compare_years(lazy, **years, within="West Midlands"),
        cs.compare_years(eager, **years, within="West Midlands"),
    )
    parts = {"area": "Wolverhampton", **years, "level": "ons_line"}
    pd.testing.assert_frame_equal(cs.contributions(lazy, **parts), cs.contributions(eager, **parts))


def test_cli_refresh_on_a_scheduler(tmp_path, client, capsys):
    root = tmp_path / "store"
    address = client.scheduler.address
    assert main(["refresh", str(CITY), "--store", str(root), "--scheduler", address]) == EXIT_OK
    assert "ingested 3 files (1,795 records)" in capsys.readouterr().out
    assert client.status == "running"  # the command closed its own client, not the cluster


def test_cli_says_when_the_cluster_cannot_be_used(tmp_path, capsys, monkeypatch):
    root = tmp_path / "store"
    assert main(["refresh", str(CITY), "--store", str(root), "--scheduler", "nonsense://nowhere"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("crimestats: no Dask scheduler at nonsense://nowhere") and "Traceback" not in err
    assert not root.exists()
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask were not installed
    assert main(["refresh", str(CITY), "--store", str(root), "--scheduler", "tcp://127.0.0.1:8786"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "distributed is not installed" in err and "pip install 'crimestats[dask]'" in err


def test_the_snippets_of_docs_distributed_run(tmp_path, monkeypatch):
    """Every Python block of docs/distributed.md, in order, in one namespace (DuckDB and Polars when installed)."""
    import importlib.util
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "distributed.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        engine = re.match(r"import (duckdb|polars)", block)
        if engine and importlib.util.find_spec(engine.group(1)) is None:
            continue  # not a crimestats dependency; tried where installed
        exec(compile(block, "docs/distributed.md", "exec"), namespace)


def test_the_dask_read_leaves_out_a_month_dead_in_a_file_of_an_earlier_store(tmp_path, client):
    del client  # the Dask read needs no cluster, but runs on one here
    from tests.store.test_compact import CITY, legacy_replaced_january

    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    legacy_replaced_january(store, tmp_path)  # January re-published: dead in the shared file
    lazy = store.read(engine="dask")
    assert int(lazy["count"].sum().compute()) == int(store.read()["count"].sum())
    pd.testing.assert_frame_equal(frame_of(lazy.compute()), frame_of(store.read()))


def test_a_dask_read_of_some_months_of_a_file_has_the_coverage_of_those_months(tmp_path, client):
    del client
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])  # one file: a force-year of three months
    lazy, eager = store.read(engine="dask", start="2017-02", end="2017-02"), store.read(start="2017-02", end="2017-02")
    assert set(lazy.coverage["period_start"].dt.strftime("%Y-%m")) == {"2017-02"}
    pd.testing.assert_frame_equal(lazy.coverage, eager.coverage)
