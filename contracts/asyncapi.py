"""The AsyncAPI 3.0 document of every published event (BX-8), generated from the contracts registry.

One channel per topic (its address is the topic, before a deployment's `KAFKA_TOPIC_PREFIX`), one `send` operation
per channel (the producing service publishes there), one message per event type whose payload is the event model's
JSON Schema: the `data` of the CloudEvents 1.0 envelope (`Envelope`) the message travels in, whose `type` is the
message's name. Run `bin/contracts` (or `python -m contracts.asyncapi`) to regenerate `contracts/asyncapi.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contracts.envelope import Envelope, Event
from contracts.registry import EVENT_TYPES

ASYNCAPI_PATH = Path(__file__).parent / "asyncapi.json"
VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
_SCHEMAS = "#/components/schemas/{model}"


def _summary(model: type[BaseModel]) -> str:
    return (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else model.__name__


def _channel_id(topic: str) -> str:
    """`attendance.events` → `attendanceEvents` (ids stay free of dots, so they read the same in every tool)."""
    head, *rest = topic.split(".")
    return head + "".join(part.capitalize() for part in rest)


def _message_id(event_type: str) -> str:
    """`attendance.student_checked_in.v1` → `attendance_student_checked_in_v1`."""
    return event_type.replace(".", "_")


def _message(event_type: str, model: type[Event], payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": event_type,
        "title": model.__name__,
        "summary": _summary(model),
        "contentType": "application/json",
        "payload": payload,
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"the event's `{model.key_field}`: its events keep order"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def generated_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every event type in the registry."""
    models: list[type[BaseModel]] = [Envelope, *EVENT_TYPES.values()]
    refs, top = models_json_schema([(m, "serialization") for m in models], ref_template=_SCHEMAS)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in sorted(EVENT_TYPES.items()):
        channel_id, message_id = _channel_id(model.topic), _message_id(event_type)
        messages[message_id] = _message(event_type, model, refs[(model, "serialization")])
        channel = channels.setdefault(
            channel_id,
            {
                "address": model.topic,
                "title": model.topic,
                "description": f"Every event of the `{model.topic.split('.')[0]}` service, as CloudEvents 1.0 JSON.",
                "messages": {},
            },
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
    for channel_id, channel in channels.items():
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "title": f"the service publishes on {channel['address']}",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in channel["messages"]],
        }
    return {
        "asyncapi": VERSION,
        "info": {
            "title": "afterschool events",
            "version": "1.0.0",
            "description": (
                "Every event the platform publishes on Kafka (BX-8), one topic per producing service, each message a "
                "CloudEvents 1.0 structured-mode JSON envelope (`components.schemas.Envelope`) whose `data` is the "
                "message's payload and whose `type` is the message's name. Generated from `contracts/registry.py`."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": top.get("$defs", {})},
    }


def render(document: dict[str, Any]) -> str:
    """The document as committed: stable key order, two-space indent, UTF-8 text."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_document() -> Path:
    """Write the generated document to `contracts/asyncapi.json`."""
    ASYNCAPI_PATH.write_text(render(generated_document()), encoding="utf-8")
    return ASYNCAPI_PATH


if __name__ == "__main__":
    print(write_document())
