"""The compiled street-block scanner (``_streetscan.c``) against pyarrow's parse, the exact path it serves.

The scanner may decline any block (pyarrow then parses it); what it accepts it must read exactly as
pyarrow does: the same rows, dictionary values and codes, tallies and crime-ID hashes. Whole reads
must be the same with and without it.
"""

from __future__ import annotations

import hashlib
import re
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.io import street_blocks
from crimestats.io.crime_ids import crime_id_hashes
from tests.conftest import TEST_DATA

pytest.importorskip("crimestats.io._streetscan", reason="the compiled scanner is not built (no C compiler)")

HEADER = list(street_blocks.VARIABLE_MAP)
ROLES = street_blocks._ROLES
POLICE_UK = TEST_DATA / "police-uk"
SAMPLE = cs.datasets.path("police-uk-city-of-london-2017-01")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


# ---- the reference: pyarrow's parse of the same block ----------------------------------------------


def reference(data: bytes, header: list[str]) -> pa.Table:
    """pyarrow's parse of a block (dictionary columns as the reader asks for them), as the exact path does it.

    A quoted empty coordinate (``""``) is null to the scanner but a conversion error to pyarrow's
    float parse; the exact path then reads the coordinates as text (``street_blocks._parsed``), so
    here too, and every such coordinate must then be blank or a plain number.
    """
    wanted = [c for c in header if c in ROLES]
    kinds = {1: street_blocks.DICT, 2: pa.binary(), 3: pa.float64()}
    types = {c: kinds[ROLES[c]] for c in wanted}
    try:
        return street_blocks.parse(data, header, wanted, types)
    except pa.ArrowInvalid as error:
        assert "conversion error" in str(error).lower(), error
    table = street_blocks.parse(data, header, wanted, {**types, **{c: pa.string() for c in wanted if ROLES[c] == 3}})
    for c in wanted:
        if ROLES[c] == 3:
            assert all(v == "" or PLAIN_NUMBER.fullmatch(v) for v in table[c].to_pylist()), table[c]
    return table


def physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def first_appearance(values: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct values in order of first appearance, and each row's index into them."""
    distinct = list(dict.fromkeys(values))
    index = {v: k for k, v in enumerate(distinct)}
    return distinct, np.array([index[v] for v in values], dtype=np.int32)


def assert_scan_matches_pyarrow(data: bytes, header: list[str], scanned: street_blocks.Scanned) -> pa.Table:
    table = reference(data, header)
    assert scanned.rows == table.num_rows == physical_lines(data)
    names = [c for c in header if ROLES.get(c) == 1]
    assert list(scanned.columns) == names
    for name in names:
        distinct, expected = first_appearance(table[name].to_pylist())
        codes, values = scanned.columns[name]
        assert values == distinct, name
        np.testing.assert_array_equal(codes, expected, err_msg=name)
        counts, first = scanned.tallies[name]
        np.testing.assert_array_equal(counts, np.bincount(expected, minlength=len(distinct)))
        np.testing.assert_array_equal(first, [int(np.argmax(expected == k)) for k in range(len(distinct))])
    if "Crime ID" not in header:
        assert scanned.hashes is None and scanned.present is None
        return table
    ids = table["Crime ID"]
    np.testing.assert_array_equal(scanned.hashes, crime_id_hashes(ids, None))
    np.testing.assert_array_equal(scanned.present, [len(v) > 0 for v in ids.to_pylist()])
    keep = np.arange(table.num_rows) % 3 != 1
    np.testing.assert_array_equal(scanned.id_hashes(keep), crime_id_hashes(ids, keep))
    np.testing.assert_array_equal(scanned.id_hashes(None), scanned.hashes)
    return table


# ---- street-file-like blocks ------------------------------------------------------------------------

#: Values for each column: blanks, commas (to be quoted), non-ASCII UTF-8, repeats.
POOLS: dict[str, list[str]] = {
    "Crime ID": ["", _id("a"), _id("b"), _id("c"), "Môn," + _id("d")[:59]],  # the last: 64 bytes, a comma
    "Month": ["2017-01", "2022-06", ""],
    "Reported by": ["City of London Police", "North Wales Police", ""],
    "Falls within": ["City of London Police", "North Wales Police", "Heddlu Gogledd Cymru, Ynys Môn", ""],
    "Longitude": ["-0.111497", "51.518226", "0", "-3", "007", "12.50", ""],
    "Latitude": ["51.518226", "-0.5", "53", ""],
    "Location": ["On or near Fleet Street, EC4", 'On or near "Bank"', "No location", "", "Ynys Môn"],
    "LSOA code": ["E01000914", "W01000001", "E01000914 ", ""],
    "LSOA name": ["Camden 028B", "Ynys Môn 001A", ""],
    "Crime type": ["Burglary", "Other theft", "Violence and sexual offences", ""],
    "Last outcome category": ["Under investigation, pending", 'Status "unavailable"', ""],
    "Context": ["", "a,b", "’"],
}
#: Short free text: commas, spaces, non-ASCII (quotes only where a column is skipped).
TEXT = st.text(alphabet="ab ,-éô’Ω", max_size=5)
QUOTED_TEXT = st.text(alphabet='ab ,"-éô', max_size=5)


@st.composite
def fields(draw, column: str) -> bytes:
    role = ROLES.get(column, 0)
    if role in (1, 0) and draw(st.booleans()):
        value = draw(TEXT if role == 1 else QUOTED_TEXT)
    else:
        value = draw(st.sampled_from(POOLS[column]))
    if "," in value or '"' in value or draw(st.integers(0, 3)) == 0:
        return b'"' + value.replace('"', '""').encode() + b'"'
    return value.encode()


@st.composite
def plain_blocks(draw) -> tuple[list[str], bytes]:
    """A header (the street columns, maybe reordered, maybe without Crime ID) and a plain block of lines."""
    header = list(draw(st.permutations(HEADER)))
    if draw(st.booleans()):
        header.remove("Crime ID")
    rows = draw(st.integers(min_value=1, max_value=30))
    lines = []
    for _ in range(rows):
        line = b",".join(draw(fields(c)) for c in header)
        lines.append(line + draw(st.sampled_from([b"\n", b"\r\n"])))
    data = b"".join(lines)
    if draw(st.booleans()):  # the last line with no line break
        data = data.removesuffix(b"\n").removesuffix(b"\r")
    return header, data


FAST = settings(max_examples=50, deadline=None)


@FAST
@given(plain_blocks())
def test_a_plain_block_is_scanned_as_pyarrow_parses_it(block):
    header, data = block
    scanned = street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES))
    assert not isinstance(scanned, str), scanned  # plain: the scanner must serve it
    assert_scan_matches_pyarrow(data, header, scanned)


#: Bytes that make a block unusual.
ODD = [b" ", b"\x00", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\r", b"\n", b"\r\n", b'"', b'""', b","]
ODD += [b"\xef\xbb\xbf"]
ODD += [b"e5", b"nan", b".", b"-", b"+", b"x"]


@FAST
@given(plain_blocks(), st.sampled_from(ODD), st.floats(min_value=0, max_value=1))
def test_a_block_with_an_odd_byte_is_declined_or_read_as_pyarrow_reads_it(block, odd, where):
    header, data = block
    at = int(where * len(data))
    data = data[:at] + odd + data[at:]
    scanned = street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES))
    event(scanned if isinstance(scanned, str) else "accepted")
    if not isinstance(scanned, str):
        assert_scan_matches_pyarrow(data, header, scanned)


# ---- the content digest the scan feeds ------------------------------------------------------------

#: Lengths around XXH3's internal boundaries (16, 128, 240 bytes; 1,024-byte stripes; the scan's stride).
EDGES = [0, 1, 15, 16, 17, 128, 129, 240, 241, 1023, 1024, 1025, 16383, 16384, 16385, 70000]


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.sampled_from(EDGES), st.integers(0, 200_000)), st.lists(st.floats(0, 1), max_size=4), st.randoms())
def test_the_scanner_s_digest_is_xxhash_s_xxh3_128_however_the_bytes_are_fed(size, cuts, random):
    # The store records the digest by its name ("xxh3-128:..."): the scanner's must be the xxhash
    # package's for the same bytes, or a refreshed file would look changed to the next refresh.
    import xxhash

    from crimestats.io import _streetscan

    data = random.randbytes(size)
    digest = _streetscan.Digest()
    at = 0
    for cut in sorted(int(c * size) for c in cuts):
        digest.update(data[at:cut])
        at = cut
    digest.update(memoryview(data)[at:])
    assert digest.hexdigest() == xxhash.xxh3_128(data).hexdigest()


@FAST
@given(plain_blocks(), st.sampled_from([b"", *ODD]), st.floats(min_value=0, max_value=1))
def test_a_scan_feeds_its_digest_the_whole_block_whether_it_accepts_it_or_not(block, odd, where):
    # A declined block is parsed the exact way, which must not feed it again; an accepted one is
    # fed a stride behind the scan. Either way the digest has had the block, once.
    import xxhash

    from crimestats.io import _streetscan

    header, data = block
    data *= 1 + 40_000 // max(len(data), 1)  # past the scan's 16 KB stride: declined after strides were fed, too
    at = int(where * len(data))
    data = data[:at] + odd + data[at:]
    digest = _streetscan.Digest()
    digest.update(b"header line\n")
    scanned = street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES), None, digest)
    event("declined" if isinstance(scanned, str) else "accepted")
    assert digest.hexdigest() == xxhash.xxh3_128(b"header line\n" + data).hexdigest()


def test_a_digest_fed_by_one_thread_refuses_a_second_and_stays_whole():
    # The digest hashes without the GIL: a read of it, or a second thread's update, meanwhile must be
    # refused, and the refused update must not change what the first thread's bytes make of it.
    import xxhash

    from crimestats.io import _streetscan

    data = bytes(range(256)) * (64 * 1024 * 4)  # 64 MB: milliseconds of hashing without the GIL
    expected = xxhash.xxh3_128(data).hexdigest()
    refused: list[str] = []
    for _ in range(20):
        digest = _streetscan.Digest()
        feeder = threading.Thread(target=digest.update, args=(data,))
        feeder.start()
        fed_twice = False
        while feeder.is_alive() and not refused:
            try:
                digest.hexdigest()
                continue
            except RuntimeError as error:  # the feeder holds it now: so an update must be refused too
                read_refused = str(error)
            try:
                digest.update(b"more")
                fed_twice = True  # the feeder finished in between: this attempt proves nothing
            except RuntimeError as error:
                refused += [read_refused, str(error)]
        feeder.join()
        if refused and not fed_twice:
            break
        refused = []
    assert refused == ["Digest: read while another thread feeds it", "Digest: fed by two threads at once"]
    assert digest.hexdigest() == expected  # the refused update fed nothing


def test_a_scan_refuses_a_digest_that_is_not_the_scanner_s():
    import xxhash

    header = HEADER
    data = b",".join(b"" for _ in header) + b"\n"
    with pytest.raises(TypeError, match="digest"):
        street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES), None, xxhash.xxh3_128())


@settings(max_examples=25, deadline=None)
@given(st.lists(plain_blocks(), min_size=1, max_size=3))
def test_interned_codes_index_the_interner_and_agree_across_blocks(blocks):
    interners: dict[str, object] = {c: street_blocks.new_interner() for c in HEADER if ROLES.get(c) == 1}
    for header, data in blocks:
        names = [c for c in header if ROLES.get(c) == 1]
        # LSOA code always interned; the others in some blocks (None: the block's own codes).
        chosen = tuple(interners[c] if c == "LSOA code" or len(data) % 2 else None for c in names)
        scanned = street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES), chosen)
        assert not isinstance(scanned, str), scanned
        table = reference(data, header)
        for name, interner in zip(names, chosen, strict=True):
            codes, values = scanned.columns[name]
            expected = table[name].to_pylist()
            if interner is None:
                assert values == first_appearance(expected)[0]
                continue
            assert isinstance(values, street_blocks.Interned) and name not in scanned.tallies
            assert len(values) == len(interner) and values.values is interner
            assert [values.values[c] for c in codes] == expected
            np.testing.assert_array_equal(values.ids, list(dict.fromkeys(codes.tolist())))
    for interner in interners.values():
        assert len(set(interner[:])) == len(interner)  # one code per value, across blocks


# ---- declines ---------------------------------------------------------------------------------------

GOOD = (
    b"356f6e3b1e3585e37630f2c954e85b55b949d862a46472170b9ddba928e7df15,2017-01,City of London Police,"
    b"City of London Police,-0.111497,51.518226,On or near Pedestrian Subway,E01000914,Camden 028B,Burglary,"
    b"Offender given community sentence,"
)


def line(end: bytes = b"\n", **raw: bytes) -> bytes:
    """GOOD with some fields replaced by raw bytes (keyword: the column name, spaces as underscores)."""
    parts = GOOD.split(b",")
    for name, value in raw.items():
        parts[HEADER.index(name.replace("_", " "))] = value
    return b",".join(parts) + end


def scan_block(data: bytes) -> street_blocks.Scanned | str:
    return street_blocks.scan(data, HEADER, street_blocks.roles_of(HEADER, ROLES))


def test_the_good_line_is_accepted_so_each_decline_below_is_the_change_it_makes():
    for data in (line(), line() * 3, line(b"\r\n") * 2, line() + line(b"")):
        assert_scan_matches_pyarrow(data, HEADER, scan_block(data))


DECLINED = {
    "NUL byte": (line(Location=b"On or\x00near") + line(), "NUL"),
    "NUL byte in quotes": (line(Location=b'"On or\x00near"'), "NUL"),
    "overlong UTF-8": (line(Location=b"On \xc0\xaf near") + line(), "UTF-8"),
    "surrogate in UTF-8": (line(LSOA_name=b"\xed\xa0\x80") + line(), "UTF-8"),
    "stray continuation byte": (line(Context=b"\x80"), "UTF-8"),
    "truncated UTF-8 at the end": (line() + line(b"", Context=b"Ynys M\xc3"), "UTF-8"),
    "blank line (LF)": (line() + b"\n" + line(), "field count"),
    "blank line (CRLF)": (line(b"\r\n") + b"\r\n" + line(b"\r\n"), "field count"),
    "a field too many": (line() + line(Context=b",extra") + line(), "field count"),
    "a field too few": (line() + line().replace(b",Burglary,", b",") + line(), "field count"),
    "a field too few on an unterminated last line": (line() + GOOD.rsplit(b",", 2)[0], "field count"),
    "quoted field over a line end": (line(Location=b'"On or\nnear"'), "quote"),
    "quoted field over a CRLF": (line(Location=b'"On or\r\nnear"'), "quote"),
    "unclosed quote": (line() + line(b"", Context=b'"never closed'), "quote"),
    "quote inside an unquoted field": (line(Location=b'On "or" near') + line(), "quote"),
    "text after a closing quote": (line(Location=b'"On or near"x') + line(), "quote"),
    "lone CR inside a field": (line(Location=b"On or\rnear") + line(), "carriage return"),
    "lone CR as a line end": (line(b"\r") + line(), "carriage return"),
    "lone CR at the end": (line() + line(b"\r"), "carriage return"),
    "escaped quote in Crime type": (line(Crime_type=b'"Burglary ""x"""') + line(), "quote"),
    "escaped quote in LSOA code": (line(LSOA_code=b'"E0100""0914"'), "quote"),
    "escaped quote in Crime ID": (line(Crime_ID=b'"' + b"a" * 62 + b'""' + b'"'), "crime ID"),
    "escaped quote in a coordinate": (line(Longitude=b'"1""5"'), "coordinate"),
    "coordinate 1e5": (line(Longitude=b"1e5") + line(), "coordinate"),
    "coordinate with a leading space": (line(Latitude=b" 1.5"), "coordinate"),
    "coordinate with a trailing space": (line(Latitude=b"1.5 "), "coordinate"),
    "coordinate nan": (line(Longitude=b"nan"), "coordinate"),
    "coordinate 1.": (line(Longitude=b"1."), "coordinate"),
    "coordinate .5": (line(Longitude=b".5"), "coordinate"),
    "coordinate +1": (line(Longitude=b"+1"), "coordinate"),
    "coordinate -": (line(Longitude=b"-"), "coordinate"),
    "coordinate 1,5 quoted": (line(Longitude=b'"1,5"'), "coordinate"),
    "crime ID of 63 characters": (line(Crime_ID=b"a" * 63) + line(), "crime ID"),
    "crime ID of 65 characters": (line(Crime_ID=b"a" * 65), "crime ID"),
    "crime ID with a space": (line(Crime_ID=b"a" * 31 + b" " + b"a" * 32), "crime ID"),
    "crime ID with a tab": (line(Crime_ID=b"\t" + b"a" * 63), "crime ID"),
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_an_unusual_block_is_declined_with_the_reason(case):
    data, reason = DECLINED[case]
    found = scan_block(data)
    assert isinstance(found, str), f"accepted: {data!r}"
    assert reason in found


def test_an_escaped_quote_in_a_skipped_column_is_accepted_and_read_as_pyarrow_reads_it():
    data = line(Location=b'"On or near ""The Bank"", EC2"', Context=b'""""') + line(b"\r\n")
    assert_scan_matches_pyarrow(data, HEADER, scan_block(data))


def test_a_quoted_empty_coordinate_is_null_as_the_exact_path_reads_it():
    # pyarrow's float parse refuses "" (a conversion error); the exact path reads it as text, blank.
    data = line(Longitude=b'""', Latitude=b'""') + line(Longitude=b'"-0.1"')
    assert_scan_matches_pyarrow(data, HEADER, scan_block(data))


@pytest.mark.parametrize("first", ["Month", "Crime ID"])
def test_a_bom_at_the_start_of_a_block_is_declined(first):
    # pyarrow skips a UTF-8 BOM at the start of what it parses (a block); the scanner would keep
    # it in the first field (a 61-character ID would become 64 bytes): the exact path decides.
    header = [first, *(c for c in HEADER if c != first)]
    good = dict(zip(HEADER, GOOD.split(b","), strict=True))
    good["Crime ID"] = b"a" * (61 if first == "Crime ID" else 64)  # with a BOM before it, 64 bytes
    data = b"\xef\xbb\xbf" + b",".join(good[c] for c in header) + b"\n"
    assert street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES)) == (
        "a byte-order mark at the start of the block"
    )
    # The same bytes later in a block are text, to both (the BOM and a 61-character ID: 64 bytes).
    good["Crime ID"] = b"b" * 64
    data = b",".join(good[c] for c in header) + b"\n" + data
    found = street_blocks.scan(data, header, street_blocks.roles_of(header, ROLES))
    assert not isinstance(found, str), found
    assert_scan_matches_pyarrow(data, header, found)


def test_a_column_of_many_distinct_values_is_coded_once_per_value():
    # Past 64 distinct values a block's own dictionary grows: every value must still get one code.
    types = [f"Type {k}".encode() for k in range(3000)]
    data = b"".join(line(Crime_type=types[(k * 7) % 3000]) for k in range(9000))
    scanned = scan_block(data)
    codes, values = scanned.columns["Crime type"]
    assert len(values) == len(set(values)) == 3000
    assert [values[c] for c in codes] == [types[(k * 7) % 3000].decode() for k in range(9000)]
    assert_scan_matches_pyarrow(data, HEADER, scanned)


# ---- whole reads, with and without the scanner ------------------------------------------------------


def outcome(path, monkeypatch, scanner: bool, spy: list | None = None):
    """What read_police_uk gives: the counts, or the error's class, text, row and column."""
    with monkeypatch.context() as patch:
        if not scanner:
            patch.setattr(street_blocks, "SCANNER", None)
        elif spy is not None:
            original = street_blocks.scan

            def scan(*args, **kwargs):
                found = original(*args, **kwargs)
                spy.append(found if isinstance(found, str) else "accepted")
                return found

            patch.setattr(street_blocks, "scan", scan)
        try:
            return cs.read_police_uk(path)
        except cs.CrimestatsError as error:
            return (type(error), str(error), getattr(error, "row", None), getattr(error, "column", None))


def assert_same_both_ways(path, monkeypatch) -> list[str]:
    """The read with the scanner equals the read without it; returns what the scanner said of each block."""
    said: list[str] = []
    with_scanner = outcome(path, monkeypatch, True, said)
    without = outcome(path, monkeypatch, False)
    if isinstance(without, tuple):
        assert with_scanner == without
        return said
    assert not isinstance(with_scanner, tuple), with_scanner
    pd.testing.assert_frame_equal(pd.DataFrame(with_scanner), pd.DataFrame(without))
    pd.testing.assert_frame_equal(with_scanner.coverage, without.coverage)
    assert [q.to_dict() for q in with_scanner.quality] == [q.to_dict() for q in without.quality]
    assert with_scanner.attrs == without.attrs
    return said


BUNDLED = [SAMPLE, *sorted(p for p in POLICE_UK.iterdir() if p.is_dir())]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_street_files_read_the_same_with_and_without_the_scanner(path, monkeypatch):
    said = assert_same_both_ways(path, monkeypatch)
    assert said and set(said) == {"accepted"}  # real files are plain: the scanner served every block


def _sample_lines() -> list[bytes]:
    return SAMPLE.read_bytes().splitlines(keepends=True)


def _with_field(source: bytes, column: str, value: bytes) -> bytes:
    parts = source.rstrip(b"\r\n").split(b",")
    parts[HEADER.index(column)] = value
    return b",".join(parts) + source[len(source.rstrip(b"\r\n")) :]


def _edit(lines: list[bytes], at: int, column: str, value: bytes) -> list[bytes]:
    return [*lines[:at], _with_field(lines[at], column, value), *lines[at + 1 :]]


def _crafted() -> dict[str, tuple[bytes, str | None]]:
    """Whole files (header and rows of the City of London sample) each with one unusual thing.

    Value: the file's bytes, and a word of the reason the scanner should give for its block
    (None: the block is plain, the scanner accepts it).
    """
    lines = _sample_lines()
    twin = next(x for x in lines[1:] if len(x.split(b",")[0]) == 64)  # a row with a crime ID
    return {
        "blank lines": (b"".join([*lines[:20], b"\n", *lines[20:40], b"\r\n", *lines[40:]]), "field count"),
        "nan coordinate": (b"".join(_edit(lines, 30, "Longitude", b"nan")), "coordinate"),
        "text coordinate": (b"".join(_edit(lines, 30, "Latitude", b"near the bank")), "coordinate"),
        "quoted empty coordinates": (b"".join(_edit(_edit(lines, 9, "Longitude", b'""'), 9, "Latitude", b'""')), None),
        "crime ID of 63 characters": (b"".join(_edit(lines, 12, "Crime ID", twin[:63])), "crime ID"),
        "crime ID with a trailing space": (
            b"".join([*_edit(lines, 12, "Crime ID", twin[:64] + b" "), twin]),
            "crime ID",
        ),
        "escaped quote in Crime type": (b"".join(_edit(lines, 5, "Crime type", b'"Burglary ""x"""')), "quote"),
        "escaped quote in Location": (b"".join(_edit(lines, 5, "Location", b'"On ""x"", EC4"')), None),
        "CRLF and no last line break": (b"".join(lines).replace(b"\n", b"\r\n").rstrip(b"\r\n"), None),
        "a field too many": (b"".join(_edit(lines, 50, "Context", b"x,y")), "field count"),
        "a field too few": (b"".join([*lines[:50], lines[50].rsplit(b",", 1)[0] + b"\n", *lines[51:]]), "field count"),
        "unclosed quote": (b"".join(_edit(lines, 50, "Location", b'"On or near')), "quote"),
        "bad month": (b"".join(_edit(lines, 50, "Month", b"2017-13")), None),
        "NUL byte": (b"".join(_edit(lines, 50, "Location", b"On\x00near")), "NUL"),
        "not UTF-8": (b"".join(_edit(lines, 50, "LSOA name", b"Camden \xff")), "UTF-8"),
        "truncated last line": (b"".join(lines)[:-40], "field count"),
    }


CRAFTED = _crafted()


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_file_reads_the_same_with_and_without_the_scanner(case, tmp_path, monkeypatch):
    data, reason = CRAFTED[case]
    path = tmp_path / SAMPLE.name
    path.write_bytes(data)
    said = assert_same_both_ways(path, monkeypatch)
    declined = [s for s in said if s != "accepted"]
    if reason is None:
        assert said and not declined, said
    else:  # the scanner declined one block, for the reason meant
        assert len(declined) == 1 and reason in declined[0], said


def test_malformed_rows_raise_the_same_error_at_the_same_row_both_ways(tmp_path, monkeypatch):
    path = tmp_path / SAMPLE.name
    for case in ("a field too many", "a field too few", "unclosed quote", "bad month", "NUL byte", "not UTF-8"):
        path.write_bytes(CRAFTED[case][0])
        with_scanner = outcome(path, monkeypatch, True)
        assert isinstance(with_scanner, tuple), case
        assert with_scanner[0] is cs.SourceFormatError, with_scanner
        assert with_scanner == outcome(path, monkeypatch, False), case
        assert with_scanner[2] == 51 or case in ("NUL byte", "not UTF-8"), with_scanner  # lines[50]: line 51


def test_a_file_whose_first_block_is_plain_and_a_later_one_is_not_reads_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(street_blocks, "BLOCK_BYTES", 4096)
    lines = _sample_lines()
    data = b"".join([*_edit(lines, 100, "Longitude", b"1e5")[:300], b"\n", *lines[300:]])
    path = tmp_path / SAMPLE.name
    path.write_bytes(data)
    said = assert_same_both_ways(path, monkeypatch)
    assert said[0] == "accepted" and said[-1] == "accepted"
    declined = [s for s in said if s != "accepted"]
    assert len(declined) == 2 and "coordinate" in declined[0] and "field count" in declined[1], said


def test_a_file_of_many_small_blocks_with_odd_ones_between_reads_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(street_blocks, "BLOCK_BYTES", 4096)
    for folder in ("mixed-2022-06", "quoted-2022-06"):
        for source in sorted((POLICE_UK / folder).rglob("*-street.csv")):
            lines = source.read_bytes().splitlines(keepends=True)
            lines = _edit(_edit(lines, 40, "Latitude", b"nan"), 200, "Crime ID", b"x")
            (tmp_path / source.name).write_bytes(b"".join(lines))
    said = assert_same_both_ways(tmp_path, monkeypatch)
    assert "accepted" in said and len(set(said)) > 1


def test_a_bom_before_the_first_data_line_reads_the_same_both_ways(tmp_path, monkeypatch):
    source = next((POLICE_UK / "west-midlands-2011-02").rglob("*-street.csv"))
    lines = source.read_bytes().splitlines(keepends=True)
    path = tmp_path / source.name
    path.write_bytes(b"".join([lines[0], b"\xef\xbb\xbf" + lines[1], *lines[2:]]))
    assert_same_both_ways(path, monkeypatch)


# ---- threads ----------------------------------------------------------------------------------------


def test_two_threads_sharing_an_interner_get_one_code_per_value():
    codes_of = [f"E0{k:07d}" for k in range(3000)]
    rng = np.random.default_rng(7)
    blocks = []
    for part in range(2):  # overlapping halves of the codes, in different orders
        chosen = rng.choice(codes_of[part * 1000 : part * 1000 + 2000], size=20_000)
        blocks.append(
            (b"".join(line(b"\r\n" if part else b"\n", LSOA_code=c.encode()) for c in chosen), chosen.tolist())
        )
    roles = street_blocks.roles_of(HEADER, ROLES)
    interner = street_blocks.new_interner()
    interners = tuple(interner if c == "LSOA code" else None for c in HEADER if ROLES.get(c) == 1)
    barrier = threading.Barrier(2)
    results: list[list[tuple[list[str], street_blocks.Scanned | str]]] = [[], []]  # per thread: (expected, found)

    def work(k: int) -> None:
        data, expected = blocks[k]
        barrier.wait()
        for _ in range(15):
            results[k].append((expected, street_blocks.scan(data, HEADER, roles, interners)))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = interner[:]
    assert set(values) == set(blocks[0][1]) | set(blocks[1][1])
    assert len(set(values)) == len(values)
    for expected, found in results[0] + results[1]:
        assert not isinstance(found, str), found
        codes, interned = found.columns["LSOA code"]
        assert [values[c] for c in codes] == expected
        assert [values[c] for c in interned.ids] == list(dict.fromkeys(expected))


def test_an_interner_hands_out_copies_of_its_values():
    # Its table points into the values it holds: a caller can read them, never change them.
    interner = street_blocks.new_interner()
    roles = street_blocks.roles_of(HEADER, ROLES)
    interners = tuple(interner if c == "LSOA code" else None for c in HEADER if ROLES.get(c) == 1)
    data = b"".join(line(LSOA_code=f"E0{k:07d}".encode()) for k in range(3000))
    street_blocks.scan(data, HEADER, roles, interners)
    held = interner[:]
    held.clear()
    assert len(interner) == 3000 and interner[0] == "E00000000" and interner[-1] == "E00002999"
    assert interner[10:12] == ["E00000010", "E00000011"]
    again = street_blocks.scan(data, HEADER, roles, interners)
    np.testing.assert_array_equal(again.columns["LSOA code"][0], np.arange(3000))
    with pytest.raises(IndexError):
        interner[3000]


def test_a_blank_line_is_declined_even_with_a_single_column():
    assert street_blocks.scan(b"a\n\nb\n", ["x"], bytes([1])) == "a line whose field count is not the header's"
    assert street_blocks.scan(b"a\r\n\r\nb\r\n", ["x"], bytes([1])) == "a line whose field count is not the header's"


def test_the_roles_are_the_scanner_s():
    from crimestats.io import _streetscan

    names = ("SKIP", "DICTIONARY", "CRIME_ID", "NUMBER")
    assert [getattr(_streetscan, n) for n in names] == [getattr(street_blocks, n) for n in names]


def test_an_interner_given_values_numbers_them_first_and_finds_another_s():
    table = street_blocks.new_interner(["E01000001", "E01000002", "W01000003"])
    assert len(table) == 3 and table[2] == "W01000003"
    assert table.get("E01000002") == 1 and table.get("E01999999") == -1 and table.get("") == -1
    # A read's interner (numbered as codes are met) looked up in the table's: -1 where it has no such code.
    read = street_blocks.new_interner()
    roles = street_blocks.roles_of(HEADER, ROLES)
    interners = tuple(read if c == "LSOA code" else None for c in HEADER if ROLES.get(c) == 1)
    codes = [b"W01000003", b"", b"E01999999", b"E01000001", b"W01000003"]
    street_blocks.scan(b"".join(line(LSOA_code=c) for c in codes), HEADER, roles, interners)
    assert read[:] == ["W01000003", "", "E01999999", "E01000001"]
    found = np.frombuffer(table.find(read, 0, len(read)), dtype=np.int32)
    np.testing.assert_array_equal(found, [2, -1, -1, 0])
    np.testing.assert_array_equal(np.frombuffer(table.find(read, 1, 3), dtype=np.int32), [-1, -1])
    assert table.find(read, 2, 2) == b""
    with pytest.raises(IndexError):
        table.find(read, 0, 5)
    with pytest.raises(ValueError, match="item 2 repeats item 0"):
        street_blocks.new_interner(["a", "b", "a"])
    with pytest.raises(TypeError, match="item 1 is not a str"):
        street_blocks.new_interner(["a", 1])
    with pytest.raises(TypeError, match="not a str"):
        street_blocks.new_interner("abc")
    # Non-ASCII values are found by their UTF-8 bytes, as the scanner reads them.
    assert street_blocks.new_interner(["Ynys Môn", "é"]).get("é") == 1


def test_an_interner_given_more_values_than_it_starts_with_holds_them_all_and_grows_on():
    # 36,778 codes in an LSOA table: the interner is sized once for them, and a read's codes are added after.
    codes = [f"E01{n:06d}" for n in range(40_000)]
    table = street_blocks.new_interner(codes)
    assert len(table) == len(codes) and table[39_999] == codes[-1]
    assert [table.get(c) for c in codes[::997]] == list(range(0, 40_000, 997))
    found = np.frombuffer(table.find(table, 0, len(table)), dtype=np.int32)
    np.testing.assert_array_equal(found, np.arange(len(codes)))
    with pytest.raises(ValueError, match="item 40000 repeats item 7"):
        street_blocks.new_interner([*codes, codes[7]])
    read = street_blocks.new_interner()
    roles = street_blocks.roles_of(HEADER, ROLES)
    interners = tuple(read if c == "LSOA code" else None for c in HEADER if ROLES.get(c) == 1)
    extra = [f"W01{n:06d}".encode() for n in range(5_000)]
    street_blocks.scan(b"".join(line(LSOA_code=c) for c in extra), HEADER, roles, interners)
    assert len(read) == 5_000 and read.get("W01004999") == 4_999
    assert np.all(np.frombuffer(table.find(read, 0, 5_000), dtype=np.int32) == -1)


# ---- rows counted by their combined key (count_keys) ------------------------------------------------

UNKNOWN = 3  # the no-area reason count_keys is told means "find the area by the LSOA name"


def reference_keys(month, force, kind, type_, code, area, reason, sizes, keep):
    """What the numpy path of street_chunks computes: each kept row's key, counted; None where a code is unknown."""
    a, r = area[code], reason[code]
    if (r == UNKNOWN).any():
        return None
    special = kind[force] > 0
    r = np.where(special, kind[force], r)
    a = np.where(special, -1, a)
    rows = np.ones(len(month), dtype=bool) if keep is None else keep
    key = month[rows].astype(np.int64)
    for values, size in zip((force[rows], a[rows] + 1, type_[rows], r[rows]), sizes[1:], strict=True):
        key = key * size + values
    return np.unique(key, return_counts=True)


@st.composite
def key_inputs(draw):
    m, f, t, c = (draw(st.integers(1, n)) for n in (3, 3, 15, 40))
    areas = draw(st.integers(1, 400 if draw(st.booleans()) else 5))  # many areas: too many keys for an array
    n = draw(st.integers(0, 300))
    ints = lambda high: np.array(draw(st.lists(st.integers(0, high - 1), min_size=n, max_size=n)), dtype=np.int32)  # noqa: E731
    month, force, type_, code = ints(m), ints(f), ints(t), ints(c)
    area = np.array(draw(st.lists(st.integers(-1, areas - 1), min_size=c, max_size=c)), dtype=np.int64)
    reasons = [0, 1, 2, 4] + ([UNKNOWN] if draw(st.integers(0, 4)) == 0 else [])
    reason = np.array(draw(st.lists(st.sampled_from(reasons), min_size=c, max_size=c)), dtype=np.int64)
    kind = np.array(draw(st.lists(st.sampled_from([0, 0, 5, 6]), min_size=f, max_size=f)), dtype=np.int64)
    keep = None if draw(st.booleans()) else np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return month, force, kind, type_, code, area, reason, (m, f, areas + 1, t, 7), keep


@settings(max_examples=200, deadline=None)
@given(key_inputs())
def test_count_keys_counts_what_the_numpy_path_counts(inputs):
    month, force, kind, type_, code, area, reason, sizes, keep = inputs
    found = street_blocks.COUNT_KEYS(
        month, force, kind, type_, code, area, reason, sizes, None if keep is None else keep.view(np.uint8), UNKNOWN
    )
    expected = reference_keys(month, force, kind, type_, code, area, reason, sizes, keep)
    if expected is None:
        assert found is None
        return
    keys, counts = found
    keys = np.frombuffer(keys, dtype=np.int64)
    event("counted in an array" if counts is not None else "keys returned to count")
    if counts is None:  # too many possible keys: each kept row's key, in row order
        keys, counts = np.unique(keys, return_counts=True)
    else:
        counts = np.frombuffer(counts, dtype=np.int64)
    np.testing.assert_array_equal(keys, expected[0])
    np.testing.assert_array_equal(counts, expected[1])


def test_count_keys_refuses_codes_out_of_range_and_arrays_that_disagree():
    i32 = lambda *v: np.array(v, dtype=np.int32)  # noqa: E731
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    args = [i32(0), i32(0), i64(0), i32(0), i32(0), i64(0), i64(0), (1, 1, 2, 1, 7), None, UNKNOWN]
    assert [np.frombuffer(b, dtype=np.int64).tolist() for b in street_blocks.COUNT_KEYS(*args)] == [[7], [1]]
    for position, bad in [(4, i32(1)), (1, i32(-1)), (0, i32(1)), (5, i64(1)), (3, i32(0, 0))]:
        with pytest.raises(ValueError, match="count_keys"):
            street_blocks.COUNT_KEYS(*[bad if k == position else a for k, a in enumerate(args)])
    # A force past the sizes given, though its kind is known: its keys would lie past the counting array.
    with pytest.raises(ValueError, match="out of range"):
        street_blocks.COUNT_KEYS(i32(0), i32(49), np.zeros(50, dtype=np.int64), *args[3:])
    # Arrays of another item size are refused, not misread (an int32 reason, 4-byte keep flags).
    for position, bad in [
        (6, np.zeros(1, dtype=np.int32)),
        (0, np.zeros(3, dtype=np.uint8)),
        (8, np.ones(1, np.int32)),
    ]:
        with pytest.raises(ValueError, match="must be a flat array"):
            street_blocks.COUNT_KEYS(*[bad if k == position else a for k, a in enumerate(args)])
    with pytest.raises(OverflowError):
        street_blocks.COUNT_KEYS(*args[:7], (2**40, 2**40, 2, 1, 7), None, UNKNOWN)


def test_an_interner_from_lines_numbers_them_as_one_given_the_values_does():
    codes = [f"E01{n:06d}" for n in range(5_000)] + ["Ynys Môn", ""]
    lines = "".join(c + "\n" for c in codes).encode()
    table = street_blocks.interner_of_lines(lines)
    assert len(table) == len(codes)
    assert [table.get(c) for c in ("E01000000", "E01004999", "Ynys Môn", "", "E01999999")] == [
        0,
        4_999,
        5_000,
        5_001,
        -1,
    ]
    read = street_blocks.new_interner(["E01999999", "E01000007", "Ynys Môn"])
    np.testing.assert_array_equal(np.frombuffer(table.find(read, 0, 3), dtype=np.int32), [-1, 7, 5_000])
    assert table[5_000] == "Ynys Môn" and table[:] == codes and table[-1] == ""
    # A value added after the lines (none are, for a table) is numbered after them.
    found = street_blocks.scan(
        line(LSOA_code=b"W01000001"),
        HEADER,
        street_blocks.roles_of(HEADER, ROLES),
        tuple(table if c == "LSOA code" else None for c in HEADER if ROLES.get(c) == 1),
    )
    assert found.columns["LSOA code"][1].size == len(codes) + 1 and table[len(codes)] == "W01000001"
    assert len(street_blocks.interner_of_lines(b"")) == 0 and street_blocks.interner_of_lines(b"\n")[:] == [""]
    for bad, error, message in [
        (b"E01000001", ValueError, "line feed"),
        (b"a\nb\na\n", ValueError, "line 2 repeats line 0"),
        (b"\xff\n", ValueError, "not UTF-8"),
        ("a\n", TypeError, "bytes"),
    ]:
        with pytest.raises(error, match=message):
            street_blocks.interner_of_lines(bad)
