"""Force-year files encoded ahead (:mod:`crimestats.store.ahead`) are used only when the write would encode the same."""

from __future__ import annotations

from concurrent.futures import Future

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.store import ahead as ahead_module
from crimestats.store import compact
from crimestats.store.ahead import FilesAhead
from crimestats.store.compact import group_folder
from tests.conftest import TEST_DATA
from tests.store.test_loading import _stored


class _Now:
    """An executor that runs what it is given at once, and counts it."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, function, *args):
        self.submitted += 1
        future: Future = Future()
        future.set_result(function(*args))
        return future


def _part(force: str, month: str, dataset: str = "counts") -> tuple[str, dict, object]:
    meta = {"dataset": dataset, "src": "police.uk", "force": force, "month": month}
    return f"{dataset}/src=police.uk/pfa={force}/month={month}", meta, object()


units = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["Kent", "Essex"]), st.sampled_from(["2021-01", "2021-07", "2022-03", "2023-11"])),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(units=units, shared_min=st.sampled_from([1, 3, 100]))
def test_an_encoding_made_ahead_is_used_only_for_the_members_the_write_has(units, shared_min):
    """Whatever order units come in, a force-year's file is the encoding of its final members, in month order."""
    pool = _Now()
    ahead = FilesAhead(pool)
    members: dict[str, list[tuple[str, str, object]]] = {}
    seen: set[str] = set()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compact, "SHARED_WRITE_MIN", shared_min)
        patch.setattr(ahead_module, "arrow_tables", lambda groups: [id(rows) for rows in groups])
        patch.setattr(ahead_module, "encode_shared", lambda tables: tuple(tables))
        for unit in units:
            parts = [_part(force, month) for force, month in unit if (force, month) not in seen]
            seen |= set(unit)  # a partition claimed twice in a refresh is refused (claims)
            ahead.add(parts)
            for key, meta, rows in parts:
                members.setdefault(group_folder(meta), []).append((meta["month"], key, rows))
    for folder, found in members.items():
        final = [(key, rows) for _, key, rows in sorted(found, key=lambda member: member[0])]
        made = ahead.encoding(folder, final)
        if made is not None:
            assert made.result() == tuple(id(rows) for _, rows in final)
    assert pool.submitted <= len(members)  # a force-year is encoded ahead at most once
    if sum(len(parts) for parts in members.values()) < shared_min:
        assert pool.submitted == 0  # files are shared only from SHARED_WRITE_MIN partitions on


def test_years_are_encoded_once_a_later_year_arrives(monkeypatch):
    monkeypatch.setattr(compact, "SHARED_WRITE_MIN", 4)
    monkeypatch.setattr(ahead_module, "arrow_tables", lambda groups: list(groups))
    monkeypatch.setattr(ahead_module, "encode_shared", lambda tables: b"encoded")
    pool = _Now()
    ahead = FilesAhead(pool)
    january = _part("kent", "2021-01")
    ahead.add([january])
    ahead.add([_part("essex", "2021-01")])
    ahead.add([_part("kent", "2022-01")])
    assert pool.submitted == 0  # fewer partitions than a write shares files for (SHARED_WRITE_MIN)
    ahead.add([_part("essex", "2022-01")])
    assert pool.submitted == 2  # the 2021 force-years, now that 2022 has come and files will be shared
    ahead.add([_part("kent", "2023-01", "records"), _part("kent", "2023-01")])
    assert pool.submitted == 4  # the 2022 ones (records are no force-year file's)
    kent_2021 = group_folder(january[1])
    assert ahead.encoding(kent_2021, [(january[0], january[2])]).result() == b"encoded"
    assert ahead.encoding(kent_2021, [(january[0], object())]) is None  # not those rows
    assert ahead.encoding(group_folder(_part("kent", "2023-01")[1]), []) is None  # the last year: not ahead


def test_a_late_month_sends_its_year_back_to_the_write(monkeypatch):
    monkeypatch.setattr(compact, "SHARED_WRITE_MIN", 1)
    monkeypatch.setattr(ahead_module, "arrow_tables", lambda groups: list(groups))
    monkeypatch.setattr(ahead_module, "encode_shared", lambda tables: b"encoded")
    pool = _Now()
    ahead = FilesAhead(pool)
    january, june = _part("kent", "2021-01"), _part("kent", "2021-06")
    ahead.add([january])
    ahead.add([_part("kent", "2022-01")])
    folder = group_folder(january[1])
    assert ahead.encoding(folder, [(january[0], january[2])]) is not None
    ahead.add([june])  # out of order: 2021 was encoded without June
    assert ahead.encoding(folder, [(january[0], january[2]), (june[0], june[2])]) is None
    ahead.add([_part("kent", "2023-01")])
    assert pool.submitted == 2  # 2022 now; 2021 is not encoded ahead a second time
    assert ahead.encoding(folder, [(january[0], january[2]), (june[0], june[2])]) is None


def test_a_refresh_with_files_encoded_ahead_stores_what_one_without_stores(tmp_path, monkeypatch):
    monkeypatch.setattr(compact, "SHARED_WRITE_MIN", 2)
    folders = sorted(p for p in (TEST_DATA / "police-uk").iterdir() if p.is_dir())  # 2017, 2022, 2024, then 2011
    used = []
    encoding = FilesAhead.encoding

    def spy(self, folder, members):
        made = encoding(self, folder, members)
        used.append(made is not None)
        return made

    monkeypatch.setattr(FilesAhead, "encoding", spy)
    with_ahead = cs.Store(tmp_path / "ahead").refresh(folders)
    assert sum(used) >= 2 and not all(used)  # some force-years came from ahead, the last ones from the write
    monkeypatch.setattr(FilesAhead, "add", lambda self, parts: None)
    used.clear()
    without = cs.Store(tmp_path / "without").refresh(folders)
    assert not any(used)
    assert with_ahead.to_dict() | {"store": None} == without.to_dict() | {"store": None}
    (manifest, places, counts), (manifest_without, places_without, counts_without) = (
        _stored(tmp_path / "ahead"),
        _stored(tmp_path / "without"),
    )
    assert manifest == manifest_without
    assert places == places_without
    pd.testing.assert_frame_equal(counts, counts_without)
