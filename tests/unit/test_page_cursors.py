"""The one cursor codec every list uses (`chassis/pagination.py`, issue 16): a sort key written into `next` reads
back as the same typed key, and anything the codec did not write is a 422 problem, never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.pagination import Page, PageParams, decode_cursor, encode_cursor, page_of, where_given
from chassis.problems import Unprocessable

pytestmark = pytest.mark.unit

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("part", "kind"),
    [
        ("s1-stu-007", str),
        ("实验小学|三年级%一班", str),  # the separator and the escape inside an id survive
        ("", str),
        (0, int),
        (-42, int),
        (2**63 - 1, int),
        (date(2026, 11, 25), date),
        (datetime(2026, 11, 25, 16, 5, 0, 123456, tzinfo=UTC), datetime),
    ],
)
def test_each_kind_of_part_reads_back_as_it_was_written(part: Any, kind: type[Any]) -> None:
    assert decode_cursor(encode_cursor(part), kind) == (part,)


def test_an_instant_reads_back_as_the_same_instant_in_utc_whatever_offset_wrote_it() -> None:
    school_time = datetime(2026, 11, 25, 17, 0, tzinfo=BEIJING)
    [back] = decode_cursor(encode_cursor(school_time), datetime)
    assert (back, back.utcoffset()) == (school_time, timedelta(0))


def test_a_single_id_is_its_own_cursor_so_the_pages_already_handed_out_stay_valid() -> None:
    assert encode_cursor("s1") == "s1"
    assert encode_cursor(3) == "3"
    assert encode_cursor(date(2026, 9, 1)) == "2026-09-01"


parts = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)


@given(st.lists(parts, min_size=1, max_size=3))
def test_any_key_of_one_to_three_parts_round_trips(key: list[Any]) -> None:
    kinds = [datetime if isinstance(p, datetime) else date if isinstance(p, date) else type(p) for p in key]
    assert decode_cursor(encode_cursor(*key), *kinds) == tuple(key)


@pytest.mark.parametrize(
    ("cursor", "kinds"),
    [
        ("abc", (int,)),  # garbage
        ("²", (int,)),
        ("9" * 30, (int,)),  # beyond a bigint
        ("+1", (int,)),  # not as the codec writes it
        ("007", (int,)),
        ("2026-13-45", (date,)),
        ("20261125", (date,)),
        ("2026-11-25T08:00:00", (datetime,)),  # no zone
        ("2026-11-25T08:00:00.000000+00:00", (datetime,)),
        ("100%", (str,)),  # a stray escape
        ("a|b", (str,)),  # wrong part count
        ("a", (str, str)),
        ("2026-11-25|x|y", (date, str)),
        ("2026-11-25|x", (int, str)),  # wrong type
        ("xiaoming|2026-11-25", (date, str)),
        ("12", (date,)),
    ],
)
def test_a_cursor_the_codec_did_not_write_is_a_422(cursor: str, kinds: tuple[type[Any], ...]) -> None:
    with pytest.raises(Unprocessable) as refused:
        decode_cursor(cursor, *kinds)
    assert refused.value.status == 422


def test_a_naive_instant_or_a_bool_cannot_be_written_into_a_cursor() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_cursor(datetime(2026, 11, 25, 16, 0))
    with pytest.raises(TypeError):
        encode_cursor(True)


def test_a_page_names_its_last_items_key_and_the_last_page_names_none() -> None:
    rows = [(date(2026, 11, 25), "hw-1"), (date(2026, 11, 25), "hw|2"), (date(2026, 11, 26), "hw-3")]
    first: Page[tuple[date, str]] = page_of(rows, PageParams(limit=2), lambda row: row)
    assert first.items == rows[:2]
    assert first.next is not None
    assert PageParams(limit=2, after=first.next).after_pair(date, str) == rows[1]
    assert page_of(rows, PageParams(limit=3), lambda row: row).next is None
    assert PageParams(limit=2).after_pair(date, str) is None


def test_where_given_narrows_by_each_given_filter_and_skips_the_ones_left_out() -> None:
    from sqlalchemy import select

    from services.enrollment.store import Program

    query = where_given(select(Program), (Program.term_id, "t-2026"), (Program.kind, None), (Program.capacity, 0))
    where = str(query.whereclause)
    assert "programs.term_id = :term_id_1" in where
    assert "programs.capacity = :capacity_1" in where  # 0 is a value, not a filter left out
    assert "kind" not in where
    assert where_given(select(Program), (Program.kind, None)).whereclause is None
