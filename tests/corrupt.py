"""Corrupted copies of the committed real samples, for the corruption suite (``tests/test_corruption.py``).

Each corruption is a pure function ``bytes -> bytes`` (or of a folder), so that hypothesis can
draw its parameters and shrink a failure to the smallest offset or count. The samples are cut
small (a few hundred rows) so that a hundred reads stay well under a minute.

- :func:`truncate`: the file cut at a byte offset (a partial download).
- :func:`remove_quote`: one quote character removed (a field left open, swallowing lines).
- :func:`duplicate_lines`: data lines repeated (a row pasted twice).
- :func:`rename_column`: a header name changed (a new edition).
- :func:`swap_month`: rows of one month relabelled as another (a mislabelled file).
- :func:`reencode`: the text in UTF-16 or Latin-1 (a spreadsheet's "Save as").
- :func:`insert_nuls`: a run of NUL bytes (a disk or transfer fault).
- :func:`extra_field`: a field appended to one line.
- :func:`blank_lines`: empty lines inserted.
- :func:`copy_folder`: the same file twice in a folder tree.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from pathlib import Path

from tests.conftest import REPO, TEST_DATA

SAMPLES = REPO / "src" / "crimestats" / "data" / "samples"
MAPPING = REPO / "data" / "raw" / "mappings" / "west-midlands-extract.toml"

#: Real street files: City of London (LF), Kent and Leicestershire (CRLF; quoted locations with commas).
STREET_FILES = {
    "city": TEST_DATA / "police-uk" / "city-of-london" / "2017-01" / "2017-01-city-of-london-street.csv",
    "kent": TEST_DATA / "police-uk" / "mixed-2022-06" / "2022-06" / "2022-06-kent-street.csv",
    "leicestershire": TEST_DATA / "police-uk" / "quoted-2022-06" / "2022-06" / "2022-06-leicestershire-street.csv",
}


def street_sample(name: str) -> tuple[str, bytes]:
    """A real street file's name and bytes."""
    path = STREET_FILES[name]
    return path.name, path.read_bytes()


def home_office_sample(rows: int = 300) -> bytes:
    """The header and first ``rows`` rows of the bundled Home Office force table (real)."""
    return b"".join((SAMPLES / "prc-pfa-mar2013-onwards-tables201718.csv").read_bytes().splitlines(True)[: rows + 1])


def extract_sample(rows: int = 800) -> bytes:
    """The header and first ``rows`` rows of the bundled scenario extract."""
    with gzip.open(SAMPLES / "west-midlands-extract-2016-2018.csv.gz", "rb") as handle:
        lines = [handle.readline() for _ in range(rows + 1)]
    return b"".join(lines)


# --- corruptions -------------------------------------------------------------------------------


def truncate(data: bytes, fraction: float) -> bytes:
    """Cut at a byte offset (``fraction`` of the length, after the header)."""
    header = data.index(b"\n") + 1
    return data[: header + int((len(data) - header) * fraction)]


def remove_quote(data: bytes, which: int) -> bytes:
    """Remove the ``which``-th quote character (modulo their number); unchanged when there is none."""
    positions = [i for i, byte in enumerate(data) if byte == ord('"')]
    if not positions:
        return data
    at = positions[which % len(positions)]
    return data[:at] + data[at + 1 :]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(True)


def duplicate_lines(data: bytes, start: int, count: int) -> bytes:
    """Repeat ``count`` data lines from ``start`` (modulo the data rows) at the end."""
    lines = _lines(data)
    start = 1 + start % (len(lines) - 1)
    repeated = lines[start : start + count]
    if not lines[-1].endswith(b"\n"):
        lines[-1] += b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    return b"".join(lines + repeated)


def rename_column(data: bytes, which: int, new_name: str) -> bytes:
    """Rename the ``which``-th header field (modulo their number)."""
    lines = _lines(data)
    ending = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    fields = next(csv.reader([lines[0].decode("utf-8-sig").rstrip("\r\n")]))
    fields[which % len(fields)] = new_name
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    lines[0] = out.getvalue().encode() + ending
    return b"".join(lines)


def swap_month(data: bytes, old: str, new: str, rows: int) -> bytes:
    """Relabel the first ``rows`` data rows of month ``old`` as month ``new``."""
    lines = _lines(data)
    for number in range(1, min(rows + 1, len(lines))):
        lines[number] = lines[number].replace(f",{old},".encode(), f",{new},".encode(), 1)
    return b"".join(lines)


def reencode(data: bytes, encoding: str) -> bytes:
    """The text re-encoded; for single-byte encodings an accented letter is put in a field first."""
    text = data.decode("utf-8-sig")
    if encoding in ("latin-1", "cp1252"):
        middle = text.index("\n", len(text) // 2) + 1
        text = text[:middle] + text[middle:].replace(",", ",Caf\u00e9 ", 1)
    return text.encode(encoding)


def insert_nuls(data: bytes, fraction: float, count: int) -> bytes:
    """Insert ``count`` NUL bytes at ``fraction`` of the length."""
    at = int(len(data) * fraction)
    return data[:at] + bytes(count) + data[at:]


def extra_field(data: bytes, line: int) -> bytes:
    """Append a field to data line ``line`` (modulo the data rows)."""
    lines = _lines(data)
    number = 1 + line % (len(lines) - 1)
    body = lines[number].rstrip(b"\r\n")
    lines[number] = body + b",extra" + lines[number][len(body) :]
    return b"".join(lines)


def blank_lines(data: bytes, line: int, count: int) -> bytes:
    """Insert ``count`` empty lines before data line ``line`` (modulo the data rows)."""
    lines = _lines(data)
    number = 1 + line % (len(lines) - 1)
    ending = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    return b"".join(lines[:number] + [ending] * count + lines[number:])


def copy_folder(folder: Path, copy_as: str = "copy") -> Path:
    """The folder's contents copied again under ``copy_as/`` inside it (the same files reached twice)."""
    target = folder / copy_as
    for path in [p for p in folder.rglob("*") if p.is_file()]:
        destination = target / path.relative_to(folder)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return folder


# --- what a file holds, counted independently of the readers -----------------------------------


def data_rows(data: bytes) -> list[list[str]]:
    """The file's data rows as Python's csv module reads them (blank lines left out)."""
    text = data.decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    return rows[1:]


def well_formed_rows(data: bytes) -> list[list[str]] | None:
    """The data rows when the file is a well-formed table, else None.

    Well formed: UTF-8 text without NULs, every row on its own line with the header's number of
    fields. A reader may load only such a file (or must report what it could not use): a cut
    row, a swallowed line or a field too many that loads is the silent loss issue 16 is about.
    """
    try:
        text = data.decode("utf-8-sig")
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except (UnicodeDecodeError, csv.Error):
        return None
    if not rows or "\x00" in text:
        return None
    width = len(rows[0])
    if any(len(row) != width or any("\n" in f or "\r" in f for f in row) for row in rows):
        return None
    return rows[1:]
