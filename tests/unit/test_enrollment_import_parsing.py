"""EN-8 bulk import without I/O: reading files, checking every row, and planning exactly what changes."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from contracts.enrollment import GuardianLinked
from services.enrollment.domain.import_plans import ClassRow, PickupRow, Plan, Snapshot, StudentRow, plan
from services.enrollment.domain.imports import Parsed, RowError, new_id, parse
from services.enrollment.imports.handlers import CSV, XLSX, UnreadableFile, read_sheet

pytestmark = pytest.mark.unit

MARCH = date(2026, 3, 2)


def rows(text: str) -> Parsed:
    """Parse a students CSV written inline."""
    sheet = read_sheet(CSV, text.encode())
    return parse("students", sheet.header, sheet.rows)


def test_chinese_and_english_headers_name_the_same_columns() -> None:
    chinese = rows("学号,姓名,班级,优先类别\n2023001,小明,三年级1班,留守儿童、单亲家庭\n")
    english = rows("Student ID,Name,class,priority_groups\n2023001,小明,三年级1班,left_behind;single_parent\n")
    assert chinese.errors == english.errors == []
    assert (
        chinese.records[0].values
        == english.records[0].values
        == {
            "id": "2023001",
            "name": "小明",
            "class": "三年级1班",
            "priority_groups": ("left_behind", "single_parent"),
        }
    )


def test_every_broken_cell_is_reported_with_row_column_and_value() -> None:
    parsed = rows("学号,姓名,班级,状态\n2023001,,g3c1,\nbad id,小红,g3c1,在读\n2023003,小刚,g3c1,毕业\n")
    assert parsed.errors == [
        RowError(2, "姓名", "empty; a value is required"),
        RowError(3, "学号", "an id is 1–64 letters, digits or . _ : -", "bad id"),
        RowError(4, "状态", "status is one of 在读, 在校, active, 离校, 转出, left", "毕业"),
    ]
    assert parsed.records == []
    assert parsed.rows == 3


def test_a_missing_required_column_is_reported_on_the_header_row() -> None:
    parsed = rows("学号,姓名\n2023001,小明\n")
    assert parsed.errors == [RowError(1, "班级", "missing column (班级 / 班级编号 / class / class_id)")]


def test_unknown_columns_are_ignored_and_listed_and_blank_lines_skipped() -> None:
    parsed = rows("学号,姓名,班级,性别\n2023001,小明,g3c1,男\n,,,\n")
    assert parsed.ignored_columns == ["性别"]
    assert [r.row for r in parsed.records] == [2]


def test_the_same_id_twice_is_a_duplicate() -> None:
    parsed = rows("学号,姓名,班级\n2023001,小明,g3c1\n2023001,小明,g3c2\n")
    assert parsed.errors == [RowError(3, "学号", "the same as row 2", "2023001")]


def test_grades_and_phones_are_read_as_schools_write_them() -> None:
    sheet = read_sheet(CSV, "班级编号,年级,班级名称\ng1,一年级,一年级1班\ng3,3年级,三年级1班\ng9,9,九年级\n".encode())
    assert [r.get("grade") for r in parse("classes", sheet.header, sheet.rows).records] == [1, 3, 9]
    bad = read_sheet(CSV, "班级编号,年级,班级名称\ng12,12,高三\n".encode())
    assert parse("classes", bad.header, bad.rows).errors == [RowError(2, "年级", "grades are 1 to 9", "12")]


def test_one_guardian_on_two_rows_must_agree_with_themself() -> None:
    text = "家长编号,家长姓名,联系电话,学号,关系\nmum,王芳,13800000000,s1,母亲\nmum,王芳,13900000000,s2,母亲\n"
    sheet = read_sheet(CSV, text.encode())
    parsed = parse("guardians", sheet.header, sheet.rows)
    assert parsed.errors == [RowError(3, "联系电话", "differs from row 2 for the same guardian")]


def test_a_file_that_restricts_and_authorises_one_credential_is_refused_bx_2() -> None:
    text = (
        "学号,接送人编号,接送人姓名,关系,接送凭证,类型,备注\n"
        "s1,p1,李强,父亲,card-9,禁止,(2025)京0105民初1234号\n"
        "s1,p2,李强,父亲,card-9,授权,\n"
        "s1,p3,王奶奶,祖母,,授权,\n"
        "s1,p4,某人,其他,card-5,restricted,\n"
    )
    sheet = read_sheet(CSV, text.encode())
    errors = parse("pickups", sheet.header, sheet.rows).errors
    assert [(e.row, e.column) for e in errors] == [(3, "接送凭证"), (4, "接送凭证"), (5, "备注")]
    assert "BX-2" in errors[0].message


def test_csv_saved_by_excel_on_chinese_windows_is_read() -> None:
    sheet = read_sheet(CSV, "学号,姓名,班级\n2023001,小明,三年级1班\n".encode("gb18030"))
    assert sheet.rows == [["2023001", "小明", "三年级1班"]]


def test_xlsx_numbers_and_dates_become_text() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["学号", "姓名", "班级", "状态", "离校日期"])
    sheet.append([2023001, "小明", "三年级1班", "离校", date(2026, 6, 30)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_sheet(XLSX, buffer.getvalue())
    assert read.rows == [["2023001", "小明", "三年级1班", "离校", "2026-06-30"]]
    assert parse("students", read.header, read.rows).records[0].get("left_on") == date(2026, 6, 30)


def test_a_body_that_is_no_spreadsheet_is_unreadable() -> None:
    with pytest.raises(UnreadableFile):
        read_sheet(XLSX, b"not a zip")
    with pytest.raises(UnreadableFile):
        read_sheet(CSV, b"")


# --- planning -----------------------------------------------------------------------------------------------------


def school() -> Snapshot:
    snap = Snapshot("shiyan")
    snap.classes = {c: ClassRow(c, c, 3, f"三年级{c[-1]}班") for c in ("g3c1", "g3c2")}
    return snap


def planned(text: str, snap: Snapshot, kind: str = "students") -> Plan:
    sheet = read_sheet(CSV, text.encode())
    parsed = parse(kind, sheet.header, sheet.rows)  # type: ignore[arg-type]
    assert parsed.errors == []
    return plan(kind, parsed.records, snap, effective_on=MARCH)  # type: ignore[arg-type]


def event_types(result: Plan) -> list[str]:
    return [e.type for row in result.rows for e in row.events]


def test_importing_the_same_file_twice_plans_nothing_the_second_time() -> None:
    snap = school()
    text = "学号,姓名,班级,优先类别\n2023001,小明,g3c1,留守儿童\n2023002,小红,三年级2班,\n"
    first = planned(text, snap)
    assert event_types(first) == ["enrollment.student_enrolled.v1"] * 2
    assert first.rows[1].writes[0].values["class_id"] == "g3c2"  # found by the class's unique name
    again = planned(text, snap)
    assert [r.changed for r in again.rows] == [False, False]


def test_a_moved_class_is_a_transfer_and_a_leaving_is_announced_en_8() -> None:
    snap = school()
    snap.students["2023001"] = StudentRow("sid-1", "2023001", "g3c1", "小明", (), "active")
    moved = planned("学号,姓名,班级\n2023001,小明,g3c2\n", snap)
    assert event_types(moved) == ["enrollment.student_transferred.v1"]
    assert moved.rows[0].writes[0].values == {"student_id": "sid-1", "class_id": "g3c2"}
    left = planned("学号,姓名,班级,状态,离校日期\n2023001,小明,g3c2,离校,2026-06-30\n", snap)
    assert event_types(left) == ["enrollment.student_left.v1"]
    assert left.rows[0].writes[0].values["left_on"] == date(2026, 6, 30)


def test_a_new_name_is_announced_and_a_priority_group_is_only_stored() -> None:
    snap = school()
    snap.students["2023001"] = StudentRow("sid-1", "2023001", "g3c1", "小明", (), "active")
    renamed = planned("学号,姓名,班级\n2023001,王小明,g3c1\n", snap)
    assert event_types(renamed) == ["enrollment.student_enrolled.v1"]
    grouped = planned("学号,姓名,班级,优先类别\n2023001,王小明,g3c1,残疾儿童\n", snap)
    assert event_types(grouped) == []
    assert grouped.rows[0].writes[0].values == {"student_id": "sid-1", "priority_groups": ["disabled"]}


def test_an_unknown_class_or_child_is_a_row_error() -> None:
    sheet = read_sheet(CSV, "学号,姓名,班级\n2023001,小明,五年级9班\n".encode())
    result = plan("students", parse("students", sheet.header, sheet.rows).records, school(), effective_on=MARCH)
    assert [(e.row, e.column) for e in result.errors] == [(2, "班级")]


def test_guardians_are_linked_once_and_relinked_when_their_language_changes() -> None:
    snap = school()
    snap.students["s1"] = StudentRow("sid-1", "s1", "g3c1", "小明", (), "active")
    snap.students["s2"] = StudentRow("sid-2", "s2", "g3c1", "小亮", (), "active")
    text = "家长编号,家长姓名,联系电话,学号,关系\nmum,王芳,13800000000,s1,母亲\nmum,王芳,13800000000,s2,母亲\n"
    first = planned(text, snap, "guardians")
    assert event_types(first) == ["enrollment.guardian_linked.v1"] * 2
    assert planned(text, snap, "guardians").rows[0].changed is False
    english = planned("家长编号,家长姓名,联系电话,语言\nmum,王芳,13800000000,英文\n", snap, "guardians")
    events = [e for row in english.rows for e in row.events]
    relinked = [e for e in events if isinstance(e, GuardianLinked)]
    assert len(relinked) == len(events)
    assert [(e.student_id, e.preferred_language) for e in relinked] == [
        ("sid-1", "en"),
        ("sid-2", "en"),
    ]


def test_a_restriction_lifts_the_same_persons_authorisation_bx_2() -> None:
    snap = school()
    snap.students["s1"] = StudentRow("sid-1", "s1", "g3c1", "小明", (), "active")
    snap.pickups[("sid-1", "p1")] = PickupRow(
        "pid-1", "sid-1", "p1", "李强", "父亲", "card-9", None, None, "authorised", None
    )
    text = "学号,接送人编号,接送人姓名,关系,接送凭证,类型,备注\ns1,r1,李强,父亲,card-9,禁止,custody order\n"
    result = planned(text, snap, "pickups")
    assert event_types(result) == ["enrollment.pickup_person_removed.v1", "enrollment.pickup_person_restricted.v1"]
    again = planned("学号,接送人编号,接送人姓名,关系,接送凭证\ns1,p1,李强,父亲,card-9\n", snap, "pickups")
    assert [(e.row, e.column) for e in again.errors] == [(2, "接送凭证")]


def test_new_ids_are_the_same_for_the_same_school_and_row_id() -> None:
    assert new_id("shiyan", "student", "2023001") == new_id("shiyan", "student", "2023001")
    assert new_id("shiyan", "student", "2023001") != new_id("yucai", "student", "2023001")
