"""CSV and XLSX of a board: the rows in tree order with their level, and the totals.

Plain data in (columns, `RowView`s, the footer cells), bytes out. The rows are the
viewer's rows only, so an export can never hold an issue the viewer may not browse.
XLSX keeps the hierarchy as Excel outline levels (grouped rows, at most 7 deep as Excel
allows; deeper rows stay at 7) and indents the Summary cell; keys link to the issue.
"""

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from boards.board import Cell, RowView
from boards.columns import Column

EXCEL_MAX_OUTLINE = 7
# Spreadsheet apps run cells that start like a formula; prefix them so they stay text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _cell_text(row: RowView, column: Column, cell: Cell) -> str:
    if column.kind == "summary":
        return row.summary
    if column.kind == "key":
        return row.key
    return cell.text


def export_csv(
    *, columns: Sequence[Column], rows: Sequence[RowView], footer: Sequence[Cell]
) -> bytes:
    """UTF-8 CSV (with BOM, so Excel opens it right): Level, then the view's columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Level", *(c.title for c in columns)])
    for row in rows:
        texts = []
        for column, cell in zip(columns, row.cells, strict=True):
            text = _cell_text(row, column, cell)
            if column.kind == "summary":
                text = "    " * row.depth + text
            texts.append(_safe_text(text))
        writer.writerow([row.depth + 1, *texts])
    totals = [
        "Total" if c.kind == "summary" else cell.text
        for c, cell in zip(columns, footer, strict=True)
    ]
    writer.writerow(["", *totals])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


HEADER_FILL = PatternFill("solid", fgColor="F4F5F7")
TOTAL_FILL = PatternFill("solid", fgColor="EBECF0")


def export_xlsx(
    *,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[RowView],
    footer: Sequence[Cell],
    host_base_url: str,
) -> bytes:
    """An XLSX workbook: one sheet, outline levels for the tree, totals at the bottom."""
    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:  # a new workbook always has one sheet
        sheet = workbook.create_sheet()
    sheet.title = (title or "Structure")[:31].translate(
        str.maketrans("[]:*?/\\", "       ")
    )
    if sheet.sheet_properties.outlinePr is not None:
        sheet.sheet_properties.outlinePr.summaryBelow = False
    sheet.append([c.title for c in columns])
    for index in range(1, len(columns) + 1):
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True)
        header.fill = HEADER_FILL
    sheet.freeze_panes = "A2"
    for row in rows:
        values: list[object] = []
        for column, cell in zip(columns, row.cells, strict=True):
            if column.numeric or (column.kind == "field" and cell.value is not None):
                values.append(cell.value)
            else:
                values.append(_safe_text(_cell_text(row, column, cell)))
        sheet.append(values)
        number = sheet.max_row
        if row.depth:
            sheet.row_dimensions[number].outline_level = min(
                row.depth, EXCEL_MAX_OUTLINE
            )
        for index, column in enumerate(columns, start=1):
            target = sheet.cell(row=number, column=index)
            if column.kind == "summary":
                target.alignment = Alignment(indent=min(row.depth * 2, 15))
                if row.item_type != "issue":
                    target.font = Font(bold=True)
            elif column.kind == "key" and row.key:
                target.hyperlink = f"{host_base_url}/browse/{row.key}"
                target.font = Font(color="0052CC", underline="single")
            elif column.kind == "progress":
                target.number_format = "0%"
    totals: list[object] = []
    for column, cell in zip(columns, footer, strict=True):
        totals.append("Total" if column.kind == "summary" else cell.value)
    sheet.append(totals)
    for index, column in enumerate(columns, start=1):
        target = sheet.cell(row=sheet.max_row, column=index)
        target.font = Font(bold=True)
        target.fill = TOTAL_FILL
        if column.kind == "progress":
            target.number_format = "0%"
    for index, column in enumerate(columns, start=1):
        width = 60 if column.kind == "summary" else 16
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
