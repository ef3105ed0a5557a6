"""Exports for finance (BX-8): a table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese) or
XLSX, built in memory; money stays in integer fen."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Literal

from fastapi import Response
from openpyxl import Workbook

Format = Literal["csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | bool | None


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """The table as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheet: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """The table as a one-sheet workbook."""
    book = Workbook()
    table = book.active
    assert table is not None
    table.title = sheet[:31]
    table.append(list(header))
    for row in rows:
        table.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(name: str, fmt: Format, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Response:
    """A file response named `name.csv` or `name.xlsx`."""
    body = to_csv(header, rows) if fmt == "csv" else to_xlsx(name, header, rows)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
