"""Children's sensitive data on the real stack (PIPL, issue 11): ID numbers and custody notes sealed at rest, masked
unless the caller is the school admin, every unmasked read logged, and the key rotated with a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from chassis.auth import Role
from chassis.crypto import PREFIX, SealError, new_field_key
from services.enrollment.app import DEFINITION
from tests.conftest import ServiceClient, auth, running, stack_settings
from tests.services.enrollment_school import ADMIN, register_school
from tests.services.test_enrollment_roster import MUM, TEACHER_LI, get, make_class_teacher, post

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

ID_NUMBER = "110101195001011234"
CUSTODY = "(2025)京0105民初1234号 custody order"
OLD_KEY, NEW_KEY = new_field_key("k2025"), new_field_key("k2026")


def settings(pg_url: str, topic_prefix: str, keys: str) -> Any:
    return stack_settings(DEFINITION, pg_url, topic_prefix, field_keys=keys)


@pytest.fixture
async def school(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """实验小学 with 小明 (g3c1; mum; class teacher 李), his grandfather authorised and his father restricted."""
    async with running(DEFINITION, settings(pg_url, topic_prefix, OLD_KEY)) as client:
        await register_school(client, "shiyan", "实验小学")
        await post(client, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
        await post(client, "/students", {"id": "xiaoming", "class_id": "g3c1", "name": "小明"})
        await post(client, "/guardians", {"id": "mum", "name": "王芳", "phone": "13800000000"})
        await post(client, "/students/xiaoming/guardians", {"guardian_id": "mum", "relation": "母亲"})
        await make_class_teacher(client, "li", "g3c1")
        yield client


async def add_grandpa_and_restrict_father(client: ServiceClient) -> tuple[dict[str, Any], dict[str, Any]]:
    grandpa = {
        "id": "p-grandpa",
        "name": "王建国",
        "relation": "祖父",
        "credential_ref": "card-7",
        "id_number": ID_NUMBER,
    }
    father = {"id": "r-father", "name": "李强", "relation": "父亲", "credential_ref": "card-9", "note": CUSTODY}
    return await post(client, "/students/xiaoming/pickups", grandpa), await post(
        client, "/students/xiaoming/restricted-persons", father
    )


async def every_stored_text(pg_url: str) -> str:
    """Every row of every table of the service's database, as PostgreSQL prints it (bytea as its UTF-8 text)."""
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = [
            r["tablename"]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        dumped = []
        for table in tables:
            for row in await connection.fetch(f'SELECT * FROM "{table}"'):
                dumped += [v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in row.values()]
        return "\n".join(dumped)
    finally:
        await connection.close()


async def raw_pickups(pg_url: str) -> dict[str, tuple[str, str]]:
    """Each pickup person's ID number and note as stored ("" when none), by the school's code for them."""
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch("SELECT external_id, id_number, note FROM pickup_persons")
        return {r["external_id"]: (r["id_number"] or "", r["note"] or "") for r in rows}
    finally:
        await connection.close()


async def test_id_numbers_and_custody_notes_are_stored_sealed_and_answered_masked(
    school: ServiceClient, pg_url: str
) -> None:
    added, restricted = await add_grandpa_and_restrict_father(school)
    # A write's answer is kept for retries (Idempotency-Key), so it holds nothing sensitive.
    assert (added["id_number"], restricted["note"]) == ("****1234", None)

    stored = await every_stored_text(pg_url)
    for secret in (ID_NUMBER, "京0105民初", "custody"):
        assert secret not in stored
    raw = await raw_pickups(pg_url)
    assert raw["p-grandpa"][0].startswith(f"{PREFIX}k2025:")
    assert raw["r-father"][1].startswith(f"{PREFIX}k2025:")

    shown = await get(school, "/students/xiaoming/pickups", ADMIN)
    assert shown["authorised"][0]["id_number"] == ID_NUMBER
    assert shown["restricted"][0]["note"] == CUSTODY
    for masked_for in (MUM, TEACHER_LI):
        seen = await get(school, "/students/xiaoming/pickups", masked_for)
        assert seen["authorised"][0]["id_number"] == "****1234"
        assert seen["restricted"][0]["note"] is None


async def test_each_unmasked_read_is_logged_for_the_school_admin_and_the_log_is_append_only(
    school: ServiceClient, pg_url: str
) -> None:
    await add_grandpa_and_restrict_father(school)
    await get(school, "/students/xiaoming/pickups", MUM)  # masked: nothing logged
    await get(school, "/students/xiaoming/pickups", TEACHER_LI)
    await get(school, "/students/xiaoming/pickups", ADMIN)
    other_admin = auth(Role.SCHOOL_ADMIN, "副校长", school="shiyan")
    await get(school, "/students/xiaoming/pickups", other_admin)

    log = await get(school, "/sensitive-reads?student_id=xiaoming", ADMIN)
    assert [(e["reader_id"], e["reader_role"], e["fields"]) for e in log["items"]] == [
        ("副校长", "school_admin", ["id_number", "note"]),
        ("教务处", "school_admin", ["id_number", "note"]),
    ]
    assert {e["route"] for e in log["items"]} == {"/enrollment/v1/students/{student_id}/pickups"}
    first_page = await get(school, "/sensitive-reads?limit=1", ADMIN)
    second_page = await get(school, f"/sensitive-reads?limit=1&after={first_page['next']}", ADMIN)
    assert [e["reader_id"] for e in first_page["items"] + second_page["items"]] == ["副校长", "教务处"]
    assert (await get(school, "/sensitive-reads", auth(Role.SCHOOL_ADMIN, "admin", school="yucai")))["items"] == []
    await get(school, "/sensitive-reads", TEACHER_LI, status=403)
    await get(school, "/sensitive-reads", MUM, status=403)

    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for statement in ("UPDATE sensitive_reads SET reader_id = 'nobody'", "DELETE FROM sensitive_reads"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM sensitive_reads") == 2
    finally:
        await connection.close()


async def school_under_the_old_key(pg_url: str, topic_prefix: str) -> None:
    """小明's school, his grandfather authorised and his father restricted, all sealed under the 2025 key."""
    async with running(DEFINITION, settings(pg_url, topic_prefix, OLD_KEY)) as client:
        await register_school(client, "shiyan", "实验小学")
        await post(client, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
        await post(client, "/students", {"id": "xiaoming", "class_id": "g3c1", "name": "小明"})
        await add_grandpa_and_restrict_father(client)


async def test_a_new_key_put_first_reseals_every_value_at_start_and_the_old_key_can_then_go(
    pg_url: str, topic_prefix: str
) -> None:
    await school_under_the_old_key(pg_url, topic_prefix)
    before = await raw_pickups(pg_url)

    async with running(DEFINITION, settings(pg_url, topic_prefix, f"{NEW_KEY},{OLD_KEY}")) as client:
        after = await raw_pickups(pg_url)
        assert after["p-grandpa"][0].startswith(f"{PREFIX}k2026:")
        assert after["r-father"][1].startswith(f"{PREFIX}k2026:")
        assert after != before
    async with running(DEFINITION, settings(pg_url, topic_prefix, NEW_KEY)) as client:  # the old key is gone
        shown = await get(client, "/students/xiaoming/pickups", ADMIN)
        assert shown["authorised"][0]["id_number"] == ID_NUMBER
        assert shown["restricted"][0]["note"] == CUSTODY


async def test_plaintext_left_by_an_older_release_is_sealed_at_start_and_a_missing_key_stops_the_start(
    pg_url: str, topic_prefix: str
) -> None:
    await school_under_the_old_key(pg_url, topic_prefix)
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:  # as release 0007 stored them
        await connection.execute("UPDATE pickup_persons SET id_number = $1 WHERE external_id = 'p-grandpa'", ID_NUMBER)
    finally:
        await connection.close()

    async with running(DEFINITION, settings(pg_url, topic_prefix, OLD_KEY)) as client:
        assert (await raw_pickups(pg_url))["p-grandpa"][0].startswith(f"{PREFIX}k2025:")
        assert (await get(client, "/students/xiaoming/pickups", ADMIN))["authorised"][0]["id_number"] == ID_NUMBER
    with pytest.raises(SealError, match="k2025"):  # dropping a key still in use refuses to start
        async with running(DEFINITION, settings(pg_url, topic_prefix, NEW_KEY)):
            pass
