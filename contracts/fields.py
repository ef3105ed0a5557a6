"""The fields many answers and events share, each described once for the OpenAPI (issue 11): ids as enrollment
issues them, and a school's local day. Types for answers (plain strings); a request adds its own bounds."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

SCHOOL = "the school's id in enrollment, e.g. `shiyan` for 实验小学"
STUDENT = "the child's id in enrollment (ids only: a child's name never leaves enrollment)"
CLASS = "the child's home class (行政班) in enrollment, e.g. `g3c1` for 三年级1班"
STAFF = "a member of staff's id in enrollment (the subject of their token)"
SESSION = "the session's id, `<program_id>:<YYYY-MM-DD>`: one program's session on one school day"
ASSIGNMENT = "the homework assignment's id"

SchoolId = Annotated[str, Field(description=SCHOOL)]
StudentId = Annotated[str, Field(description=STUDENT)]
StudentIds = Annotated[list[str], Field(description="the children's ids in enrollment")]
ClassId = Annotated[str, Field(description=CLASS)]
StaffId = Annotated[str, Field(description=STAFF)]
SessionId = Annotated[str, Field(description=SESSION)]
AssignmentId = Annotated[str, Field(description=ASSIGNMENT)]
SchoolDay = Annotated[date, Field(description="a day of the school's own calendar (Asia/Shanghai), YYYY-MM-DD")]
