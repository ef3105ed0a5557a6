"""The fields many homework answers share, each described once for the OpenAPI (issue 11); the ids every
service shares are `contracts/fields.py`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import Field

from contracts.homework import HomeworkKind, WrittenLayer

Subject = Annotated[str, Field(description="the school subject as the school names it, e.g. 语文, 数学, 英语")]
Kind = Annotated[
    HomeworkKind, Field(description="HW-5: written (书面) or a practical kind: reading, sport, labour, inquiry")
]
Layer = Annotated[
    WrittenLayer | None, Field(description="HW-5: basic, extended or comprehensive; written homework only, else null")
]
On = Annotated[date, Field(description="the day the homework is to be done: the day whose caps it counts against")]
DueOn = Annotated[date, Field(description="the day it is to be handed in")]
Counted = Annotated[int, Field(description="HW-5: minutes the caps count: the heaviest tier's estimate")]
Instructions = Annotated[str, Field(description="what the children are to do, as the teacher wrote it")]
Version = Annotated[int, Field(description="1 when set, one more for each change")]
Minutes = Annotated[int, Field(description="the minutes the child actually took")]
Estimated = Annotated[int, Field(description="the minutes the child's tier was estimated to need (HW-5)")]
GRADE = "HW-7: the teacher's grade, e.g. 优, A or 95"
FEEDBACK = "HW-7: the teacher's feedback to the child"
Grade = Annotated[str | None, Field(description=f"{GRADE}; null until graded")]
Feedback = Annotated[str | None, Field(description=f"{FEEDBACK}; null until graded")]
FromDay = Annotated[date, Query(alias="from")]
"""A list's first day, `?from=` (YYYY-MM-DD)."""
ToDay = Annotated[date, Query(alias="to")]
"""A list's last day, `?to=`, inclusive."""
