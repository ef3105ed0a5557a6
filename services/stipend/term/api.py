"""HTTP routes of the term: the guardians' survey (anonymous aggregates), the 100-point evaluation of each
program (QA-2, QA-3) and the 9 : 1 settlement (ST-4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal, Principal, Role, require
from chassis.clock import school_today
from chassis.http import Body, Guardian, SchoolAdmin
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples, model_examples
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.fields import STUDENT, SchoolId, StaffId, StudentId
from services.stipend.access import api as access
from services.stipend.access.api import MONTH_PATTERN, TEACHERS
from services.stipend.domain.evaluation import Evaluation
from services.stipend.domain.settlement import Share, bonus_pool
from services.stipend.fields import CollectFen, ProcessFen, ProgramId, RefundFen, SettlementStatus, TermId
from services.stipend.term import handlers as term

router = APIRouter(prefix="/stipend/v1", tags=["survey, evaluation and settlement"])
AdminOrTeacher = Annotated[Principal, require(Role.SCHOOL_ADMIN, *TEACHERS)]
Through = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM: patrols up to this month")]


class AnswerIn(Body):
    """A family's answer for one child's program (1 = very dissatisfied … 5 = very satisfied)."""

    model_config = examples({"student_id": "xiaoming", "score": 5})

    student_id: str = Field(max_length=64, description=STUDENT)
    score: int = Field(description="ST-4/QA-2 satisfaction: 1 = very dissatisfied … 5 = very satisfied")


class SurveyOut(BaseModel):
    """What the survey of a program shows: how many answered, and the points they give (never who)."""

    model_config = examples({"program_id": "pg-homework-g3", "answers": 31})

    program_id: ProgramId
    answers: int = Field(description="how many answers the program has so far (never who gave them)")


class ScoresIn(Body):
    """The school's QA-2 scores of a program for the term."""

    model_config = examples({"plan_completion": 18, "effectiveness": 17, "note": "三年级1班作业辅导按计划完成"})

    plan_completion: int = Field(description="QA-2: plan completion, points out of 20")
    effectiveness: int = Field(description="QA-2: effectiveness, points out of 20")
    note: str = Field(max_length=500, description="the school's remarks on the scores (up to 500 characters)")


class EvaluationOut(BaseModel):
    """QA-2: a program's evaluation, part by part, out of 100."""

    model_config = examples(
        {
            "program_id": "pg-homework-g3",
            "patrol": 47,
            "plan_completion": 18,
            "effectiveness": 17,
            "survey": 9,
            "total": 91,
        }
    )

    program_id: ProgramId
    patrol: int = Field(description="QA-1/QA-2: 50 less the patrol deductions, not below 0")
    plan_completion: int = Field(description="QA-2: plan completion, points out of 20")
    effectiveness: int = Field(description="QA-2: effectiveness, points out of 20")
    survey: int = Field(description="QA-2: the guardians' survey, points out of 10")
    total: int = Field(description="QA-2: the sum, out of 100")


class ShareOut(BaseModel):
    """ST-4: a teacher's term: process money (monthly statements), bonus weight and share."""

    model_config = examples(
        {"staff_id": "t-li", "process_fen": 360000, "weight": 92, "bonus_fen": 38983, "forfeited": False}
    )

    staff_id: StaffId
    process_fen: ProcessFen
    weight: int = Field(description="ST-4/QA-3: the teacher's bonus weight from the QA-2 evaluations of their programs")
    bonus_fen: int = Field(description="ST-4: the teacher's share of the bonus pool, integer fen (0 when forfeited)")
    forfeited: bool = Field(description="ST-3: true when an incident or dereliction of duty lost the bonus")


class SettlementOut(BaseModel):
    """The term's settlement: as published, or as it would be published now."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "term_id": "t-2026-1",
            "status": "draft",
            "process_fen": 675000,
            "bonus_pool_fen": 75000,
            "teachers": [
                *model_examples(ShareOut),
                {
                    "staff_id": "t-zhao",
                    "process_fen": 315000,
                    "weight": 85,
                    "bonus_fen": 36017,
                    "forfeited": False,
                },
            ],
        }
    )

    school_id: SchoolId
    term_id: TermId
    status: SettlementStatus
    process_fen: ProcessFen
    bonus_pool_fen: int = Field(description="ST-4: the bonus pool, process ÷ 9 rounded half up once, integer fen")
    teachers: list[ShareOut] = Field(description="one share per teacher; the bonus shares add up to the pool (ST-7)")


@router.post(
    "/surveys/{term_id}/programs/{program_id}/answers",
    status_code=201,
    response_model=SurveyOut,
    dependencies=[IDEMPOTENT],
)
async def answer_survey(
    runtime: RuntimeDep, request: Request, principal: Guardian, term_id: str, program_id: str, body: AnswerIn
) -> JSONResponse:
    """QA-2: a guardian answers for their own child, once per family, program and term."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        school = await access.family_reader(uow.session, principal, body.student_id)
        count = await term.answer(
            uow, school_id=school, term_id=term_id, program_id=program_id, student_id=body.student_id, score=body.score
        )
        return 201, {"program_id": program_id, "answers": count}

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.put("/evaluations/{term_id}/programs/{program_id}", response_model=EvaluationOut)
async def score_program(
    runtime: RuntimeDep, principal: SchoolAdmin, term_id: str, program_id: str, body: ScoresIn
) -> EvaluationOut:
    """QA-2: the school scores plan completion and effectiveness (with a note)."""
    school = principal.school()
    async with runtime.uow() as uow:
        await term.score(
            uow,
            school_id=school,
            term_id=term_id,
            program_id=program_id,
            plan=body.plan_completion,
            effect=body.effectiveness,
            note=body.note,
            by=principal.subject,
        )
        await uow.commit()
    async with runtime.db.sessions() as session:
        found = await term.evaluations(session, school_id=school, term_id=term_id)
    return next(_evaluation(e) for e in found if e.program_id == program_id)


@router.get("/evaluations/{term_id}", response_model=list[EvaluationOut])
async def term_evaluations(
    runtime: RuntimeDep, principal: AdminOrTeacher, term_id: str, through: Through = None
) -> list[EvaluationOut]:
    """QA-3: every program's evaluation for the school's staff, as it stands or through a month (每月公示)."""
    async with runtime.db.sessions() as session:
        found = await term.evaluations(session, school_id=principal.school(), term_id=term_id, through=through)
    return [_evaluation(e) for e in found]


@router.get("/settlements/{term_id}", response_model=SettlementOut)
async def term_settlement(runtime: RuntimeDep, principal: SchoolAdmin, term_id: str) -> SettlementOut:
    """ST-4: after the term, each teacher's process money and bonus share (9 : 1; none after ST-3)."""
    school = principal.school()
    async with runtime.db.sessions() as session:
        published, shares = await term.settlement_now(
            session, school_id=school, term_id=term_id, today=school_today(runtime.clock)
        )
    return _settlement(school, term_id, "published" if published else "draft", shares)


@router.post("/settlements/{term_id}/publish", response_model=SettlementOut)
async def publish_settlement(runtime: RuntimeDep, principal: SchoolAdmin, term_id: str) -> SettlementOut:
    """ST-4: publish the term's settlement (every month published first), one event per teacher."""
    school = principal.school()
    async with runtime.uow() as uow:
        events = await term.publish_settlement(uow, school_id=school, term_id=term_id, by=principal.subject)
    shares = [Share(e.staff_id, e.process_fen, e.weight, e.bonus_fen, e.forfeited) for e in events]
    return _settlement(school, term_id, "published", shares)


def _settlement(school: str, term_id: str, status: str, shares: list[Share]) -> SettlementOut:
    teachers = [from_fields(ShareOut, s) for s in shares]
    return SettlementOut(
        school_id=school,
        term_id=term_id,
        status=status,
        process_fen=sum(s.process_fen for s in shares),
        bonus_pool_fen=bonus_pool(sum(s.process_fen for s in shares)),
        teachers=teachers,
    )


def _evaluation(e: Evaluation) -> EvaluationOut:
    return from_fields(EvaluationOut, e, total=e.total)


class FamilySettlementOut(BaseModel):
    """EN-7 多退少补 of one monthly program: prepaid at term start, due by attendance, refund or collect."""

    model_config = examples(
        {
            "program_id": "pg-homework-g3",
            "prepaid_fen": 64000,
            "due_fen": 59800,
            "refund_fen": 4200,
            "collect_fen": 0,
        }
    )

    program_id: ProgramId
    prepaid_fen: int = Field(description="EN-7: the monthly fees prepaid at term start, integer fen")
    due_fen: int = Field(description="EN-7: what the term's attendance makes due, integer fen")
    refund_fen: RefundFen
    collect_fen: CollectFen


class FamilyTermOut(BaseModel):
    """A child's term-end settlement of monthly fees."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "term_id": "t-2026-1",
            "student_id": "xiaoming",
            "programs": model_examples(FamilySettlementOut),
            "refund_fen": 4200,
            "collect_fen": 0,
        }
    )

    school_id: SchoolId
    term_id: TermId
    student_id: StudentId
    programs: list[FamilySettlementOut] = Field(description="one settlement per monthly program the child had")
    refund_fen: RefundFen
    collect_fen: CollectFen


@router.get("/family-settlements/{term_id}/students/{student_id}", response_model=FamilyTermOut)
async def family_term_settlement(
    runtime: RuntimeDep, principal: CurrentPrincipal, term_id: str, student_id: str
) -> FamilyTermOut:
    """EN-7/ST-6: the term's monthly prepayments settled against attendance (the school admin, or a guardian)."""
    async with runtime.db.sessions() as session:
        school = await access.family_reader(session, principal, student_id)
        settled = await term.settle_family(session, school_id=school, term_id=term_id, student_id=student_id)
    programs = [
        from_fields(FamilySettlementOut, s, program_id=program_id, refund_fen=s.refund_fen, collect_fen=s.collect_fen)
        for program_id, s in settled
    ]
    return FamilyTermOut(
        school_id=school,
        term_id=term_id,
        student_id=student_id,
        programs=programs,
        refund_fen=sum(p.refund_fen for p in programs),
        collect_fen=sum(p.collect_fen for p in programs),
    )
