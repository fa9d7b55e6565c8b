"""Refreshing the store: plan, load, write partitions, swap the manifest, sweep.

This module plans (which files are new or changed) and sweeps; :mod:`crimestats.store.commit`
reads what the plan found and writes it, imported only then: a refresh that finds nothing new
imports neither pandas nor the readers, so it starts in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from .. import sources
from ..exceptions import CrimestatsError, SourceFormatError
from .atomic import store_error
from .lock import refresh_lock
from .manifest import (
    MANIFEST,
    PARTITION_FIELDS,
    content_digest,
    digest_algorithm,
    entry_digest,
    read_manifest,
    write_manifest,
)

logger = logging.getLogger(__name__)


@dataclass
class RefreshResult:
    """What a refresh did (or, with ``dry_run``, would do)."""

    store: str
    dry_run: bool = False
    ingested: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    partitions_written: int = 0
    partitions_replaced: int = 0
    #: Source-years rewritten into one file by the compaction that followed the refresh (0: none ran).
    compacted: int = 0
    #: Partitions replaced from a later edition of the same published table (a revision).
    revisions: list[dict[str, Any]] = field(default_factory=list)
    aborted: bool = False

    @property
    def ok(self) -> bool:
        """True when no source failed."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for schedulers."""
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        """One line: what was ingested, skipped, failed and written."""
        verb = "would ingest" if self.dry_run else "ingested"
        rows = sum(item.get("count", 0) for item in self.ingested)
        line = (
            f"{self.store}: {verb} {len(self.ingested)} files ({rows:,} records), skipped "
            f"{len(self.skipped)} unchanged, {len(self.failed)} failed"
        )
        if not self.dry_run:
            line += f"; {self.partitions_written} partitions written, {self.partitions_replaced} replaced"
            if self.revisions:
                editions = sorted({item["edition"] for item in self.revisions})
                line += f" ({len(self.revisions)} by a newer edition ending {', '.join(editions)}: a revision)"
        if self.aborted:
            line += "; aborted (--strict): nothing written"
        return line


#: A :attr:`Pending.digest` the reading takes: the unit's reader digests the bytes it reads
#: (:attr:`crimestats.sources.UnitBatch.digests`), so the file is not read a second time to be hashed.
FROM_READ: Final = object()


@dataclass
class Pending:
    """A unit to ingest: a file the registry recognised whose content the store does not hold.

    ``digest`` is its content digest, a future of it (hashed beside the reading), or
    :data:`FROM_READ` (taken by its reader; hashed from disk only if the reader did not).
    """

    key: str
    unit: sources.Unit
    size: int
    digest: str | Future | object
    mtime_ns: int | None = None

    @property
    def source(self) -> str:
        """The name of the source kind it holds."""
        return self.unit.source.name


def refresh_store(
    root: Path,
    paths: Sequence[str | Path],
    *,
    mapping: str | Path | Mapping[str, Any] | None = None,
    strict: bool = False,
    dry_run: bool = False,
    records: bool = False,
    progress: bool = False,
    client: Any = None,
) -> RefreshResult:
    """Bring the store at ``root`` up to date with ``paths`` (see :meth:`crimestats.Store.refresh`)."""
    result = RefreshResult(store=str(root), dry_run=dry_run)
    created = not root.exists()
    try:
        with refresh_lock(root):
            try:
                _refresh_locked(
                    root,
                    paths,
                    result,
                    mapping=mapping,
                    strict=strict,
                    records=records,
                    progress=progress,
                    client=client,
                )
            finally:
                if created and not (root / MANIFEST).exists():  # still under the lock: no other refresh writes
                    for child in root.iterdir():
                        _remove_empty_tree(child)
    finally:
        if created and not (root / MANIFEST).exists():
            # A refresh that stored nothing leaves no empty store folder behind. After the release, so only
            # when no other refresh has put its lock file in it meanwhile.
            with contextlib.suppress(OSError):
                root.rmdir()
    return result


def _refresh_locked(
    root: Path, paths, result: RefreshResult, *, mapping, strict, records, progress, client=None
) -> None:
    manifest = read_manifest(root)
    touched: dict[str, tuple[int, int]] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="crimestats-hash") as hasher:  # digests release the GIL
        _refresh_planned(root, paths, result, manifest, touched, hasher, mapping, strict, records, progress, client)


def _refresh_planned(root, paths, result, manifest, touched, hasher, mapping, strict, records, progress, client):
    # Units read in batches here (not on a cluster, not for records) have their bytes digested by the reader.
    read_digests = _digested_when_read if client is None and not records else None
    pending = _plan(paths, manifest, result, mapping, touched, None if result.dry_run else hasher, read_digests)
    if result.dry_run:
        result.ingested = [{"file": p.key, "source": p.source, "size": p.size} for p in pending]
        return
    loaded: list = []
    if pending:
        # pandas, pyarrow and the readers are imported only when there is something to read.
        from .commit import load_pending

        loaded, revisions = load_pending(
            pending, manifest, result, mapping=mapping, records=records, progress=progress, client=client
        )
    if strict and result.failed:
        result.aborted = True
        return
    if loaded:
        from .commit import write_loaded

        result.revisions = revisions
        # What the sweep goes by: the manifest just written (not parsed again from disk).
        current = write_loaded(root, manifest, loaded, result, touched)
    elif manifest["retired"] or touched:
        # Files the previous refresh replaced were kept for readers holding the manifest before it; no
        # reader needs them once a later refresh has run.
        current = {**manifest, "retired": {}, "files": retouched(manifest["files"], touched)}
        try:
            write_manifest(root, current)
        except OSError as error:
            raise store_error(error, root, "writing the manifest") from error
    else:  # a refresh that wrote nothing sweeps by the manifest it read (no second parse of a big manifest)
        current = manifest
    _sweep(root, current)


def retouched(files: dict[str, Any], touched: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """``files`` with the size and modification time of the files in ``touched`` brought up to date."""
    files = dict(files)
    for key, (size, mtime_ns) in touched.items():
        if key in files:
            files[key] = {**files[key], "size": size, "mtime_ns": mtime_ns}
    return files


def record_failure(result: RefreshResult, file: str | None, source: str | None, error: CrimestatsError | str) -> None:
    """Record that ``file`` failed, as one line in ``result.failed`` (and in the log)."""
    message = " ".join(str(error).split())  # one line, whatever the reader wrote
    result.failed.append({"file": file, "source": source, "error": message})
    logger.info("%s", message)  # the result carries it; the CLI prints it once


def as_source_error(path: Path, error: BaseException) -> CrimestatsError:
    """The :class:`CrimestatsError` for what reading ``path`` raised, naming the file and the cause."""
    if isinstance(error, CrimestatsError):
        return error
    if isinstance(error, PermissionError):
        problem = "cannot be read: permission denied"
    elif isinstance(error, FileNotFoundError) and error.filename in (None, str(path)):
        problem = "disappeared while the refresh ran"
    elif isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename not in (None, str(path)) else ""
        problem = f"cannot be read: {error.strerror or error}{where}"
    elif isinstance(error, EOFError | zlib.error):
        problem = f"compressed data is corrupt or cut short (truncated download?): {error}"
    elif isinstance(error, zipfile.BadZipFile):
        problem = f"not a valid zip archive or workbook (corrupt or renamed?): {error}"
    elif isinstance(error, UnicodeDecodeError):
        problem = f"not UTF-8 text at byte {error.start} (wrong encoding or a binary file?)"
    elif isinstance(error, KeyError):
        problem = f"expected column or field {error} is missing"
    else:
        problem = f"cannot be parsed: {type(error).__name__}: {error}"
    return SourceFormatError(path, problem)


class _Keys:
    """Files' store keys (their resolved paths) with their ``stat``: one system call for most files.

    The resolved path of ``folder/name`` is the resolved folder's, then ``name``, when ``name`` is
    no symbolic link; each folder is resolved once (a national download is thousands of files in
    a few hundred folders), not each file's every parent again.
    """

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}
        #: What the plan found for each path (asked twice of a file a stored one may match: once
        #: to tell whether it is unchanged, once to plan it).
        self._found: dict[Path, tuple[str, os.stat_result]] = {}

    def __call__(self, path: Path) -> tuple[str, os.stat_result]:
        """``path``'s key and ``stat`` (raises OSError as ``stat`` does)."""
        known = self._found.get(path)
        if known is not None:
            return known
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            key, info = str(path.resolve()), path.stat()
        else:
            folder, name = os.path.split(path if path.is_absolute() else os.path.join(os.getcwd(), path))
            real = self._folders.get(folder)
            if real is None:
                real = self._folders[folder] = os.path.realpath(folder)
            key = os.path.join(real, name)
        self._found[path] = (key, info)
        return key, info


def _unchanged_source(stored: dict[str, Any], path: Path, keys: _Keys) -> str | None:
    """The source kind of a file the store holds at ``path`` with the same size and modification time, else None."""
    try:
        key, info = keys(path)
    except OSError:
        return None  # the plan reports it
    entry = stored.get(key)
    if entry is None or entry.get("mtime_ns") is None:
        return None
    return (
        entry.get("source_type") if (entry.get("size"), entry["mtime_ns"]) == (info.st_size, info.st_mtime_ns) else None
    )


def _digested_when_read(unit: sources.Unit) -> bool:
    """Whether a unit's reader digests its bytes as it reads them: a plain CSV read in batches (data.police.uk's)."""
    return unit.source.ingest_batches is not None and unit.path.suffix.lower() == ".csv"


def _plan(
    paths,
    manifest,
    result: RefreshResult,
    mapping,
    touched: dict | None = None,
    hasher: Executor | None = None,
    read_digests: Callable[[sources.Unit], bool] | None = None,
) -> list[Pending]:
    """Units to ingest: every file the registry recognises, less those whose content the store holds.

    A file at a stored path with the stored size and modification time is unchanged without
    being read; any other is hashed. ``touched`` collects stored files found unchanged by their
    hash whose modification time moved (recorded, so the next refresh need not hash them). With a
    ``hasher``, a file whose size no stored file has is hashed there, meanwhile (its digest is then
    a future, resolved when the file has been read), or, where ``read_digests`` says its reader
    digests what it reads, by its reader (:data:`FROM_READ`).
    """
    stored = manifest["files"]
    known = {entry_digest(meta): key for key, meta in stored.items()}
    # Entries of another algorithm (an older store's SHA-256) are matched by that algorithm too.
    current = digest_algorithm()
    others = sorted({digest.split(":", 1)[0] for digest in known} - {current})
    stored_sizes = {meta.get("size") for meta in stored.values()}
    keys = _Keys()
    # An empty store holds no file unchanged: no path is resolved to look for one.
    held = (lambda path: _unchanged_source(stored, path, keys)) if stored else None
    plan = sources.expand(paths, mapping=mapping, known=held)
    if not paths:
        record_failure(result, None, None, SourceFormatError(None, "no sources given: nothing to refresh from"))
    for file, reason in plan.skipped:
        if reason != "not a data file":
            result.skipped.append({"file": file, "reason": reason})
    for file, error in plan.failed:
        record_failure(result, file, None, error)
    pending = []
    for unit in plan.units:
        try:
            key, info = keys(unit.path)
        except OSError as error:
            record_failure(result, str(unit.path.resolve()), unit.source.name, as_source_error(unit.path, error))
            continue
        try:
            entry = stored.get(key)
            # The same path with the same size and modification time is the file the store holds: no hashing.
            if entry is not None and (entry.get("size"), entry.get("mtime_ns")) == (info.st_size, info.st_mtime_ns):
                result.skipped.append({"file": key, "reason": f"unchanged (as ingested from {key})"})
                continue
            size = info.st_size
            if size not in stored_sizes and hasher is not None:
                # No stored file has this size, so none has this content: hashed as it is read, or beside.
                if read_digests is not None and read_digests(unit):
                    later: Future | object = FROM_READ
                else:
                    later = hasher.submit(content_digest, unit.path)
                pending.append(Pending(key, unit, size, later, info.st_mtime_ns))
                continue
            digest = content_digest(unit.path, current)
            same = digest if digest in known else None
            for algorithm in others if same is None else ():
                other = content_digest(unit.path, algorithm)
                same = other if other in known else None
                if same is not None:
                    break
        except OSError as error:
            record_failure(result, key, unit.source.name, as_source_error(unit.path, error))
            continue
        if same is not None:
            if known[same] == key and touched is not None:
                touched[key] = (info.st_size, info.st_mtime_ns)
            result.skipped.append({"file": key, "reason": f"unchanged (as ingested from {known[same]})"})
            continue
        known[digest] = key
        pending.append(Pending(key, unit, size, digest, info.st_mtime_ns))
    return pending


def _sweep(root: Path, manifest) -> None:
    """Delete data files the manifest neither names nor keeps (replaced earlier, or left by a crashed refresh)."""
    base = str(root)
    named = {os.path.normpath(os.path.join(base, meta["file"])) for meta in manifest["partitions"].values()}
    named |= {os.path.normpath(os.path.join(base, file)) for file in manifest["retired"]}
    for name in PARTITION_FIELDS:
        folder = root / name
        if not folder.is_dir():
            continue
        # One walk, deepest folders first, so a folder emptied here is removed in the same pass.
        for directory, _subfolders, filenames in os.walk(folder, topdown=False):
            for filename in filenames:
                path = os.path.join(directory, filename)
                if os.path.normpath(path) not in named:
                    _unlink(Path(path))
            with contextlib.suppress(OSError):
                os.rmdir(directory)  # fails, harmlessly, when something is still in it
    for leftover in root.glob(".*.tmp"):
        _unlink(leftover)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:  # the refresh itself succeeded; the debris waits for the next one
        logger.warning("%s: cannot delete (%s); the next refresh tries again", path, error.strerror or error)


def _remove_empty_tree(folder: Path) -> None:
    """Remove ``folder`` and the folders under it that are empty (never a file)."""
    if not folder.is_dir():
        return
    for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()
