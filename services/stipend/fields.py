"""The fields many stipend requests and answers share, each described once for the OpenAPI (issue 11); the ids
every service shares are `contracts/fields.py`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MONTH = "the month, YYYY-MM (the school's own calendar)"
TERM = "the id of a term (学期) in enrollment, e.g. `t-2026-1`"
PROGRAM = "the id of a program of the term in enrollment: the base service, a club or an optional service (EN-4)"

Month = Annotated[str, Field(description=MONTH)]
TermId = Annotated[str, Field(description=TERM)]
ProgramId = Annotated[str, Field(description=PROGRAM)]
ProgramKind = Annotated[str, Field(description="the program kind: homework, club, early_arrival, noon_care or bus")]
Day = Annotated[str, Field(description="the school day, YYYY-MM-DD")]
ClassHours = Annotated[int, Field(description="class-hours (课时), a whole number")]
EventIds = Annotated[list[str], Field(description="ST-5: the ids of the events behind the figure (traceable)")]
Units = Annotated[int, Field(description="ST-1 workload units in hundredths (100 = 1 unit; a late arrival −100)")]
Fen = Annotated[int, Field(description="an amount in integer fen (分; 100 fen = 1 yuan)")]
GrossFen = Annotated[int, Field(description="EN-7: the charge before waivers, integer fen")]
WaivedFen = Annotated[int, Field(description="EN-7: what waivers (免费/减免) take off, integer fen")]
DueFen = Annotated[int, Field(description="EN-7: what the family owes after waivers, integer fen")]
LatePickupFen = Annotated[int, Field(description="BX-5: the month's late-pickup fees, integer fen")]
RefundFen = Annotated[int, Field(description="EN-7 多退: the excess given back to the family, integer fen (0 if none)")]
CollectFen = Annotated[
    int, Field(description="EN-7 少补: the shortfall the family still pays, integer fen (0 if none)")
]
ProcessFen = Annotated[
    int, Field(description="ST-4: the process part (9 of 10) from the monthly statements, integer fen")
]
StatementStatus = Annotated[str, Field(description="ST-5: where the month stands: draft, approved or published")]
SettlementStatus = Annotated[
    str, Field(description="ST-5: published (as settled), or draft (what publishing would settle now)")
]
Score = Annotated[int, Field(description="QA-2 points given by the school")]
