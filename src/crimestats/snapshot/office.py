"""The snapshot for Word and Excel: ``snapshot.docx`` (python-docx) and ``findings.xlsx`` (openpyxl).

Report authors paste into Word and keep tables in Excel: the Word document holds the headings, the
bullets, each chart at the page's text width with its alt text, the findings table and the notes,
sources and method; the workbook holds one sheet per table with numbers stored as numbers (and
formatted as the sentences write them) and a sources sheet.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .report import Snapshot

#: Excel number formats by column: whole counts with separators, percentages and rates to the
#: precision the sentences use, p-values to four places.
NUMBER_FORMATS = {
    "base": "#,##0",
    "current": "#,##0",
    "change": "+#,##0;-#,##0;0",
    "count": "#,##0",
    "population": "#,##0",
    "peer_base": "#,##0",
    "peer_current": "#,##0",
    "pct_change": '0.0"%"',
    "peer_pct_change": '0.0"%"',
    "peer_mean_pct_change": '0.0"%"',
    "share_of_change": '0.0"%"',
    "rate": "0.00",
    "p_value": "0.0000",
}
#: The findings table's columns shown in the Word document, with their headings.
DOCX_FINDINGS = {
    "finding": "Finding",
    "selection": "What",
    "base": "Base",
    "current": "Current",
    "change": "Change",
    "pct_change": "% change",
    "rank": "Rank",
    "rate": "Per 1,000",
}
_A4 = (210, 297)  # mm
_MARGIN_MM = 20


def _alt_text(figure, name: str) -> str:
    from .report import figure_title

    return figure_title(figure, name)


def write_docx(snapshot: Snapshot, path: str | Path, *, dpi: int = 200) -> Path:
    """Write ``snapshot`` as a Word document: A4, headings, bullets, charts with alt text, findings, notes.

    Returns the path written.
    """
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(_A4[0]), Mm(_A4[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(_MARGIN_MM))
    text_width = Mm(_A4[0] - 2 * _MARGIN_MM)
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10.5)
    document.core_properties.title = snapshot.title
    document.core_properties.comments = "Produced with crimestats"

    document.add_heading(snapshot.title, level=0)
    if snapshot.provenance is not None:
        document.add_paragraph(snapshot.provenance.produced_line()).runs[0].italic = True
    document.add_heading("Key findings", level=1)
    for bullet in snapshot.bullets:
        document.add_paragraph(bullet, style="List Bullet")

    if snapshot.figures:
        document.add_heading("Charts", level=1)
    for name, figure in snapshot.figures.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)
        buffer.seek(0)
        shape = document.add_picture(buffer, width=text_width)
        alt = _alt_text(figure, name)
        doc_pr = shape._inline.docPr  # python-docx has no public alt-text setter
        doc_pr.set("descr", alt)
        doc_pr.set("title", alt)

    document.add_heading("Findings", level=1)
    findings = snapshot.findings
    # The numbers the bullets use; coverage rows are in the notes below.
    _docx_table(document, findings[findings["sentence"].notna()] if "sentence" in findings else findings)

    document.add_heading("Notes and caveats", level=1)
    for note in snapshot.notes:
        document.add_paragraph(note, style="List Number")
    if snapshot.provenance is not None:
        document.add_heading("Sources", level=2)
        for line in snapshot.provenance.source_lines():
            document.add_paragraph(line, style="List Bullet")
        document.add_heading("Method", level=2)
        document.add_paragraph(snapshot.provenance.method)
    path = Path(path)
    document.save(path)
    return path


def _docx_table(document, findings: pd.DataFrame) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    columns = [c for c in DOCX_FINDINGS if c in findings.columns]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Light Grid Accent 1"
    table.autofit = False
    # Words get the room; numbers share the rest of the 170 mm text width.
    words = {"finding": 26, "selection": 40}
    number_width = (_A4[0] - 2 * _MARGIN_MM - sum(words[c] for c in columns if c in words)) / max(
        1, sum(c not in words for c in columns)
    )
    widths = [Mm(words.get(c, number_width)) for c in columns]
    for cell, column in zip(table.rows[0].cells, columns, strict=True):
        cell.text = DOCX_FINDINGS[column]
    for _, row in findings.iterrows():
        cells = table.add_row().cells
        for cell, column in zip(cells, columns, strict=True):
            cell.text = format_value(column, row[column])
    for column_, width in zip(table.columns, widths, strict=True):
        column_.width = width  # the grid LibreOffice reads; Word reads each cell's width
    for row in table.rows:
        for cell, column, width in zip(row.cells, columns, widths, strict=True):
            cell.width = width
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(8.5)  # "233,393" fits a number column at A4 width
                if column not in words:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def format_value(column: str, value: object) -> str:
    """A findings value as the sentences write it: "21,225", "+2,541", "13.6%", "81.43"; missing as "".

    Examples
    --------
    >>> format_value("change", 2541), format_value("pct_change", 13.5999), format_value("rate", np.nan)
    ('+2,541', '13.6%', '')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if column in ("base", "current", "population"):
        return f"{int(value):,}"
    if column == "change":
        return f"{int(value):+,}"
    if column in ("pct_change", "share_of_change"):
        return f"{float(value):.1f}%"
    if column == "rate":
        return f"{float(value):.2f}"
    if column == "rank":
        return str(int(value))
    return str(value)


def sheet_name(name: str, taken: set[str]) -> str:
    r"""An Excel sheet name (at most 31 characters, none of ``[]:*?/\\``), unique among ``taken``.

    Examples
    --------
    >>> sheet_name("peers_knife_or_sharp_instrument_offences", set())
    'peers_knife_or_sharp_instrument'
    """
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    candidate, n = base, 2
    while candidate.lower() in {t.lower() for t in taken}:
        suffix = f"_{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def write_xlsx(snapshot: Snapshot, path: str | Path) -> Path:
    """Write the findings and every metric table to an Excel workbook, one sheet each, and a sources sheet.

    Numbers are stored as numbers (missing as empty cells) with the formats of :data:`NUMBER_FORMATS`.
    Returns the path written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    tables: Mapping[str, pd.DataFrame] = {"findings": snapshot.findings, **snapshot.tables}
    for name, table in tables.items():
        sheet = workbook.create_sheet(sheet_name(name, taken))
        frame = table.reset_index(drop=True)
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in values])
        for index, column in enumerate(frame.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            number_format = NUMBER_FORMATS.get(str(column))
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
            widest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200) if _cell(v) is not None)])
            sheet.column_dimensions[letter].width = min(60, max(9, widest + 2))
        sheet.freeze_panes = "A2"
        _fit_to_page_width(sheet)

    sources = workbook.create_sheet(sheet_name("sources", taken))
    sources.append([snapshot.title])
    sources["A1"].font = Font(bold=True, size=13)
    provenance = snapshot.provenance
    if provenance is not None:
        sources.append(["produced", provenance.produced])
        sources["B2"].number_format = "d mmmm yyyy"
        sources.append(["crimestats version", provenance.version])
        sources.append([])
        sources.append(["source", "file", "table", "edition"])
        for cell in sources[sources.max_row]:
            cell.font = Font(bold=True)
        for row in provenance.files.itertuples():
            sources.append([row.label, row.file, row.table, row.edition])
    if snapshot.notes:
        sources.append([])
        sources.append(["notes"])
        sources.cell(row=sources.max_row, column=1).font = Font(bold=True)
        for note in snapshot.notes:
            _paragraph_row(sources, note)
    if provenance is not None:
        sources.append([])
        sources.append(["method"])
        sources.cell(row=sources.max_row, column=1).font = Font(bold=True)
        _paragraph_row(sources, provenance.method)
    sources.column_dimensions["A"].width = 36
    sources.column_dimensions["B"].width = 48
    sources.column_dimensions["D"].width = 30
    _fit_to_page_width(sources)
    path = Path(path)
    workbook.save(path)
    return path


def _paragraph_row(sheet, text: str) -> None:
    """A paragraph across columns A to D, wrapped, its row tall enough for its lines."""
    from openpyxl.styles import Alignment

    sheet.append([text])
    row = sheet.max_row
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    sheet.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[row].height = 15 * (len(text) // 110 + 1)


def _fit_to_page_width(sheet) -> None:
    """Print (and convert to PDF) landscape A4, all columns on one page wide."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def _cell(value: object) -> object:
    """A value as openpyxl stores it: numpy scalars as Python numbers, missing as an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value
