"""Pickup rules (AT-5, BX-2): who may take a child home, and who raises an alert by trying."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts.attendance.dismissal import DismissalMode, RefusalReason, Release


@dataclass(frozen=True)
class Actor:
    """Who reports the check-out: a kiosk (device id), a member of staff (staff id) or a guardian (guardian id)."""

    kind: str
    id: str
    class_ids: tuple[str, ...] | None = None
    """For a class teacher: the classes they may act for (None = the whole school)."""

    @property
    def recorded_by(self) -> str:
        """As stored and published."""
        return f"{self.kind}:{self.id}"


class PersonStanding(StrEnum):
    """What the pickup list says of a person for a child (BX-2)."""

    AUTHORISED = "authorised"
    RESTRICTED = "restricted"
    UNKNOWN = "unknown"


def standing_of(*, restricted: bool, removed: bool) -> PersonStanding:
    """BX-2: a restriction (custody order) outranks anything else said of the person; a removed person is unknown."""
    if restricted:
        return PersonStanding.RESTRICTED
    return PersonStanding.UNKNOWN if removed else PersonStanding.AUTHORISED


@dataclass(frozen=True)
class Refusal:
    """A refused check-out: why, and whether it is an urgent alert (a custody order, BX-2)."""

    reason: RefusalReason
    rule: str

    @property
    def restricted(self) -> bool:
        """A restricted person tried: urgent alert to the school and the guardians."""
        return self.reason is RefusalReason.RESTRICTED

    def detail(self) -> str:
        """A sentence for the problem response."""
        return {
            RefusalReason.RESTRICTED: "this person is restricted from collecting the child (custody order)",
            RefusalReason.NOT_AUTHORISED: "this person is not on the child's authorised pickup list",
            RefusalReason.NO_WALK_PERMISSION: "the child has no standing permission to leave alone",
        }[self.reason]


def judge_pickup(standing: PersonStanding) -> Refusal | None:
    """AT-5, BX-2: only an authorised person takes the child; a restricted person is refused with an alert."""
    if standing is PersonStanding.AUTHORISED:
        return None
    if standing is PersonStanding.RESTRICTED:
        return Refusal(RefusalReason.RESTRICTED, "BX-2")
    return Refusal(RefusalReason.NOT_AUTHORISED, "AT-5")


def judge_walk_alone(permitted: bool) -> Refusal | None:
    """AT-5: a child leaves alone only with the guardian's standing permission."""
    return None if permitted else Refusal(RefusalReason.NO_WALK_PERMISSION, "AT-5")


def staff_release_fits_plan(release: Release, plan: DismissalMode) -> bool:
    """BX-5: staff hand a child to the bus or a program only when that is the child's plan for the day."""
    wanted = {Release.BUS: DismissalMode.BUS, Release.PROGRAM: DismissalMode.PROGRAM}.get(release)
    return wanted is None or wanted is plan
