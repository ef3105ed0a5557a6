"""Request bodies of applying and declining (`services.enrollment.applications.api`, EN-1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chassis.http import Body, Id, NewId, Reason
from chassis.openapi import examples
from contracts.enrollment import ProgramKind
from services.enrollment.fields import StudentRef, TermRef


class ApplicationCreate(Body):
    """EN-1: a written application for the child for a term, with club choices ranked best first."""

    model_config = examples(
        {
            "student_id": "st-xiaoming",
            "term_id": "t-2026-1",
            "club_choices": ["pg-chess", "pg-choir"],
            "options": ["noon_care"],
        }
    )

    id: NewId = None
    student_id: StudentRef
    term_id: TermRef
    club_choices: list[Id] = Field(default_factory=list, max_length=10, description="club program ids, best first")
    options: list[ProgramKind] = Field(default_factory=list, max_length=3, description="EN-6 optional services")


class DeclineCreate(Body):
    """EN-1: the family will not take part this term, and why."""

    model_config = examples({"student_id": "st-xiaoming", "term_id": "t-2026-1", "reason": "放学后由奶奶接回家照看"})

    student_id: StudentRef
    term_id: TermRef
    reason: Annotated[Reason, Field(description="why the family declines (EN-1: 不参与的家庭也请书面注明原因)")]
