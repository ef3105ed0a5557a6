"""The append-only ledger (ST-5): corrections are reversing + new entries, never edits; a replay gives the same."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stipend.domain.ledger import Draft, Posted, corrections, fingerprint, totals
from services.stipend.domain.workload import Entry

OCT = date(2026, 10, 14)


def entry(
    session: str, units: int, fen: int, line: str = "service", day: date = OCT, ids: tuple[str, ...] = ("e1",)
) -> Entry:
    return Entry("wang", "s1", session, day, line, units, fen, "ST-1", ids)


def post(*entries: Entry) -> list[Posted]:
    return [Posted(f"s1:2026-10:{n:06d}", e) for n, e in enumerate(entries, start=1)]


def net(posted: list[Posted], drafts: list[Draft]) -> dict[tuple[str, str, str], tuple[int, int]]:
    sums: dict[tuple[str, str, str], tuple[int, int]] = {}
    for e in [p.entry for p in posted] + [d.entry for d in drafts]:
        u, f = sums.get(e.key, (0, 0))
        sums[e.key] = (u + e.units, f + e.fen)
    return {k: v for k, v in sums.items() if v != (0, 0)}


def test_nothing_changed_means_no_correction() -> None:
    published = [entry("s-a", 100, 8000)]
    assert corrections(post(*published), published) == []


def test_a_late_patrol_finding_becomes_a_reversal_and_a_new_entry() -> None:
    """The October session turned out to be an absence: reverse 8000 fen, then state 0 units and 0 fen."""
    posted = post(entry("s-a", 100, 8000))
    now = entry("s-a", 0, 0, ids=("e1", "patrol-9"))
    drafts = corrections(posted, [now])
    assert [(d.entry.units, d.entry.fen, d.reverses) for d in drafts] == [(-100, -8000, ("s1:2026-10:000001",))]
    assert net(posted, drafts) == {}


def test_a_session_reported_only_after_publication_is_a_new_entry() -> None:
    drafts = corrections([], [entry("s-late", 100, 8000)])
    assert [(d.entry.units, d.entry.fen, d.reverses) for d in drafts] == [(100, 8000, ())]
    assert drafts[0].entry.reason.startswith("ST-5: correction")


def test_a_changed_amount_reverses_the_published_and_states_the_new_one() -> None:
    posted = post(entry("s-a", 50, 4000))
    drafts = corrections(posted, [entry("s-a", 100, 8000, ids=("e1", "e2"))])
    assert [(d.entry.units, d.entry.fen) for d in drafts] == [(-50, -4000), (100, 8000)]


def test_totals_split_the_months_own_entries_from_corrections_and_never_pay_below_zero() -> None:
    drafts = [
        Draft(entry("s-nov", 100, 8000, day=date(2026, 11, 2))),
        Draft(entry("s-nov", -100, -8000, line="late", day=date(2026, 11, 2))),
        Draft(entry("s-a", -100, -8000)),
    ]
    (t,) = totals(drafts, "2026-11")
    assert (t.units, t.total_fen, t.corrections_fen, t.payable_fen) == (0, -8000, -8000, 0)


def test_the_fingerprint_ignores_line_order_but_not_amounts() -> None:
    a, b = Draft(entry("s-a", 100, 8000)), Draft(entry("s-b", 50, 4000))
    assert fingerprint([a, b]) == fingerprint([b, a])
    assert fingerprint([a]) != fingerprint([Draft(entry("s-a", 100, 8001))])


entry_sets = st.dictionaries(
    st.sampled_from(["s-a", "s-b", "s-c", "s-d"]),
    st.tuples(st.integers(-100, 100), st.integers(-10_000, 10_000)),
    max_size=4,
).map(lambda d: [entry(s, u, f) for s, (u, f) in sorted(d.items())])


@settings(max_examples=300, deadline=None)
@given(first=entry_sets, second=entry_sets, third=entry_sets)
def test_after_any_corrections_the_ledger_nets_to_what_the_facts_now_give(
    first: list[Entry], second: list[Entry], third: list[Entry]
) -> None:
    """ST-5/ST-7: publish, correct, correct again; each step only appends, and the net equals the latest facts."""
    ledger = post(*first)
    for now in (second, third):
        drafts = corrections(ledger, now)
        before = list(ledger)
        ledger = ledger + [Posted(f"s1:later:{len(ledger) + n:06d}", d.entry, d.reverses) for n, d in enumerate(drafts)]
        assert ledger[: len(before)] == before
        assert net(ledger, []) == {e.key: (e.units, e.fen) for e in now if (e.units, e.fen) != (0, 0)}
        assert corrections(ledger, now) == []
