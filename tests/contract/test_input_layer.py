"""One input layer (issue 11, chassis/http.py): every route's JSON body is a `Body`, which refuses unknown fields and
text holding control characters with a 422 problem before anything reaches a handler or the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field, ValidationError

from afterschool.catalog import NAMES
from afterschool.catalog import definition as service_definition
from chassis.auth import Role
from chassis.http import Body
from services.enrollment.app import DEFINITION as ENROLLMENT
from tests.conftest import auth, running

pytestmark = pytest.mark.contract


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_route_that_takes_a_json_body_takes_a_body(name: str, tmp_path: Path) -> None:
    definition = service_definition(name)
    settings = definition.settings_class(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}.db", bus="memory"
    )
    app = definition.create_app(settings)
    bodies = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        model = route.body_field.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            assert issubclass(model, Body), f"{context.path_format}: {model.__name__} is not a chassis Body"
            bodies.append(model)
    assert bodies, f"{name} has no route with a JSON body?"


class Note(Body):
    name: str
    lines: list[dict[str, str]] = Field(default_factory=list)


@pytest.mark.parametrize("bad", ["妈\u0000妈", "bell\u0007", "esc\u001b[31m", "del\u007f"])
def test_control_characters_anywhere_in_a_body_are_refused_with_where(bad: str) -> None:
    with pytest.raises(ValidationError, match="name: text may not hold control characters"):
        Note.model_validate({"name": bad})
    with pytest.raises(ValidationError, match=r"lines\[1\]\.text: text may not hold control characters"):
        Note.model_validate({"name": "ok", "lines": [{"text": "fine"}, {"text": bad}]})


def test_tabs_and_line_breaks_are_text() -> None:
    assert Note.model_validate({"name": "第一行\r\n第二行\t完"}).name == "第一行\r\n第二行\t完"


async def test_a_nul_in_a_guardians_name_is_a_422_problem_and_nothing_is_stored(tmp_path: Path) -> None:
    settings = ENROLLMENT.settings_class(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/e.db", bus="memory"
    )
    operator = auth(Role.DISTRICT_OPERATOR, "op", district="d1")
    admin = auth(Role.SCHOOL_ADMIN, "admin", school="s1")
    async with running(ENROLLMENT, settings) as client:
        assert (
            await client.post("/enrollment/v1/schools", json={"id": "s1", "name": "实验"}, headers=operator)
        ).status_code == 201
        body = {"id": "mum", "name": "妈\u0000妈", "phone": "13800000000"}
        refused = await client.post("/enrollment/v1/guardians", json=body, headers=admin)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert "control characters" in refused.text
        missing = await client.get("/enrollment/v1/guardians/mum", headers=admin)
        assert missing.status_code == 404
