import csv
import gzip
import io
import zipfile
import zlib

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.io.structure import check_csv, load_csv, reading
from tests.corrupt import data_rows


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"t\.csv: file is empty"),
        (b"\xef\xbb\xbf\r\n", r"t\.csv: file is empty"),
        ("a,b\n1,2\n".encode("utf-16"), r"t\.csv: file is UTF-16 text; expected UTF-8"),
        (b"a,b\n1,2\n3,\x00\x00\n", r"t\.csv, row 3: 2 NUL bytes, from this line on"),
        (b"a,b\n1,2\n3,caf\xe9\n", r"t\.csv, row 3: byte 0xe9 is not UTF-8; expected UTF-8 text"),
        (b'a,b\n1,"x\n2,y"\n3,4\n', r"t\.csv, row 2: a quoted field runs on past the end of the line"),
        (b'a,b\n1,2\n3,"x', r"t\.csv, row 3: a quote opened here is never closed"),
        (b"a,b\n1,2\n3,4,5\n", r"t\.csv, row 3: 3 fields, expected 2 as in the header$"),
        (b"a,b,c\n1,2,3\n4,5", r"t\.csv, row 3: 2 fields, expected 3 as in the header \(file truncated\?\)"),
        (b"a,b\n1\n2\n3,4\n", r"t\.csv, row 2: 1 field, expected 2 as in the header; 2 such lines"),
        (b"a;b\n1,2;3\n", r"row 2: 2 fields, expected 1 .*separated by ';' or tabs rather than commas"),
    ],
    ids=[
        "empty",
        "bom-only",
        "utf-16",
        "nul",
        "latin-1",
        "multiline",
        "unclosed",
        "extra",
        "cut",
        "short",
        "semicolons",
    ],
)
def test_faults_are_refused_naming_the_line(data, message):
    with pytest.raises(cs.SourceFormatError, match=message):
        check_csv(data, "t.csv")


def test_quoted_commas_crlf_bom_and_blank_lines_are_well_formed():
    data = b'\xef\xbb\xbfa,b,c\r\n1,"x, y",3\r\n\r\n"4","",6\r\n'
    checked = check_csv(data, "t.csv")
    assert (checked.fields, checked.data_rows, checked.blank_lines) == (3, 2, 1)
    assert checked.report() == {"blank_lines": 1}
    assert len(pd.read_csv(checked.stream())) == checked.data_rows


def test_last_line_without_a_break_is_reported_or_refused():
    assert check_csv(b"a,b\n1,2", "t.csv").report() == {"last_line_unterminated": 2}
    with pytest.raises(cs.SourceFormatError, match=r"row 2: the last line has no line break"):
        check_csv(b"a,b\n1,2", "t.csv", unterminated="error")


def test_confirm_refuses_a_parser_count_that_differs():
    checked = check_csv(b"a,b\n1,2\n3,4\n", "t.csv")
    checked.confirm(2)
    with pytest.raises(cs.SourceFormatError, match=r"t\.csv: the parser read 1 rows but the file holds 2 data lines"):
        checked.confirm(1)


def test_digest_is_the_content(tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_bytes(b"a,b\n1,2\n")
    two.write_bytes(b"a,b\n1,2\n")
    assert load_csv(one).digest == load_csv(two).digest != check_csv(b"a,b\n1,3\n", "x").digest


def test_gzip_is_read_and_its_faults_named(tmp_path):
    path = tmp_path / "t.csv.gz"
    compressed = gzip.compress(b"a,b\n1,2\n" * 1000)
    path.write_bytes(compressed)
    assert load_csv(path).data_rows == 1999  # the header repeated is a data row of the same width
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(cs.SourceFormatError, match=r"t\.csv\.gz: compressed data ends early"):
        load_csv(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(cs.SourceFormatError, match=r"t\.csv\.gz: not a readable gzip file"):
        load_csv(path)


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (zipfile.BadZipFile("File is not a zip file"), cs.SourceFormatError, "not a readable zip archive"),
        (zlib.error("invalid block type"), cs.SourceFormatError, "compressed data is corrupt"),
        (EOFError("ended"), cs.SourceFormatError, "compressed data ends early"),
        (UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid"), cs.SourceFormatError, "not UTF-8 text"),
        (pd.errors.ParserError("Expected 2 fields"), cs.SourceFormatError, "cannot be parsed as CSV"),
        (PermissionError(13, "Permission denied"), cs.SourceReadError, "cannot be read: Permission denied"),
        (IsADirectoryError(21, "Is a directory"), cs.SourceReadError, "cannot be read: Is a directory"),
    ],
)
def test_reading_turns_low_level_errors_into_crimestats_errors_naming_the_file(error, kind, message):
    with pytest.raises(kind, match=rf"^x\.zip!m\.csv: {message}") as raised:
        with reading("x.zip!m.csv"):
            raise error
    assert raised.value.__cause__ is error


fields = st.text(alphabet=st.sampled_from('ab ,"\u00e9;'), max_size=6)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(width=st.integers(1, 5), data=st.data(), crlf=st.booleans(), final_newline=st.booleans())
def test_check_agrees_with_the_csv_module_on_well_formed_files(width, data, crlf, final_newline):
    rows = data.draw(st.lists(st.lists(fields, min_size=width, max_size=width), min_size=1, max_size=20))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerows([[f"h{i}" for i in range(width)], *rows])
    text = out.getvalue() if final_newline else out.getvalue().rstrip("\r\n")
    checked = check_csv(text.encode(), "t.csv")
    # A row of one empty field is written as an empty line, which parsers skip: so does the check.
    assert checked.data_rows == len(data_rows(text.encode()))


def test_multiline_fields_when_allowed_are_one_record_and_lines_are_still_named():
    data = b'a,b\n1,"two\nlines"\n3,4\n5\n'
    with pytest.raises(cs.SourceFormatError, match=r"row 2: a quoted field runs on"):
        check_csv(data, "t.csv")
    with pytest.raises(cs.SourceFormatError, match=r"row 5: 1 field, expected 2"):
        check_csv(data, "t.csv", multiline=True)
    checked = check_csv(data[:-2], "t.csv", multiline=True)
    assert checked.data_rows == 2 == len(pd.read_csv(checked.stream()))
    with pytest.raises(cs.SourceFormatError, match=r"row 3: a quote opened here is never closed"):
        check_csv(b'a,b\n1,2\n3,"x\n4,5\n', "t.csv", multiline=True)
