"""Queries of programs only this slice makes; the `Program` table is in the root store (every slice reads it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.pagination import rows_after, where_given
from services.enrollment.store import Program


async def programs_page(
    session: AsyncSession, *, school_id: str, term_id: str | None, kind: str | None, after: str | None, limit: int
) -> list[Program]:
    """Up to `limit` of a school's programs after the cursor, by id, optionally of one term and kind."""
    query = where_given(
        select(Program).where(Program.school_id == school_id), (Program.term_id, term_id), (Program.kind, kind)
    )
    return await rows_after(session, query, [Program.program_id], after, limit)
