"""The refresh lock: never two holders, and nothing a dead refresh leaves can jam it."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import crimestats as cs
from crimestats.store import lock as lock_module
from crimestats.store.lock import LOCK, RefreshLock, refresh_lock
from tests.conftest import TEST_DATA

JANUARY = TEST_DATA / "police-uk" / "city-of-london" / "2017-01"

# Each worker takes the lock as often as it can for a second; while holding it, it appends "start"
# and "end" lines to a shared log. Every fourth time it "dies" holding the lock: its descriptor is
# closed (as the kernel does for a killed process) without the file being deleted, so the others
# find a stale lock file and race to take it over.
WORKER = textwrap.dedent(
    """
    import os, random, sys, time
    from pathlib import Path
    from crimestats.exceptions import StoreLockedError
    from crimestats.store.lock import RefreshLock

    root, log, ready = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    me, held, rng = os.getpid(), 0, random.Random(os.getpid())
    (ready / str(me)).touch()
    while not (ready / "go").exists():
        time.sleep(0.001)
    until = time.time() + 1.5
    while time.time() < until:
        lock = RefreshLock(root)
        try:
            lock.acquire()
        except StoreLockedError:
            time.sleep(rng.random() * 0.001)
            continue
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(out, f"start {me} {lock.took_over is not None}\\n".encode())
        time.sleep(rng.random() * 0.002)
        os.write(out, f"end {me}\\n".encode())
        os.close(out)
        held += 1
        if held % 4 == 0:
            os.close(lock.descriptor)  # die holding it
            lock.descriptor = None
        else:
            lock.release()
    """
)


def test_many_processes_and_stale_locks_never_give_two_holders(tmp_path):
    root, log, ready = tmp_path / "store", tmp_path / "holders.log", tmp_path / "ready"
    root.mkdir()
    ready.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (root / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(), "since": "then"}))
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(log), str(ready)], stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    deadline = time.time() + 120
    while len(list(ready.iterdir())) < len(workers) and time.time() < deadline:
        time.sleep(0.05)
    (ready / "go").touch()
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
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
