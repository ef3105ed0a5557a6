"""EN-8: a roster file's bytes as a header and rows of text: CSV (UTF-8 or GB18030) or XLSX (openpyxl, read-only)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = (CSV, XLSX)


class UnreadableFile(ValueError):
    """The body is not a CSV or XLSX file this service can read."""


@dataclass(frozen=True)
class Sheet:
    """The first row (the header) and the data rows of a file, every cell as stripped text."""

    header: list[str]
    rows: list[list[str]]


def read_sheet(media_type: str, body: bytes) -> Sheet:
    """Decode an uploaded roster file."""
    if media_type == XLSX:
        rows = list(_xlsx_rows(body))
    elif media_type == CSV:
        rows = list(csv.reader(io.StringIO(_decode(body))))
    else:
        raise UnreadableFile(f"send the file as {CSV} or {XLSX}")
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UnreadableFile("the file has no header row")
    return Sheet(header=[c.strip() for c in rows[0]], rows=rows[1:])


def _decode(body: bytes) -> str:
    # Excel on Chinese Windows saves CSV as GBK (GB18030 is its superset); everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("a CSV file must be UTF-8 or GB18030 text")


def _xlsx_rows(body: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(f"not a readable XLSX workbook: {error}") from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_text(v) for v in values]
    finally:
        workbook.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 学号 typed as a number comes back as 2023001.0
    return str(value).strip()
