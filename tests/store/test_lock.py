"""The refresh lock: never two holders, and nothing a dead refresh leaves can jam it."""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import time

import pytest

import crimestats as cs
from crimestats.store import lock as lock_module
from crimestats.store.lock import LOCK, RefreshLock, refresh_lock
from tests.conftest import TEST_DATA

JANUARY = TEST_DATA / "police-uk" / "city-of-london" / "2017-01"


def contend(root, log, go, seconds: float) -> None:
    """Take the lock as often as possible for ``seconds``, logging "start" and "end" lines while holding it.

    Every fourth time the worker "dies" holding the lock: its descriptor is closed (as the kernel does
    for a killed process) without the file being deleted, so the others find a stale lock file and
    race to take it over.
    """
    me, held, rng = os.getpid(), 0, random.Random(os.getpid())
    go.wait()
    until = time.time() + seconds
    while time.time() < until:
        lock = RefreshLock(root)
        try:
            lock.acquire()
        except cs.StoreLockedError:
            time.sleep(rng.random() * 0.001)
            continue
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(out, f"start {me} {lock.took_over is not None}\n".encode())
        time.sleep(rng.random() * 0.002)
        os.write(out, f"end {me}\n".encode())
        os.close(out)
        held += 1
        if held % 4 == 0:
            os.close(lock.descriptor)  # die holding it
            lock.descriptor = None
        else:
            lock.release()


def test_many_processes_and_stale_locks_never_give_two_holders(tmp_path):
    root, log = tmp_path / "store", tmp_path / "holders.log"
    root.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (root / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(), "since": "then"}))
    context = multiprocessing.get_context("fork")  # forked workers start at once, without importing anew
    go = context.Event()
    workers = [context.Process(target=contend, args=(root, log, go, 2.0)) for _ in range(8)]
    for worker in workers:
        worker.start()
    go.set()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    lines = log.read_text().splitlines()
    starts = lines[0::2]
    assert len(lines) % 2 == 0
    for start, end in zip(starts, lines[1::2], strict=True):  # every hold ends before the next begins
        assert start.split()[:2] == ["start", end.split()[1]] and end.startswith("end"), (start, end)
    assert len(starts) >= 40
    takeovers = sum(line.endswith("True") for line in starts)
    assert takeovers >= 10  # the stale lock at the start and those the dying holders left
    assert len({line.split()[1] for line in starts}) > 1


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "\x00" * 64,
        json.dumps({"lock": "flock", "pid": 1, "host": "another-host", "since": "2026-01-01T00:00:00Z"}),
        json.dumps({"lock": "flock", "pid": os.getpid(), "host": socket.gethostname(), "since": "now"}),
    ],
    ids=["empty", "unparsable", "nul-bytes", "foreign-host", "live-process-without-flock"],
)
def test_a_lock_file_nobody_holds_is_diagnosed_and_taken_over(tmp_path, caplog, content):
    root = tmp_path / "store"
    root.mkdir()
    (root / LOCK).write_text(content)
    with caplog.at_level(logging.WARNING, logger="crimestats.store.lock"):
        assert cs.Store(root).refresh([JANUARY]).ok
    assert "no process holds it" in caplog.text or "which no longer holds it" in caplog.text
    assert not (root / LOCK).exists()


def test_an_old_style_lock_of_a_live_process_is_respected_with_a_clear_message(tmp_path):
    root = tmp_path / "store"
    root.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = {"pid": sleeper.pid, "host": socket.gethostname(), "since": "then"}  # crimestats 0.1's format
        (root / LOCK).write_text(json.dumps(holder))
        with pytest.raises(cs.StoreLockedError, match=f"process {sleeper.pid} on this host, still running"):
            cs.Store(root).refresh([JANUARY])
        assert (root / LOCK).exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert cs.Store(root).refresh([JANUARY]).ok  # its process has gone: taken over


def test_a_held_lock_names_its_holder(tmp_path):
    root = tmp_path / "store"
    with refresh_lock(root):
        with pytest.raises(cs.StoreLockedError, match=f"process {os.getpid()} on {socket.gethostname()} since"):
            RefreshLock(root).acquire()
    assert not (root / LOCK).exists()


@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_at_lock_time_leaves_no_lock_behind(tmp_path, monkeypatch, existing):
    root = tmp_path / "store"
    if existing:
        cs.Store(root).refresh([JANUARY])

    def full(descriptor, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock_module, "_write_holder", full)
    with pytest.raises(cs.StoreError, match="disk full while writing the lock file"):
        cs.Store(root).refresh([JANUARY.parent])
    assert not (root / LOCK).exists()
    assert root.exists() == existing  # a new store's folder is not left behind either
    monkeypatch.undo()
    assert cs.Store(root).refresh([JANUARY.parent]).ok
