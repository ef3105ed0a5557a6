"""One record built from another's same-named fields: a handler's command from a request body, an event from a row."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import inspect

R = TypeVar("R")


def _field_names(source: object) -> set[str]:
    if isinstance(source, BaseModel):
        return set(type(source).model_fields)
    if dataclasses.is_dataclass(source):
        return {field.name for field in dataclasses.fields(source)}
    mapper = inspect(type(source), raiseerr=False)
    if mapper is None:
        raise TypeError(f"{type(source).__name__} is not a pydantic model, a dataclass or a mapped row")
    return set(mapper.column_attrs.keys())


def from_fields(kind: type[R], source: object, /, **given: Any) -> R:
    """A `kind` (dataclass or pydantic model) of the `given` values, and of `source`'s values for its other fields
    that `source` has too; a field neither names keeps its default (both positional only, so a field may be called
    `kind` or `source`)."""
    if dataclasses.is_dataclass(kind):
        wanted = {field.name for field in dataclasses.fields(kind)}
    elif issubclass(kind, BaseModel):
        wanted = set(kind.model_fields)
    else:
        raise TypeError(f"{kind.__name__} is not a dataclass or a pydantic model")
    taken = {name: getattr(source, name) for name in (wanted & _field_names(source)) - given.keys()}
    return kind(**taken, **given)
