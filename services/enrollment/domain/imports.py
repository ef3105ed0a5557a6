"""EN-8 bulk roster import, as pure rules: columns, row parsing and validation, and the plan of what changes.

A file is a header row and data rows (strings). Every row is checked and every problem is reported as
(row, column, value, why): row numbers are the spreadsheet's (the header is row 1). Unknown columns are
ignored and listed. Imports add and update by each row's own id (its "external id", e.g. 学号); they never
delete what a file leaves out (a partial file must not empty a school): use the roster API to unlink or remove.

Columns (Chinese or English header; * = required; cells are trimmed, empty optional cells keep what is stored):

- classes: 班级编号/class_id/id*, 年级/grade* (3, 3年级, 三年级), 班级名称/name*
- students: 学号/学籍号/student_id/id*, 姓名/name*, 班级/class* (the class's 班级编号 or its unique name),
  优先类别/priority_groups (EN-3, separated by ; , 、 /: 留守儿童, 进城务工人员随迁子女, 单亲家庭, 残疾儿童,
  家庭经济困难/建档立卡, or the contract values), 状态/status (在读/active, 离校/left), 离校日期/left_on
- guardians (one row per guardian and child): 家长编号/guardian_id/id*, 家长姓名/name*, 联系电话/phone*,
  语言/language (中文/zh, 英文/en), 学号/student_id (the child), 关系/relation (needed with a child)
- pickups (BX-2, one row per child and person): 学号/student_id*, 接送人编号/person_id/id*, 接送人姓名/name*,
  关系/relation*, 接送凭证/credential_ref (needed to authorise), 身份证号/id_number, 类型/kind (授权/authorised,
  禁止/restricted), 备注/note (the custody order; needed to restrict; never published), 家长编号/guardian_id
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from contracts.enrollment import PriorityGroup

Kind = Literal["classes", "students", "guardians", "pickups"]
KINDS: tuple[Kind, ...] = ("classes", "students", "guardians", "pickups")


@dataclass(frozen=True)
class RowError:
    """One problem: which row, which column, what it said, and why it is refused."""

    row: int
    column: str | None
    message: str
    value: str | None = None


class CellError(ValueError):
    """A cell's value cannot be read as its column's type."""


# --- cell readers -----------------------------------------------------------------------------------------------

_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_PHONE = re.compile(r"^\+?[0-9 -]{5,20}$")
_SPLIT = re.compile(r"[;；,，、/|]")
_GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PRIORITY_WORDS = {
    "留守儿童": PriorityGroup.LEFT_BEHIND,
    "留守": PriorityGroup.LEFT_BEHIND,
    "进城务工人员随迁子女": PriorityGroup.MIGRANT_WORKER,
    "随迁子女": PriorityGroup.MIGRANT_WORKER,
    "单亲家庭": PriorityGroup.SINGLE_PARENT,
    "单亲": PriorityGroup.SINGLE_PARENT,
    "残疾儿童": PriorityGroup.DISABLED,
    "残疾": PriorityGroup.DISABLED,
    "家庭经济困难": PriorityGroup.FINANCIAL_DIFFICULTY,
    "经济困难": PriorityGroup.FINANCIAL_DIFFICULTY,
    "建档立卡": PriorityGroup.FINANCIAL_DIFFICULTY,
}
_PRIORITY_WORDS |= {g.value: g for g in PriorityGroup}
_STATUS_WORDS = {"在读": "active", "在校": "active", "active": "active", "离校": "left", "转出": "left", "left": "left"}
_LANGUAGE_WORDS = {"zh": "zh", "中文": "zh", "汉语": "zh", "en": "en", "英文": "en", "英语": "en", "english": "en"}
_PICKUP_WORDS = {
    "授权": "authorised",
    "允许": "authorised",
    "authorised": "authorised",
    "authorized": "authorised",
    "禁止": "restricted",
    "限制": "restricted",
    "restricted": "restricted",
}


def read_id(value: str) -> str:
    """An id as the school writes it: letters, digits and . _ : - (numbers from spreadsheets lose their `.0`)."""
    value = value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value
    if not _ID.match(value):
        raise CellError("an id is 1–64 letters, digits or . _ : -")
    return value


def read_text(limit: int) -> Callable[[str], str]:
    """Free text up to `limit` characters."""

    def read(value: str) -> str:
        if len(value) > limit:
            raise CellError(f"at most {limit} characters")
        return value

    return read


def read_grade(value: str) -> int:
    """EN-8: grades 1–9, written `3`, `3年级` or `三年级`."""
    text = value.removesuffix("年级").removesuffix(".0")
    grade = _GRADE_WORDS.get(text) or (int(text) if text.isdigit() else 0)
    if not 1 <= grade <= 9:
        raise CellError("grades are 1 to 9")
    return grade


def read_priority_groups(value: str) -> tuple[str, ...]:
    """EN-3 groups, separated by ; , 、 or /, in Chinese (留守儿童, 单亲家庭, …) or as contract values."""
    found: list[str] = []
    for part in filter(None, (p.strip() for p in _SPLIT.split(value))):
        group = _PRIORITY_WORDS.get(part.lower())
        if group is None:
            raise CellError(f"unknown priority group '{part}'")
        found.append(group.value)
    return tuple(g.value for g in PriorityGroup if g.value in found)


def _word(table: Mapping[str, str], what: str) -> Callable[[str], str]:
    def read(value: str) -> str:
        if value.lower() not in table:
            raise CellError(f"{what} is one of {', '.join(table)}")
        return table[value.lower()]

    return read


def read_phone(value: str) -> str:
    """A phone number: digits, spaces and dashes, an optional leading +."""
    value = value.removesuffix(".0")
    if not _PHONE.match(value):
        raise CellError("a phone number is 5–20 digits")
    return value


def read_date(value: str) -> date:
    """A date written 2026-03-02, 2026/3/2 or 2026.3.2 (a spreadsheet date cell arrives as ISO)."""
    parts = re.split(r"[-/.年月日 T]", value.strip())
    try:
        year, month, day = (int(p) for p in parts[:3])
        return date(year, month, day)
    except ValueError as error:
        raise CellError("a date is written 2026-03-02") from error


# --- columns of each kind ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column a kind of file may have: its field, the headers that name it, and how a cell is read."""

    field: str
    headers: tuple[str, ...]
    read: Callable[[str], Any]
    required: bool = False


COLUMNS: dict[Kind, tuple[Column, ...]] = {
    "classes": (
        Column("id", ("班级编号", "班级代码", "class_id", "id"), read_id, required=True),
        Column("grade", ("年级", "grade"), read_grade, required=True),
        Column("name", ("班级名称", "班级", "name", "class_name"), read_text(100), required=True),
    ),
    "students": (
        Column("id", ("学号", "学籍号", "student_id", "id"), read_id, required=True),
        Column("name", ("姓名", "学生姓名", "name"), read_text(100), required=True),
        Column("class", ("班级", "班级编号", "class", "class_id"), read_text(100), required=True),
        Column("priority_groups", ("优先类别", "优先群体", "priority_groups", "priority"), read_priority_groups),
        Column("status", ("状态", "在读状态", "status"), _word(_STATUS_WORDS, "status")),
        Column("left_on", ("离校日期", "left_on"), read_date),
    ),
    "guardians": (
        Column("id", ("家长编号", "监护人编号", "guardian_id", "id"), read_id, required=True),
        Column("name", ("家长姓名", "监护人姓名", "姓名", "name"), read_text(100), required=True),
        Column("phone", ("联系电话", "手机号", "手机", "电话", "phone"), read_phone, required=True),
        Column("language", ("语言", "首选语言", "language", "preferred_language"), _word(_LANGUAGE_WORDS, "language")),
        Column("student", ("学号", "学生学号", "student_id", "student"), read_id),
        Column("relation", ("关系", "与学生关系", "relation"), read_text(32)),
    ),
    "pickups": (
        Column("student", ("学号", "学生学号", "student_id", "student"), read_id, required=True),
        Column("id", ("接送人编号", "person_id", "id"), read_id, required=True),
        Column("name", ("接送人姓名", "姓名", "name"), read_text(100), required=True),
        Column("relation", ("关系", "与学生关系", "relation"), read_text(32), required=True),
        Column("credential", ("接送凭证", "凭证", "卡号", "credential_ref", "credential"), read_text(128)),
        Column("id_number", ("身份证号", "证件号码", "id_number"), read_text(32)),
        Column("kind", ("类型", "接送类型", "kind", "type"), _word(_PICKUP_WORDS, "kind")),
        Column("note", ("备注", "说明", "note"), read_text(2000)),
        Column("guardian", ("家长编号", "guardian_id", "guardian"), read_id),
    ),
}


def _normal(header: str) -> str:
    return re.sub(r"[\s_]+", "_", header.strip().lower()).strip("_")


def column_docs() -> str:
    """The accepted headers of every kind, as Markdown (for the OpenAPI description)."""
    lines = []
    for kind, columns in COLUMNS.items():
        cells = [f"`{' / '.join(c.headers)}`{' (required)' if c.required else ''}" for c in columns]
        lines.append(f"- **{kind}**: " + "; ".join(cells))
    return "\n".join(lines)


# --- parsing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One valid data row: its spreadsheet row number and its fields (absent optional cells are missing)."""

    row: int
    values: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value, or `default` when the cell was empty or the column absent."""
        return self.values.get(name, default)


@dataclass
class Parsed:
    """The records read from a file, the problems found, and the columns that were ignored."""

    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0  # data rows read, broken ones included


def parse(kind: Kind, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Parsed:
    """Read every row of a `kind` file; each broken cell, missing value or duplicate is one RowError."""
    parsed = Parsed()
    positions = _map_header(kind, header, parsed)
    if parsed.errors:
        return parsed
    for number, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue  # spreadsheets keep blank lines; they are no rows
        parsed.rows += 1
        record = _read_row(kind, number, cells, positions, parsed.errors)
        if record is not None:
            parsed.records.append(record)
    parsed.errors += CHECKS[kind](parsed.records)
    parsed.errors.sort(key=lambda e: (e.row, e.column or ""))
    return parsed


def _map_header(kind: Kind, header: Sequence[str], parsed: Parsed) -> dict[str, int]:
    by_name = {_normal(h): c for c in COLUMNS[kind] for h in c.headers}
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        column = by_name.get(_normal(title))
        if column is None:
            if title.strip():
                parsed.ignored_columns.append(title.strip())
        elif column.field in positions:
            parsed.errors.append(RowError(1, title, f"a second column for '{column.field}'"))
        else:
            positions[column.field] = index
    for column in COLUMNS[kind]:
        if column.required and column.field not in positions:
            parsed.errors.append(RowError(1, column.headers[0], f"missing column ({' / '.join(column.headers)})"))
    return positions


def _read_row(
    kind: Kind, number: int, cells: Sequence[str], positions: Mapping[str, int], errors: list[RowError]
) -> Record | None:
    values: dict[str, Any] = {}
    broken = False
    for column in COLUMNS[kind]:
        index = positions.get(column.field)
        raw = cells[index].strip() if index is not None and index < len(cells) else ""
        if not raw:
            if column.required:
                errors.append(RowError(number, column.headers[0], "empty; a value is required"))
                broken = True
            continue
        try:
            values[column.field] = column.read(raw)
        except CellError as error:
            errors.append(RowError(number, column.headers[0], str(error), raw))
            broken = True
    return None if broken else Record(number, values)


def _duplicates(records: Iterable[Record], key: Callable[[Record], object], column: str) -> list[RowError]:
    first: dict[object, int] = {}
    errors = []
    for record in records:
        seen = first.setdefault(key(record), record.row)
        if seen != record.row:
            errors.append(RowError(record.row, column, f"the same as row {seen}", str(key(record))))
    return errors


def _check_classes(records: list[Record]) -> list[RowError]:
    return _duplicates(records, lambda r: r.get("id"), "班级编号")


def _check_students(records: list[Record]) -> list[RowError]:
    errors = _duplicates(records, lambda r: r.get("id"), "学号")
    for r in records:
        if r.get("left_on") is not None and r.get("status") != "left":
            errors.append(RowError(r.row, "离校日期", "a leaving date needs the status 离校 (left)"))
    return errors


def _check_guardians(records: list[Record]) -> list[RowError]:
    errors = _duplicates([r for r in records if r.get("student")], lambda r: (r.get("id"), r.get("student")), "学号")
    first: dict[str, Record] = {}
    for r in records:
        if r.get("student") and not r.get("relation"):
            errors.append(RowError(r.row, "关系", "empty; the relation to the child is required"))
        earlier = first.setdefault(r.get("id"), r)
        for name, title in (("name", "家长姓名"), ("phone", "联系电话"), ("language", "语言")):
            if earlier is not r and earlier.get(name) != r.get(name):
                errors.append(RowError(r.row, title, f"differs from row {earlier.row} for the same guardian"))
    return errors


def _check_pickups(records: list[Record]) -> list[RowError]:
    errors = _duplicates(records, lambda r: (r.get("student"), r.get("id")), "接送人编号")
    restricted: dict[tuple[str, str], int] = {}
    for r in records:
        if r.get("kind", "authorised") == "restricted":
            if not r.get("note"):
                errors.append(RowError(r.row, "备注", "a restriction needs its note (the custody order)"))
            for key in (r.get("credential"), r.get("id_number")):
                if key:
                    restricted.setdefault((r.get("student"), key), r.row)
        elif not r.get("credential"):
            errors.append(RowError(r.row, "接送凭证", "empty; an authorised pickup person needs their credential"))
    for r in records:
        if r.get("kind", "authorised") == "authorised":
            for key in (r.get("credential"), r.get("id_number")):
                if key and (r.get("student"), key) in restricted:
                    row = restricted[(r.get("student"), key)]
                    errors.append(RowError(r.row, "接送凭证", f"restricted for this child in row {row} (BX-2)", key))
    return errors


CHECKS: dict[Kind, Callable[[list[Record]], list[RowError]]] = {
    "classes": _check_classes,
    "students": _check_students,
    "guardians": _check_guardians,
    "pickups": _check_pickups,
}

_IDS = uuid.UUID("6f1c3f5e-4b7a-4e4e-9a53-0c2b8f6d9e11")


def new_id(school_id: str, kind: str, *external: str) -> str:
    """EN-8/issue 11: the stored id of a school's row, from the school's own code for it (in an import or through the
    API): the same school, kind and code always give the same id, and another school's never does."""
    return str(uuid.uuid5(_IDS, "/".join((school_id, kind, *external))))
