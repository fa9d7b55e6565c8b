"""The built-in source kinds: declared without their readers, each reader found when first called."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys

import pytest

import crimestats as cs
from crimestats import source_kinds
from crimestats.source_kinds import BUILTINS, Deferred

HOOKS = ("read", "read_records", "ingest", "ingest_many", "ingest_batches")


def test_the_builtins_are_the_registered_kinds_in_order():
    registered = {source.name: source for source in cs.sources.all_sources()}
    assert [source.name for source in BUILTINS] == [name for name in registered if name in {s.name for s in BUILTINS}]
    assert all(registered[source.name] is source for source in BUILTINS)


@pytest.mark.parametrize("source", BUILTINS, ids=lambda source: source.name)
def test_every_deferred_hook_names_a_function_that_exists(source):
    for hook in HOOKS:
        deferred = getattr(source, hook)
        if deferred is None:
            continue
        assert isinstance(deferred, Deferred), (source.name, hook)
        assert callable(getattr(importlib.import_module(deferred.module), deferred.name)), repr(deferred)


@pytest.mark.parametrize("source", BUILTINS, ids=lambda source: source.name)
def test_recognising_and_skipping_need_no_reader(source):
    # Plain functions of io/layouts.py: telling what a file holds imports no pandas.
    assert source.recognise.__module__ == "crimestats.io.layouts"
    assert source.skip is None or source.skip.__module__ == "crimestats.io.layouts"


def test_a_deferred_reader_reads():
    counts = source_kinds.POLICE_UK.read(cs.datasets.path("police-uk-city-of-london-2017-01"))
    assert int(counts["count"].sum()) == 483


@pytest.mark.parametrize("source", BUILTINS, ids=lambda source: source.name)
def test_a_deferred_reader_accepts_the_options_its_function_accepts(source):
    options = {"boundaries": "2019", "trust_content": True, "sheet": "Table P1", "mapping": None}
    assert cs.sources.options_for(source, options) == cs.sources.options_for(
        dataclasses.replace(source, read=source.read.function), options
    )
    assert cs.sources.options_for(source, options) != options  # no reader takes all of them


def test_a_kind_registered_before_the_builtins_load_replaces_the_builtin(tmp_path):
    # In a fresh interpreter, where nothing has asked the registry for the built-ins yet.
    code = (
        "import json\n"
        "from crimestats import sources\n"
        "mine = sources.Source(name='police.uk', label='mine', period_months=1, has_records=True,\n"
        "                      recognise=lambda probe: 0, read=lambda path: None)\n"
        "with sources.registered(mine):\n"
        "    inside = sources.get('police.uk').label\n"
        "after = sources.get('police.uk').label\n"
        "sources.register(mine)\n"
        "print(json.dumps([inside, after, sources.get('police.uk').label, [s.name for s in sources.all_sources()]]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    inside, after, replaced, names = json.loads(done.stdout)
    assert (inside, after, replaced) == ("mine", "data.police.uk", "mine")
    assert names == [source.name for source in BUILTINS]
