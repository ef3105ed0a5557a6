"""HTTP routes of the exports for finance (BX-8): teacher statements, family statements, the term settlement
and the evaluation, per school (the school admin), as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from openpyxl import Workbook

from chassis.app import RuntimeDep
from chassis.clock import school_today
from chassis.http import SchoolAdmin
from services.stipend.access.api import MonthPath
from services.stipend.domain.ledger import Draft, totals
from services.stipend.family import handlers as family
from services.stipend.statements import handlers as statements
from services.stipend.term import handlers as term

Format = Literal["csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | bool | None
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the table as a file (`format=csv`, UTF-8 with a byte-order mark, or `format=xlsx`)",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
"""The one documented answer of every download route: CSV or XLSX, never JSON."""


def download_doc(example: str) -> dict[int | str, dict[str, Any]]:
    """DOWNLOAD with an example of the route's CSV, its header and rows as the route writes them (issue 11)."""
    csv_media = {"schema": {"type": "string"}, "example": example}
    return {200: {**DOWNLOAD[200], "content": {**DOWNLOAD[200]["content"], "text/csv": csv_media}}}


TEACHER_CSV = (
    "school_id,month,status,staff_id,units_hundredths,total_fen,corrections_fen,payable_fen,bonus_forfeited\n"
    "shiyan,2026-11,published,t-li,1850,83250,-4500,78750,False\n"
)
FAMILY_CSV = (
    "school_id,month,student_id,class_hours,gross_fen,waived_fen,late_pickup_fen,due_fen\n"
    "shiyan,2026-11,xiaoming,36,8280,0,1000,9280\n"
)
SETTLEMENT_CSV = (
    "school_id,term_id,staff_id,process_fen,weight,bonus_fen,forfeited\n"
    "shiyan,t-2026-1,t-li,360000,92,38983,False\n"
    "shiyan,t-2026-1,t-zhao,315000,85,36017,False\n"
)
EVALUATION_CSV = (
    "school_id,term_id,program_id,patrol,plan_completion,effectiveness,survey,total\n"
    "shiyan,t-2026-1,pg-homework-g3,47,18,17,9,91\n"
)
DISTRICT_CSV = (
    "district_id,school_id,school,month,teacher_statements,teachers,teacher_payable_fen,children,family_due_fen\n"
    "haidian,shiyan,实验小学,2026-11,published,12,945000,42,347760\n"
)


def header_of(example: str) -> list[str]:
    """The columns of a route's CSV example, which the route writes as its header (the two cannot differ)."""
    return example.split("\n", 1)[0].split(",")


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


def download(name: str, fmt: Format, example: str, rows: Sequence[Sequence[Cell]]) -> Response:
    """A file response named `name.csv` or `name.xlsx`: the header of the route's documented CSV `example`, then
    `rows`."""
    header = header_of(example)
    body = to_csv(header, rows) if fmt == "csv" else to_xlsx(name, header, rows)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


router = APIRouter(prefix="/stipend/v1/exports", tags=["exports"])
FormatQuery = Annotated[Format, Query(alias="format")]


@router.get("/teacher-statements/{month}", response_class=Response, responses=download_doc(TEACHER_CSV))
async def export_teacher_statements(
    runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath, fmt: FormatQuery = "csv"
) -> Response:
    """ST-5: one row per teacher (published figures once published, else the draft)."""
    school = principal.school()
    async with runtime.db.sessions() as session:
        run = await statements.run_of(session, school_id=school, month=month)
        status = statements.DRAFT if run is None else run.status
        month_draft = await statements.draft(session, school_id=school, month=month)
        lines = month_draft.lines
        if status == statements.PUBLISHED:
            posted = await statements.posted_lines(session, school_id=school, month=month)
            lines = [Draft(p.entry, p.reverses) for p in posted]
    rows: list[list[Cell]] = [
        [
            school,
            month,
            status,
            t.staff_id,
            t.units,
            t.total_fen,
            t.corrections_fen,
            t.payable_fen,
            t.staff_id in month_draft.bonus_lost,
        ]
        for t in totals(lines, month)
    ]
    return download(f"teacher-statements-{school}-{month}", fmt, TEACHER_CSV, rows)


@router.get("/family-statements/{month}", response_class=Response, responses=download_doc(FAMILY_CSV))
async def export_family_statements(
    runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath, fmt: FormatQuery = "csv"
) -> Response:
    """ST-6: one row per child with any fact in the month."""
    school = principal.school()
    rows: list[list[Cell]] = []
    async with runtime.db.sessions() as session:
        children = await family.students_of_month(session, school_id=school, month=month)
        for student_id, s in (
            await family.statements(session, school_id=school, month=month, student_ids=children)
        ).items():
            class_hours = sum(p.class_hours for p in s.programs)
            rows.append(
                [school, month, student_id, class_hours, s.gross_fen, s.waived_fen, s.late_pickup_fen, s.due_fen]
            )
    return download(f"family-statements-{school}-{month}", fmt, FAMILY_CSV, rows)


@router.get("/settlements/{term_id}", response_class=Response, responses=download_doc(SETTLEMENT_CSV))
async def export_settlement(
    runtime: RuntimeDep, principal: SchoolAdmin, term_id: str, fmt: FormatQuery = "csv"
) -> Response:
    """ST-4: one row per teacher."""
    school = principal.school()
    async with runtime.db.sessions() as session:
        _, shares = await term.settlement_now(
            session, school_id=school, term_id=term_id, today=school_today(runtime.clock)
        )
    rows: list[list[Cell]] = [
        [school, term_id, s.staff_id, s.process_fen, s.weight, s.bonus_fen, s.forfeited] for s in shares
    ]
    return download(f"settlement-{school}-{term_id}", fmt, SETTLEMENT_CSV, rows)


@router.get("/evaluations/{term_id}", response_class=Response, responses=download_doc(EVALUATION_CSV))
async def export_evaluations(
    runtime: RuntimeDep, principal: SchoolAdmin, term_id: str, fmt: FormatQuery = "csv"
) -> Response:
    """QA-2: one row per program."""
    school = principal.school()
    async with runtime.db.sessions() as session:
        found = await term.evaluations(session, school_id=school, term_id=term_id)
    rows: list[list[Cell]] = [
        [school, term_id, e.program_id, e.patrol, e.plan_completion, e.effectiveness, e.survey, e.total] for e in found
    ]
    return download(f"evaluation-{school}-{term_id}", fmt, EVALUATION_CSV, rows)
