"""The snapshot in Word and Excel: opened with their own libraries, the bullets, numbers and charts are there."""

import shutil
import subprocess

import docx
import openpyxl
import pytest

import crimestats as cs
from crimestats.snapshot import OutputFormatError
from crimestats.snapshot.office import NUMBER_FORMATS, sheet_name

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(scenario_extract):
    return cs.performance_snapshot(
        scenario_extract,
        area="Wolverhampton",
        year="latest",
        peers="West Midlands",
        selections=("total recorded crime", "knife or sharp instrument offences"),
    )


@pytest.fixture(scope="module")
def saved(demo, tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    written = demo.save(folder, formats=("docx", "xlsx"), dpi=60)
    return folder, written


def test_save_writes_word_and_excel(saved):
    _, written = saved
    assert sorted(p.name for p in written) == ["findings.csv", "findings.xlsx", "snapshot.docx"]


def test_docx_holds_bullets_charts_with_alt_text_findings_and_caveats(demo, saved):
    folder, _ = saved
    document = docx.Document(folder / "snapshot.docx")
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets[: len(demo.bullets)] == demo.bullets
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Key findings", "Charts", "Findings", "Notes and caveats", "Sources", "Method"]
    # Each chart is embedded once, at the text width of an A4 page (170 mm), with its title as alt text.
    shapes = document.inline_shapes
    assert len(shapes) == len(demo.figures)
    text_width = document.sections[0].page_width - document.sections[0].left_margin - document.sections[0].right_margin
    assert all(abs(shape.width - text_width) < 0.001 * text_width for shape in shapes)
    alts = [shape._inline.docPr.get("descr") for shape in shapes]
    assert alts[0] == "Total recorded crime: change 2016/17 to 2017/18"
    assert all(alts)
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0][:5] == ["Finding", "What", "Base", "Current", "Change"]
    assert ["change", "total recorded crime", "18,684", "21,225", "+2,541", "13.6%", "2", ""] in rows
    assert any(r[0] == "flag contribution" and r[1] == "business crime" and r[4] == "+48" for r in rows)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "with crimestats 0.1.0" in body and "Sources: force recorded crime extract" in body
    assert "west-midlands-extract-2016-2018.csv.gz (April 2016 to March 2018)" in body
    assert "exact Poisson test" in body


def test_xlsx_has_a_sheet_per_table_numbers_as_numbers_and_a_sources_sheet(demo, saved):
    folder, _ = saved
    book = openpyxl.load_workbook(folder / "findings.xlsx")
    expected = ["findings", *(sheet_name(n, set()) for n in demo.tables), "sources"]
    assert book.sheetnames == expected
    sheet = book["findings"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    change = next(r for r in rows if r["finding"] == "change")
    assert (change["base"], change["current"], change["change"], change["rank"]) == (18684, 21225, 2541, 2)
    assert isinstance(change["pct_change"], float) and round(change["pct_change"], 1) == 13.6
    assert change["rate"] is None  # missing is an empty cell, never 0
    column = header.index("current") + 1
    assert sheet.cell(row=2, column=column).number_format == NUMBER_FORMATS["current"]
    hidden = [r for r in rows if r["finding"] == "hidden crime"]
    assert {(r["selection"], r["base"], r["current"]) for r in hidden} >= {("Modern slavery", 30, 37)}
    sources = [[c.value for c in row] for row in book["sources"].iter_rows()]
    flat = " ".join(str(v) for row in sources for v in row if v is not None)
    assert "west-midlands-extract-2016-2018.csv.gz" in flat and "crimestats version" in flat and "0.1.0" in flat


def test_an_unknown_format_is_named(demo, tmp_path):
    with pytest.raises(OutputFormatError, match="'doc'"):
        demo.save(tmp_path, formats=("doc",))
    assert not list(tmp_path.iterdir())


def test_sheet_names_are_short_and_unique():
    taken = set()
    names = [sheet_name("peers_knife_or_sharp_instrument_offences", taken) for _ in range(2)]
    assert names == ["peers_knife_or_sharp_instrument", "peers_knife_or_sharp_instrume_2"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_both_to_pdf(saved, tmp_path):
    folder, _ = saved
    # A profile of its own: another LibreOffice running (a second test run, the user's) holds the default one.
    profile = f"-env:UserInstallation={(tmp_path / 'libreoffice-profile').as_uri()}"
    for name in ("snapshot.docx", "findings.xlsx"):
        subprocess.run(
            ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(folder / name)],
            check=True,
            capture_output=True,
            timeout=180,
        )
        pdf = tmp_path / name.replace(".docx", ".pdf").replace(".xlsx", ".pdf")
        assert pdf.stat().st_size > 10_000 and pdf.read_bytes().startswith(b"%PDF")
