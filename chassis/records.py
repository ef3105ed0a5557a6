"""One record built from another's same-named fields: a handler's command from a request body, an event from a row,
a row from a command."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import inspect

R = TypeVar("R")


def _field_names(source: type) -> set[str]:
    if issubclass(source, BaseModel):
        return set(source.model_fields)
    if dataclasses.is_dataclass(source):
        return {field.name for field in dataclasses.fields(source)}
    mapper = inspect(source, raiseerr=False)
    if mapper is None:
        raise TypeError(f"{source.__name__} is not a pydantic model, a dataclass or a mapped row")
    return set(mapper.column_attrs.keys())


_SHARED: dict[tuple[type, type], tuple[str, ...]] = {}


def _shared_fields(kind: type, source: type) -> tuple[str, ...]:
    """The fields `kind` takes that `source` has too: worked out once per pair (a check-in's event is built from
    its row on the hot path, issue 13)."""
    shared = _SHARED.get((kind, source))
    if shared is None:
        shared = _SHARED[(kind, source)] = _fields_in_both(kind, source)
    return shared


def _fields_in_both(kind: type, source: type) -> tuple[str, ...]:
    return tuple(sorted(_field_names(kind) & _field_names(source)))


def from_fields(kind: type[R], source: object, /, **given: Any) -> R:
    """A `kind` (dataclass, pydantic model or mapped row) of the `given` values, and of `source`'s values for its
    other fields that `source` has too; a field neither names keeps its default (both positional only, so a field
    may be called `kind` or `source`)."""
    taken = {name: getattr(source, name) for name in _shared_fields(kind, type(source)) if name not in given}
    return kind(**taken, **given)


def row_values(table: type, source: object, /, **given: Any) -> dict[str, Any]:
    """The values of a row of `table` (a mapped class) for an insert or upsert: the `given` ones, and `source`'s for
    the other columns it has too (a copy of another service's fact keeps the fact's names)."""
    taken = {name: getattr(source, name) for name in _shared_fields(table, type(source)) if name not in given}
    return taken | given
