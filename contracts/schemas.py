"""JSON Schemas of the published events, and the rule that a published version only changes compatibly.

Run `bin/contracts` (or `python -m contracts.schemas`) to regenerate `contracts/schemas/`, and the AsyncAPI document
`contracts/asyncapi.json` from the same registry, after adding an event, a field or a version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.registry import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def generated_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event type's `data`, by type."""
    return {name: model.model_json_schema(mode="serialization") for name, model in EVENT_TYPES.items()}


def committed_schemas() -> dict[str, dict[str, Any]]:
    """The schemas committed in `contracts/schemas/`, by type."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(SCHEMA_DIR.glob("*.json"))}


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why `new` cannot replace `old` under the same type (an empty list means it can).

    A consumer built against `old` must read events written against `new`, and the other way round:
    so no field may disappear, change its type, or become newly required.
    """
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"field '{name}' was removed")
        elif _shape(old_prop) != _shape(new_props[name]):
            problems.append(f"field '{name}' changed type from {_shape(old_prop)} to {_shape(new_props[name])}")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    problems.extend(f"field '{name}' became required" for name in sorted(newly_required))
    return problems


def _shape(prop: dict[str, Any]) -> str:
    """A comparable summary of a property's type (descriptions and titles may change freely)."""
    keep = {k: v for k, v in prop.items() if k in {"type", "format", "enum", "$ref", "anyOf", "items", "const"}}
    return json.dumps(keep, sort_keys=True)


def write_schemas() -> list[Path]:
    """Write every generated schema to `contracts/schemas/` (stable formatting, one file per type)."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    written = []
    for name, schema in generated_schemas().items():
        path = SCHEMA_DIR / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    from contracts.asyncapi import write_document

    for written_path in [*write_schemas(), write_document()]:
        print(written_path)
