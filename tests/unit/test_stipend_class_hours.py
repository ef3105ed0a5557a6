"""Attended class-hours (SR-1, SR-2, EN-4..EN-6): from the program and when the child was actually there."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chassis.clock import SCHOOL_TZ
from services.stipend.domain.class_hours import (
    Child,
    DayMarks,
    DayPresence,
    Line,
    Mark,
    Program,
    Timetable,
    attended_lines,
    day_lines,
    instant,
    presence_by_day,
    slots_attended,
)

WEDNESDAY = date(2026, 11, 25)
BASE = Program("p-base", "homework_supervision", frozenset(range(5)), time(15, 40), 3)
CHESS = Program("p-chess", "club", frozenset({2}), time(15, 40), 2, specialty=True)
NOON = Program("p-noon", "noon_care", frozenset(range(5)), time(12, 0), 2)
XIAOMING = Child("xiaoming", grade=3)


def at(hour: int, minute: int) -> datetime:
    return datetime.combine(WEDNESDAY, time(hour, minute), tzinfo=SCHOOL_TZ).astimezone(UTC)


def day(check_in: datetime | None, check_out: datetime | None = None, leave: str | None = None) -> DayPresence:
    ins = frozenset({Mark(check_in, "ev-in")}) if check_in else frozenset()
    outs = frozenset({Mark(check_out, "ev-out")}) if check_out else frozenset()
    return DayPresence(WEDNESDAY, ins, outs, frozenset({leave}) if leave else frozenset())


def hours(child: Child, presence: DayPresence, programs: list[Program]) -> dict[str | None, int]:
    lines = attended_lines(child, presence, programs, class_hour_minutes=40, min_class_hours=2)
    return {line.program_id: line.class_hours for line in lines}


def test_a_three_class_hour_session_attended_in_full_counts_three() -> None:
    assert hours(XIAOMING, day(at(15, 30), at(17, 45)), [BASE]) == {"p-base": 3}


def test_arriving_ten_minutes_late_keeps_the_first_class_hour() -> None:
    """SR-1: 30 of the first 40 minutes is at least half the slot."""
    assert hours(XIAOMING, day(at(15, 50), at(17, 45)), [BASE]) == {"p-base": 3}


def test_arriving_half_way_through_the_first_class_hour_still_counts_it_but_later_does_not() -> None:
    assert hours(XIAOMING, day(at(16, 0)), [BASE]) == {"p-base": 3}
    assert hours(XIAOMING, day(at(16, 1)), [BASE]) == {"p-base": 2}


def test_early_collection_drops_the_class_hours_mostly_missed() -> None:
    """Collected at 16:50: slot 2 (16:20–17:00) had 30 min, slot 3 (17:00–17:40) none."""
    assert hours(XIAOMING, day(at(15, 35), at(16, 50)), [BASE]) == {"p-base": 2}


def test_no_check_out_means_present_until_the_programs_end() -> None:
    member = Child("xiaohong", grade=3, clubs=frozenset({"p-chess"}))
    assert hours(member, day(at(15, 35)), [BASE, CHESS]) == {"p-base": 3, "p-chess": 2}


def test_a_club_is_its_own_line_only_for_a_child_with_a_place() -> None:
    member = Child("xiaohong", grade=3, clubs=frozenset({"p-chess"}))
    assert hours(member, day(at(15, 35), at(17, 10)), [BASE, CHESS]) == {"p-base": 2, "p-chess": 2}
    assert "p-chess" not in hours(XIAOMING, day(at(15, 35), at(17, 10)), [BASE, CHESS])


def test_noon_care_is_a_line_only_for_a_family_that_asked_for_it() -> None:
    """EN-6: optional services are separate lines; presence from a morning check-in covers noon."""
    noon_child = Child("xiaogang", grade=3, options=frozenset({"noon_care"}))
    assert hours(noon_child, day(at(7, 30), at(17, 45)), [BASE, NOON]) == {"p-noon": 2, "p-base": 3}
    assert hours(XIAOMING, day(at(7, 30), at(17, 45)), [BASE, NOON]) == {"p-base": 3}


def test_a_program_outside_the_childs_grades_is_not_theirs() -> None:
    juniors = Program("p-junior", "homework_supervision", frozenset(range(5)), time(15, 40), 2, 1, 2)
    assert hours(XIAOMING, day(at(15, 35)), [juniors]) == {None: 2}


def test_without_any_known_program_a_check_in_counts_the_en5_daily_minimum() -> None:
    """SR-2."""
    lines = attended_lines(XIAOMING, day(at(15, 35)), [], class_hour_minutes=40, min_class_hours=2)
    assert [(line.kind, line.class_hours, line.event_ids) for line in lines] == [
        ("homework_supervision", 2, ("ev-in",))
    ]


def test_leave_without_a_check_in_gives_zero_with_the_reason_and_event() -> None:
    lines = attended_lines(XIAOMING, day(None, leave="ev-leave"), [BASE], class_hour_minutes=40, min_class_hours=2)
    assert [(line.class_hours, line.event_ids) for line in lines] == [(0, ("ev-leave",))]
    assert "leave" in lines[0].reason


def test_a_cancelled_program_has_no_session_from_its_cancellation() -> None:
    cancelled = Program("p-base", "homework_supervision", frozenset(range(5)), time(15, 40), 3, cancelled_on=WEDNESDAY)
    assert hours(XIAOMING, day(at(15, 35)), [cancelled]) == {None: 2}


def test_the_policys_class_hour_length_cuts_the_slots() -> None:
    """EN-5: with 45-minute class-hours, 15:40 + 3 × 45 ends at 17:55; leaving 17:20 keeps 2."""
    lines = attended_lines(XIAOMING, day(at(15, 35), at(17, 20)), [BASE], class_hour_minutes=45, min_class_hours=2)
    assert [line.class_hours for line in lines] == [2]


def test_the_earliest_check_in_and_latest_check_out_count_whatever_their_order() -> None:
    marks_in = [(WEDNESDAY, Mark(at(16, 30), "b")), (WEDNESDAY, Mark(at(15, 35), "a"))]
    marks_out = [(WEDNESDAY, Mark(at(16, 50), "c")), (WEDNESDAY, Mark(at(17, 45), "d"))]
    presence = presence_by_day(marks_in + marks_in, marks_out[::-1], [])[WEDNESDAY]
    assert hours(XIAOMING, presence, [BASE]) == {"p-base": 3}


minutes = st.integers(min_value=-60, max_value=240)


@settings(max_examples=300, deadline=None)
@given(arrive=minutes, stay=st.integers(min_value=0, max_value=300), slots=st.integers(1, 4))
def test_attended_slots_never_exceed_the_program_or_the_time_present(arrive: int, stay: int, slots: int) -> None:
    """SR-1: 0 ≤ counted ≤ class-hours, and never more than presence / half a class-hour."""
    start = at(15, 40)
    present_from = start + timedelta(minutes=arrive)
    counted = slots_attended(start, slots, 40, present_from, present_from + timedelta(minutes=stay))
    assert 0 <= counted <= slots
    assert counted * 20 <= stay


@settings(max_examples=200, deadline=None)
@given(arrive=minutes, earlier=st.integers(0, 120), stay=st.integers(0, 300))
def test_arriving_earlier_never_lowers_the_class_hours(arrive: int, earlier: int, stay: int) -> None:
    start = at(15, 40)
    late = start + timedelta(minutes=arrive)
    end = late + timedelta(minutes=stay)
    assert slots_attended(start, 3, 40, late - timedelta(minutes=earlier), end) >= slots_attended(
        start, 3, 40, late, end
    )


marks = st.lists(
    st.builds(lambda m, n: Mark(at(15, 0) + timedelta(minutes=m), f"ev-{n}"), st.integers(0, 240), st.integers(0, 5)),
    max_size=5,
    unique_by=lambda mark: mark.event_id,
)


@settings(max_examples=300, deadline=None)
@given(ins=marks, outs=marks, data=st.data())
def test_the_same_check_ins_and_outs_in_any_order_any_number_of_times_give_the_same_lines(
    ins: list[Mark], outs: list[Mark], data: st.DataObject
) -> None:
    """ST-7 for class-hours: presence is the set of facts, so order and redelivery change nothing."""
    once = presence_by_day([(WEDNESDAY, m) for m in ins], [(WEDNESDAY, m) for m in outs], [])
    twice_ins = data.draw(st.permutations(ins + ins))
    twice_outs = data.draw(st.permutations(outs + outs[:1]))
    again = presence_by_day([(WEDNESDAY, m) for m in twice_ins], [(WEDNESDAY, m) for m in twice_outs], [])
    member = Child("xiaohong", grade=3, clubs=frozenset({"p-chess"}))

    def lines(presence: dict[date, DayPresence]) -> list[object]:
        return [
            attended_lines(member, p, [BASE, CHESS], class_hour_minutes=40, min_class_hours=2)
            for p in presence.values()
        ]

    assert lines(again) == lines(once)


# --- the datetime arithmetic the integer slots replaced (issue 9), kept as the oracle they must agree with --------


def _oracle_slots(start: datetime, slots: int, minutes: int, present_from: datetime, present_to: datetime) -> int:
    counted = 0
    for n in range(slots):
        slot_start = start + timedelta(minutes=minutes * n)
        slot_end = slot_start + timedelta(minutes=minutes)
        overlap = min(slot_end, present_to) - max(slot_start, present_from)
        if overlap * 2 >= timedelta(minutes=minutes):
            counted += 1
    return counted


def _oracle_lines(child: Child, presence: DayPresence, programs: list[Program], minutes: int) -> list[Line]:
    day = presence.day
    mine = sorted((p for p in programs if p.runs_on(day) and child.takes(p)), key=lambda p: (p.starts_at, p.program_id))
    if not presence.check_ins:
        reason = "on approved leave (AT-3)" if presence.leave_event_ids else "not checked in"
        ids = tuple(sorted(presence.leave_event_ids))
        return [Line(day, p.program_id, p.kind, 0, reason, ids) for p in mine]
    first_in = min(presence.check_ins, key=lambda m: (m.at, m.event_id))
    if not mine:
        return [
            Line(day, None, "homework_supervision", 2, "SR-2: no program schedule, EN-5 minimum", (first_in.event_id,))
        ]
    windows = [datetime.combine(day, p.starts_at, tzinfo=SCHOOL_TZ) for p in mine]
    ends = [start + timedelta(minutes=minutes * p.class_hours) for p, start in zip(mine, windows, strict=True)]
    outs = [m for m in presence.check_outs if m.at > first_in.at]
    last_out = max(outs, key=lambda m: (m.at, m.event_id)) if outs else None
    present_to = last_out.at if last_out else max(ends)
    ids = tuple(sorted({first_in.event_id} | ({last_out.event_id} if last_out else set())))
    lines = []
    for program, start in zip(mine, windows, strict=True):
        hours = _oracle_slots(start, program.class_hours, minutes, first_in.at, present_to)
        reason = f"SR-1: {hours} of {program.class_hours} class-hours attended"
        lines.append(Line(day, program.program_id, program.kind, hours, reason, ids))
    return lines


programs_drawn = st.lists(
    st.builds(
        Program,
        program_id=st.sampled_from(["p-a", "p-b", "p-c", "p-d"]),
        kind=st.sampled_from(["homework_supervision", "club", "noon_care", "bus"]),
        weekdays=st.sampled_from([frozenset(range(5)), frozenset({2}), frozenset({0, 1})]),
        starts_at=st.builds(time, st.integers(7, 18), st.sampled_from([0, 10, 30, 40, 55])),
        class_hours=st.integers(1, 4),
        min_grade=st.integers(1, 3),
        max_grade=st.integers(3, 9),
        cancelled_on=st.sampled_from([None, None, None, WEDNESDAY, date(2026, 11, 26)]),
    ),
    max_size=4,
    unique_by=lambda p: p.program_id,
)
seconds_marks = st.lists(  # on the minute or half minute (slot halves, boundaries), or a microsecond either side
    st.builds(
        lambda m, s, us, n: Mark(at(7, 0) + timedelta(minutes=m, seconds=s, microseconds=us), f"ev-{n}"),
        st.integers(0, 720),
        st.sampled_from([0, 30]),
        st.sampled_from([0, 0, 1, -1]),
        st.integers(0, 6),
    ),
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(
    programs=programs_drawn,
    ins=seconds_marks,
    outs=seconds_marks,
    leaves=st.frozensets(st.sampled_from(["ev-l1", "ev-l2"])),
    minutes=st.sampled_from([30, 40, 45, 50]),
    grade=st.none() | st.integers(1, 9),
    clubs=st.frozensets(st.sampled_from(["p-a", "p-b", "p-c"])),
    options=st.frozensets(st.sampled_from(["noon_care", "bus"])),
)
def test_the_integer_slots_give_the_very_lines_of_the_datetime_arithmetic(
    programs: list[Program],
    ins: list[Mark],
    outs: list[Mark],
    leaves: frozenset[str],
    minutes: int,
    grade: int | None,
    clubs: frozenset[str],
    options: frozenset[str],
) -> None:
    """SR-1/SR-2 (issue 9): the month's close counts slots on integer instants with a timetable shared by the
    school's children; every line (hours, reason, events) is the one the datetime arithmetic gave."""
    child = Child("xiaohong", grade, clubs, options)
    presence = DayPresence(WEDNESDAY, frozenset(ins), frozenset(outs), leaves)
    timetable = Timetable(programs)
    marks = DayMarks(
        WEDNESDAY,
        [(instant(m.at), m.event_id) for m in ins],
        [(instant(m.at), m.event_id) for m in outs],
        list(leaves),
    )
    expected = _oracle_lines(child, presence, programs, minutes)
    assert attended_lines(child, presence, programs, class_hour_minutes=minutes, min_class_hours=2) == expected
    for _ in range(2):  # the second call reads the timetable's cached sittings
        assert day_lines(child, marks, timetable, class_hour_minutes=minutes, min_class_hours=2) == expected


@settings(max_examples=500, deadline=None)
@given(
    starts=st.integers(0, 120),
    slots=st.integers(1, 4),
    minutes=st.sampled_from([30, 40, 45, 50]),
    arrive=st.integers(-60, 240),
    stay=st.integers(0, 300),
    seconds=st.sampled_from([0, 30]),
    off=st.sampled_from([0, 1, -1]),
)
def test_the_integer_slots_count_as_the_datetime_arithmetic_did(
    starts: int, slots: int, minutes: int, arrive: int, stay: int, seconds: int, off: int
) -> None:
    """SR-1 (issue 9): at least half a slot, to the microsecond (a half exactly counts, a microsecond less not)."""
    start = at(15, 0) + timedelta(minutes=starts)
    present_from = start + timedelta(minutes=arrive, seconds=seconds, microseconds=off)
    present_to = present_from + timedelta(minutes=stay, seconds=seconds)
    expected = _oracle_slots(start.astimezone(SCHOOL_TZ), slots, minutes, present_from, present_to)
    assert slots_attended(start.astimezone(SCHOOL_TZ), slots, minutes, present_from, present_to) == expected
