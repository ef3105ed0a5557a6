"""`chassis.records.from_fields`: a command from a body, an event from a row, by same-named fields (issue 16)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.records import from_fields, row_values


class _Body(BaseModel):
    name: str
    grades: list[int]
    id: str | None = None
    unrelated: str = "not copied"


@dataclass(frozen=True)
class _Command:
    school_id: str
    band_id: str | None
    name: str
    grades: list[int]
    note: str = "kept default"


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "records_test_rows"

    band_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))

    def grades(self) -> list[int]:
        """A method of the row is not a field to copy."""
        return [9]


class _Event(BaseModel):
    band_id: str
    school_id: str
    name: str
    grades: list[int] = []


def test_a_command_takes_the_bodys_same_named_fields_and_the_given_ones_over_them() -> None:
    body = _Body(name="低年级", grades=[1, 2], id="b1")
    command = from_fields(_Command, body, school_id="shiyan", band_id=body.id, name="given wins")
    assert command == _Command(school_id="shiyan", band_id="b1", name="given wins", grades=[1, 2])


def test_an_event_takes_a_rows_columns_and_not_its_methods() -> None:
    row = _Row(band_id="b1", school_id="shiyan", name="低年级")
    assert from_fields(_Event, row) == _Event(band_id="b1", school_id="shiyan", name="低年级", grades=[])


def test_a_row_takes_a_commands_same_named_fields_and_keeps_the_rest_unset() -> None:
    command = _Command(school_id="shiyan", band_id="b1", name="低年级", grades=[1, 2])
    row = from_fields(_Row, command, name="given wins")
    assert (row.band_id, row.school_id, row.name) == ("b1", "shiyan", "given wins")
    assert row.grades() == [9]


def test_a_rows_values_are_the_facts_same_named_fields_for_its_columns_and_the_given_ones() -> None:
    fact = _Event(band_id="b1", school_id="shiyan", name="低年级", grades=[1, 2])
    assert row_values(_Row, fact, name="given wins") == {"band_id": "b1", "school_id": "shiyan", "name": "given wins"}


def test_a_kind_that_is_no_record_is_refused() -> None:
    with pytest.raises(TypeError):
        from_fields(dict, _Body(name="x", grades=[]))


def test_a_field_the_target_needs_and_nobody_names_is_refused() -> None:
    with pytest.raises(TypeError):
        from_fields(_Command, _Body(name="x", grades=[]))
