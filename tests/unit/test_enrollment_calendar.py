"""Set-up rules without I/O: a term's calendar (EN-5), grade bands (AT-4) and staff roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.enrollment import DayKind, StaffRole, TermCalendarSet
from services.enrollment.domain.calendar import TermDates, calendar, check_no_overlap, check_term
from services.enrollment.domain.setup import RuleBroken, check_band, check_staff_roles, require_role

pytestmark = pytest.mark.unit

AUTUMN = TermDates(
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 1, 15),
    holidays=(date(2026, 10, 2), date(2026, 10, 1), date(2026, 10, 1)),
    makeup_days=(date(2026, 9, 27),),
    winter_from=date(2026, 11, 15),
    winter_to=date(2027, 1, 15),
)


def event(term: TermDates) -> TermCalendarSet:
    return TermCalendarSet(
        term_id="t",
        school_id="shiyan",
        name="秋季学期",
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        holidays=list(term.holidays),
        makeup_days=list(term.makeup_days),
        winter_from=term.winter_from,
        winter_to=term.winter_to,
    )


def test_en5_a_valid_term_keeps_its_days_sorted_and_once() -> None:
    assert check_term(AUTUMN).holidays == (date(2026, 10, 1), date(2026, 10, 2))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": date(2026, 9, 1)}, "ends_on"),
        ({"ends_on": date(2027, 9, 2)}, "ends_on"),  # longer than a year
        ({"holidays": (date(2026, 8, 31),)}, "holidays"),
        ({"holidays": (date(2026, 10, 3),)}, "holidays"),  # Saturday
        ({"makeup_days": (date(2026, 9, 28),)}, "makeup_days"),  # Monday
        ({"makeup_days": (date(2027, 1, 16),)}, "makeup_days"),  # outside
        ({"winter_to": None}, "winter_to"),
        ({"winter_from": date(2027, 1, 1), "winter_to": date(2026, 12, 1)}, "winter_to"),
        ({"winter_from": date(2026, 8, 1)}, "winter_from"),
    ],
)
def test_en5_a_term_breaking_a_calendar_rule_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    values = {**AUTUMN.__dict__, **change}
    with pytest.raises(RuleBroken) as refused:
        check_term(TermDates(**values))
    assert (refused.value.rule, refused.value.field) == ("EN-5", field)


def test_en5_terms_of_a_school_do_not_overlap() -> None:
    check_no_overlap(AUTUMN, [("spring", date(2027, 2, 20), date(2027, 7, 1))])
    with pytest.raises(RuleBroken, match="overlaps term 'spring'"):
        check_no_overlap(AUTUMN, [("spring", date(2027, 1, 15), date(2027, 7, 1))])


def test_en5_the_winter_timetable_applies_only_on_school_days_of_the_winter_period() -> None:
    days = calendar(event(AUTUMN), date(2026, 11, 13), date(2026, 11, 16))
    assert [(d.kind, d.winter) for d in days] == [
        (DayKind.SCHOOL_DAY, False),
        (DayKind.WEEKEND, False),
        (DayKind.WEEKEND, False),
        (DayKind.SCHOOL_DAY, True),
    ]


def test_en5_a_calendar_view_is_a_forward_range_of_at_most_a_year() -> None:
    with pytest.raises(RuleBroken):
        calendar(event(AUTUMN), date(2026, 10, 2), date(2026, 10, 1))
    with pytest.raises(RuleBroken):
        calendar(event(AUTUMN), date(2026, 1, 1), date(2027, 1, 2))


weekdays_in_autumn = st.integers(0, (AUTUMN.ends_on - AUTUMN.starts_on).days).map(
    lambda n: AUTUMN.starts_on + timedelta(days=n)
)


@given(
    holidays=st.lists(weekdays_in_autumn.filter(lambda d: d.weekday() < 5), max_size=10),
    makeups=st.lists(weekdays_in_autumn.filter(lambda d: d.weekday() >= 5), max_size=5),
    offset=st.integers(-30, 30),
    length=st.integers(0, 60),
)
def test_en5_every_day_of_a_view_has_exactly_the_kind_its_calendar_gives(
    holidays: list[date], makeups: list[date], offset: int, length: int
) -> None:
    term = check_term(TermDates(AUTUMN.starts_on, AUTUMN.ends_on, tuple(holidays), tuple(makeups)))
    first = AUTUMN.starts_on + timedelta(days=offset)
    days = calendar(event(term), first, first + timedelta(days=length))
    assert len(days) == length + 1
    for d in days:
        if not AUTUMN.starts_on <= d.day <= AUTUMN.ends_on:
            expected = DayKind.VACATION
        elif d.day in holidays:
            expected = DayKind.HOLIDAY
        elif d.day.weekday() >= 5 and d.day not in makeups:
            expected = DayKind.WEEKEND
        else:
            expected = DayKind.SCHOOL_DAY
        assert d.kind is expected
        assert not d.winter  # this term has no winter period


def test_at4_bands_hold_grades_1_to_9_each_in_one_band() -> None:
    assert check_band([2, 1], {"mid": [3, 4]}) == [1, 2]
    for grades, others in (([], {}), ([0], {}), ([10], {}), ([1, 1], {}), ([4, 5], {"mid": [3, 4]})):
        with pytest.raises(RuleBroken) as refused:
            check_band(grades, others)
        assert refused.value.field == "grades"


def test_an_external_provider_runs_sessions_but_leads_no_class() -> None:
    assert check_staff_roles([StaffRole.SERVICE_TEACHER, StaffRole.EXTERNAL_PROVIDER], external=True) == [
        StaffRole.EXTERNAL_PROVIDER,
        StaffRole.SERVICE_TEACHER,
    ]
    with pytest.raises(RuleBroken, match="cannot be class_teacher"):
        check_staff_roles([StaffRole.CLASS_TEACHER], external=True)
    with pytest.raises(RuleBroken, match="external = true"):
        check_staff_roles([StaffRole.EXTERNAL_PROVIDER], external=False)
    with pytest.raises(RuleBroken, match="at least one role"):
        check_staff_roles([], external=False)


def test_en1_only_a_holder_of_the_class_teacher_role_leads_a_class() -> None:
    require_role(["class_teacher", "subject_teacher"], StaffRole.CLASS_TEACHER, rule="EN-1")
    with pytest.raises(RuleBroken) as refused:
        require_role(["subject_teacher"], StaffRole.CLASS_TEACHER, rule="EN-1")
    assert (refused.value.rule, refused.value.field) == ("EN-1", "staff_id")
