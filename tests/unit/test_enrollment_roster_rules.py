"""Roster rules without I/O: grades, priority groups (EN-3), transfers (EN-8), pickups (BX-2), walk-home (AT-5)."""

from __future__ import annotations

import pytest

from services.enrollment.domain import roster
from services.enrollment.domain.roster import PickupEntry, PickupRuleBroken, RosterRuleBroken

pytestmark = pytest.mark.unit


def test_grades_run_from_one_to_nine_en_8() -> None:
    assert roster.check_grade(1) == 1
    assert roster.check_grade(9) == 9
    with pytest.raises(RosterRuleBroken, match="unknown grade 12"):
        roster.check_grade(12)


def test_priority_groups_are_deduplicated_in_contract_order_en_3() -> None:
    assert roster.priority_groups(["single_parent", "left_behind", "single_parent"]) == [
        "left_behind",
        "single_parent",
    ]
    assert roster.priority_groups([]) == []
    with pytest.raises(RosterRuleBroken, match="vip"):
        roster.priority_groups(["vip"])


def test_a_transfer_needs_an_active_student_and_another_class_en_8() -> None:
    roster.check_transfer(status="active", from_class="g3c1", to_class="g3c2")
    with pytest.raises(RosterRuleBroken, match="already in this class"):
        roster.check_transfer(status="active", from_class="g3c1", to_class="g3c1")
    with pytest.raises(RosterRuleBroken, match="left"):
        roster.check_transfer(status="left", from_class="g3c1", to_class="g3c2")


RESTRICTED_FATHER = PickupEntry("r1", roster.RESTRICTED, "card-9", "110101198001011234")
GRANDMA = PickupEntry("p1", roster.AUTHORISED, "card-7", "110101195501015678")


def test_a_restricted_persons_credential_is_never_authorised_bx_2() -> None:
    with pytest.raises(PickupRuleBroken):
        roster.check_may_authorise([RESTRICTED_FATHER], credential_ref="card-9", id_number=None)
    with pytest.raises(PickupRuleBroken):  # a new card does not hide the same person
        roster.check_may_authorise([RESTRICTED_FATHER], credential_ref="card-new", id_number="110101198001011234")
    roster.check_may_authorise([RESTRICTED_FATHER, GRANDMA], credential_ref="card-8", id_number=None)


def test_a_removed_restriction_entry_does_not_block_bx_2() -> None:
    removed = PickupEntry("r1", roster.REMOVED, "card-9", None)
    roster.check_may_authorise([removed], credential_ref="card-9", id_number=None)


def test_restricting_a_person_lifts_their_authorisation_bx_2() -> None:
    assert roster.authorisations_lifted_by_restriction([GRANDMA], credential_ref="card-7", id_number=None) == ["p1"]
    assert roster.authorisations_lifted_by_restriction([GRANDMA], credential_ref=None, id_number=None) == []
    same_id = roster.authorisations_lifted_by_restriction(
        [GRANDMA], credential_ref=None, id_number="110101195501015678"
    )
    assert same_id == ["p1"]


def test_only_a_guardian_of_the_child_sets_walk_home_at_5() -> None:
    roster.check_walk_home_guardian(guardian_id="mum", guardians_of_child=["mum", "dad"])
    with pytest.raises(RosterRuleBroken, match="neighbour"):
        roster.check_walk_home_guardian(guardian_id="neighbour", guardians_of_child=["mum"])
