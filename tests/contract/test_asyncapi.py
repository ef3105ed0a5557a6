"""The AsyncAPI 3 document (BX-8): the committed `contracts/asyncapi.json` equals a fresh generation from the
contracts registry, has AsyncAPI 3.0's shape with every reference resolving, and every service serves it, linked
from its docs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from afterschool.catalog import all_services
from chassis.app import ServiceDefinition
from contracts.asyncapi import ASYNCAPI_PATH, generated_document, render
from contracts.registry import EVENT_TYPES

pytestmark = pytest.mark.contract

COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0: the keys of `components` maps


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(json.loads(ASYNCAPI_PATH.read_text(encoding="utf-8")))


def test_the_committed_document_equals_a_fresh_generation() -> None:
    assert ASYNCAPI_PATH.read_text(encoding="utf-8") == render(generated_document()), (
        "contracts/asyncapi.json differs from the registry: run `bin/contracts` and commit"
    )


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{ref} does not resolve"
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_it_has_asyncapi_3_shape_and_every_reference_resolves(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= set(document["info"])
    top_level = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"}
    assert set(document) <= top_level
    for kind in ("messages", "schemas"):
        assert all(COMPONENT_KEY.match(key) for key in document["components"][kind])
    for ref in set(_refs(document)):
        _resolve(document, ref)
    for channel_id, channel in document["channels"].items():
        assert COMPONENT_KEY.match(channel_id)
        assert channel["address"] == channel["title"]
        for message in channel["messages"].values():  # a channel's messages are the components' messages
            assert message["$ref"].startswith("#/components/messages/")
    for operation in document["operations"].values():
        assert operation["action"] in {"send", "receive"}
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/")
        for message in operation["messages"]:  # AsyncAPI 3: an operation's messages are its channel's
            assert message["$ref"].startswith(f"{channel_ref}/messages/")
    operated = {op["channel"]["$ref"].removeprefix("#/channels/") for op in document["operations"].values()}
    assert operated == set(document["channels"])


def test_every_registered_event_is_one_message_on_its_topic_with_its_models_schema(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    assert sorted(m["name"] for m in messages.values()) == sorted(EVENT_TYPES)
    for channel in document["channels"].values():
        for ref in channel["messages"].values():
            model = EVENT_TYPES[_resolve(document, ref["$ref"])["name"]]
            assert model.topic == channel["address"]
    for message in messages.values():
        model = EVENT_TYPES[message["name"]]
        payload = _resolve(document, message["payload"]["$ref"])
        expected = model.model_json_schema(mode="serialization")
        assert set(payload["properties"]) == set(expected["properties"])
        assert set(payload.get("required", [])) == set(expected.get("required", []))
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
    envelope = document["components"]["schemas"]["Envelope"]
    assert {"specversion", "type", "data", "schoolid"} <= set(envelope["properties"])


@pytest.mark.parametrize("definition", all_services().values(), ids=lambda d: d.name)
async def test_every_service_serves_it_and_links_it_from_its_docs(definition: ServiceDefinition) -> None:
    settings = definition.settings_class(environment="test", database_url="sqlite+aiosqlite://", bus="memory")
    app = definition.create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        served = await client.get(f"/{definition.name}/asyncapi.json")
        openapi = (await client.get(f"/{definition.name}/openapi.json")).json()
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/json"
    assert served.content == ASYNCAPI_PATH.read_bytes()
    assert f"(/{definition.name}/asyncapi.json)" in openapi["info"]["description"]
