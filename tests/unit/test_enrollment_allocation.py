"""Fair allocation of club places without I/O (EN-3, EN-4, BX-1): properties over random schools, then examples."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.enrollment import PriorityGroup
from services.enrollment.domain.allocation import Allocation, Applicant, Club, allocate

pytestmark = pytest.mark.unit

GROUPS = list(PriorityGroup)


@st.composite
def schools(draw: st.DrawFn) -> tuple[list[Club], list[Applicant], int, int]:
    """Clubs, applicants (some already holding places), the weekly maximum and a seed."""
    max_sessions = draw(st.integers(0, 4))
    shapes = draw(
        st.lists(
            st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 6), st.integers(0, 3)),
            min_size=1,
            max_size=5,
        )
    )
    ids = [f"club{n}" for n in range(len(shapes))]
    applicants: list[Applicant] = []
    holders = dict.fromkeys(ids, 0)
    for n in range(draw(st.integers(0, 14))):
        held = set(draw(st.lists(st.sampled_from(ids), max_size=2)))
        held = {p for p in held if holders[p] < shapes[ids.index(p)][0]}
        for p in held:
            holders[p] += 1
        applicants.append(
            Applicant(
                student_id=f"s{n:02d}",
                grade=draw(st.integers(1, 6)),
                priority_groups=frozenset(draw(st.lists(st.sampled_from(GROUPS), max_size=3))),
                choices=tuple(draw(st.lists(st.sampled_from([*ids, "unknown"]), max_size=4))),
                held=frozenset(held),
                held_sessions=sum(shapes[ids.index(p)][1] for p in held),
            )
        )
    clubs = [
        Club(
            program_id=pid,
            capacity=capacity,
            sessions_per_week=sessions,
            min_grade=low,
            max_grade=min(6, low + span),
            taken=holders[pid],
        )
        for pid, (capacity, sessions, low, span) in zip(ids, shapes, strict=True)
    ]
    return clubs, applicants, max_sessions, draw(st.integers(0, 2**63 - 1))


def run(school: tuple[list[Club], list[Applicant], int, int]) -> Allocation:
    clubs, applicants, max_sessions, seed = school
    return allocate(clubs, applicants, max_sessions_per_week=max_sessions, seed=seed)


def new_places_of(result: Allocation, student_id: str) -> list[str]:
    return [p for p, students in result.places.items() if student_id in students]


def final_sessions(result: Allocation, applicant: Applicant, clubs: dict[str, Club]) -> int:
    return applicant.held_sessions + sum(
        clubs[p].sessions_per_week for p in new_places_of(result, applicant.student_id)
    )


@settings(max_examples=200, deadline=None)
@given(schools())
def test_bx_1_capacity_is_never_exceeded(school: tuple[list[Club], list[Applicant], int, int]) -> None:
    result = run(school)
    for club in school[0]:
        assert club.taken + len(result.places.get(club.program_id, ())) <= club.capacity


@settings(max_examples=200, deadline=None)
@given(schools())
def test_en_4_weekly_maximum_grade_range_and_no_double_places(
    school: tuple[list[Club], list[Applicant], int, int],
) -> None:
    clubs = {c.program_id: c for c in school[0]}
    result = run(school)
    for applicant in school[1]:
        mine = new_places_of(result, applicant.student_id)
        assert not set(mine) & applicant.held
        assert all(clubs[p].admits(applicant.grade) for p in mine)
        assert all(p in applicant.choices for p in mine)
        if mine:
            assert final_sessions(result, applicant, clubs) <= school[2]
    for program_id, students in result.places.items():
        assert len(set(students)) == len(students)
        assert not set(students) & set(result.waitlists.get(program_id, ()))


@settings(max_examples=200, deadline=None)
@given(schools())
def test_en_3_no_lower_priority_child_takes_a_place_a_higher_priority_child_could_have_had(
    school: tuple[list[Club], list[Applicant], int, int],
) -> None:
    """A child of a lower tier gets a club in this run only if every higher-tier child who ranked it got it,
    or could not take it (grade range, already held, or the weekly maximum)."""
    clubs = {c.program_id: c for c in school[0]}
    tiers = {a.student_id: a.tier for a in school[1]}
    result = run(school)
    for program_id, students in result.places.items():
        club = clubs[program_id]
        lowest = min(tiers[s] for s in students)
        for applicant in school[1]:
            if applicant.tier <= lowest or program_id not in applicant.choices or applicant.student_id in students:
                continue
            assert (
                not club.admits(applicant.grade)
                or program_id in applicant.held
                or final_sessions(result, applicant, clubs) + club.sessions_per_week > school[2]
            )
        for waiting in result.waitlists.get(program_id, ()):
            assert all(tiers[s] >= tiers[waiting] for s in students)


@settings(max_examples=200, deadline=None)
@given(schools())
def test_bx_1_no_place_stays_empty_while_a_child_who_ranked_it_could_take_it(
    school: tuple[list[Club], list[Applicant], int, int],
) -> None:
    clubs = {c.program_id: c for c in school[0]}
    result = run(school)
    for applicant in school[1]:
        for program_id in set(applicant.choices) & clubs.keys():
            club = clubs[program_id]
            free = club.taken + len(result.places.get(program_id, ())) < club.capacity
            got = program_id in applicant.held or applicant.student_id in result.places.get(program_id, ())
            if free and club.admits(applicant.grade) and not got:
                assert final_sessions(result, applicant, clubs) + club.sessions_per_week > school[2]


@settings(max_examples=200, deadline=None)
@given(schools())
def test_bx_1_ranked_choices_a_higher_ranking_beats_a_lower_one_within_a_tier(
    school: tuple[list[Club], list[Applicant], int, int],
) -> None:
    """Round by round: a child waitlisted for a club they ranked r-th never sees a child of the same tier get it
    through a choice ranked later than r (or equal, but drawn after them)."""
    result = run(school)
    by_id = {a.student_id: a for a in school[1]}
    for program_id, waitlist in result.waitlists.items():
        for waiting in (by_id[s] for s in waitlist):
            rank = waiting.choices.index(program_id)
            for winner in (by_id[s] for s in result.places.get(program_id, ())):
                if winner.tier == waiting.tier:
                    won_at = winner.choices.index(program_id)
                    assert won_at < rank or (
                        won_at == rank
                        and result.order.index(winner.student_id) < result.order.index(waiting.student_id)
                    )


@settings(max_examples=200, deadline=None)
@given(schools(), st.randoms(use_true_random=False))
def test_en_3_the_same_inputs_and_seed_give_the_same_result_in_any_input_order(
    school: tuple[list[Club], list[Applicant], int, int], shuffler: random.Random
) -> None:
    clubs, applicants, max_sessions, seed = school
    first = run(school)
    shuffled_clubs, shuffled_applicants = list(clubs), list(applicants)
    shuffler.shuffle(shuffled_clubs)
    shuffler.shuffle(shuffled_applicants)
    assert allocate(shuffled_clubs, shuffled_applicants, max_sessions_per_week=max_sessions, seed=seed) == first


def club(program_id: str, capacity: int = 1, *, sessions: int = 1, grades: tuple[int, int] = (1, 6)) -> Club:
    return Club(program_id, capacity, sessions, grades[0], grades[1])


def test_en_3_a_left_behind_child_gets_the_last_place_whatever_the_lottery() -> None:
    xiaoming = Applicant("xiaoming", 3, frozenset({PriorityGroup.LEFT_BEHIND}), ("football",))
    others = [Applicant(f"child{n}", 3, choices=("football",)) for n in range(5)]
    for seed in range(20):
        result = allocate([club("football")], [*others, xiaoming], max_sessions_per_week=2, seed=seed)
        assert result.places == {"football": ("xiaoming",)}
        assert len(result.waitlists["football"]) == 5


def test_en_3_a_child_in_two_priority_groups_comes_before_a_child_in_one_then_lower_grades() -> None:
    two = Applicant("two", 6, frozenset({PriorityGroup.DISABLED, PriorityGroup.SINGLE_PARENT}), ("choir",))
    one_grade_5 = Applicant("one5", 5, frozenset({PriorityGroup.MIGRANT_WORKER}), ("choir",))
    one_grade_2 = Applicant("one2", 2, frozenset({PriorityGroup.FINANCIAL_DIFFICULTY}), ("choir",))
    none_grade_1 = Applicant("none1", 1, choices=("choir",))
    result = allocate(
        [club("choir", 2)], [none_grade_1, one_grade_5, one_grade_2, two], max_sessions_per_week=2, seed=7
    )
    assert result.order == ("two", "one2", "one5", "none1")
    assert result.places == {"choir": ("two", "one2")}
    assert result.waitlists == {"choir": ("one5", "none1")}


def test_en_3_the_seed_decides_among_equals_and_is_recorded() -> None:
    children = [Applicant(f"child{n:02d}", 4, choices=("chess",)) for n in range(12)]
    winners = {
        allocate([club("chess", 3)], children, max_sessions_per_week=2, seed=s).places["chess"] for s in range(8)
    }
    assert len(winners) > 1  # different seeds, different draws
    assert allocate([club("chess", 3)], children, max_sessions_per_week=2, seed=42).seed == 42


def test_bx_1_first_choices_are_served_before_second_choices() -> None:
    # 小红 draws first but ranks chess second: 小明's first choice beats her second choice.
    xiaohong = Applicant("xiaohong", 3, choices=("football", "chess"))
    xiaoming = Applicant("xiaoming", 3, choices=("chess",))
    seed = next(
        s
        for s in range(100)
        if allocate([], [xiaohong, xiaoming], max_sessions_per_week=2, seed=s).order[0] == "xiaohong"
    )
    result = allocate([club("football"), club("chess")], [xiaohong, xiaoming], max_sessions_per_week=2, seed=seed)
    assert result.places == {"football": ("xiaohong",), "chess": ("xiaoming",)}
    assert result.waitlists == {"chess": ("xiaohong",)}  # she still wants chess, after 小明


def test_en_4_the_weekly_maximum_and_grade_range_are_respected() -> None:
    # Football twice a week and choir once: with a maximum of 2 sessions only football fits.
    xiaoming = Applicant("xiaoming", 2, choices=("football", "choir", "programming"))
    clubs = [club("football", sessions=2), club("choir"), club("programming", grades=(3, 6))]
    result = allocate(clubs, [xiaoming], max_sessions_per_week=2, seed=1)
    assert result.places == {"football": ("xiaoming",)}
    assert result.waitlists == {}


def test_bx_1_places_held_before_a_run_are_kept_and_count() -> None:
    holder = Applicant("holder", 3, held=frozenset({"football"}), held_sessions=1, choices=("football", "choir"))
    priority = Applicant("priority", 3, frozenset({PriorityGroup.DISABLED}), ("football",))
    full = Club("football", 1, 1, 1, 6, taken=1)
    result = allocate([full, club("choir")], [holder, priority], max_sessions_per_week=2, seed=3)
    assert result.places == {"choir": ("holder",)}
    assert result.waitlists == {"football": ("priority",)}
