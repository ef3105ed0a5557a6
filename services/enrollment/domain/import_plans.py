"""EN-8: what an import changes, worked out without I/O from the parsed rows and a snapshot of the school's roster.

Each row becomes a `RowPlan`: the rows to insert or update (by table) and the events to publish, in the row's
order. A row whose values are already in the roster plans nothing, so re-importing a file changes nothing and
publishes nothing. Snapshot maps are updated as rows are planned, so a later row sees an earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from contracts.enrollment import (
    ClassCreated,
    GuardianLinked,
    PickupPersonAdded,
    PickupPersonRemoved,
    PickupPersonRestricted,
    StudentEnrolled,
    StudentLeft,
    StudentTransferred,
)
from contracts.envelope import Event
from services.enrollment.domain import roster
from services.enrollment.domain.imports import Kind, Record, RowError, new_id
from services.enrollment.domain.roster import PickupEntry, PickupRuleBroken

Table = Literal["classes", "students", "guardians", "guardian_links", "pickup_persons"]


@dataclass(frozen=True)
class ClassRow:
    """A class as the import sees it."""

    class_id: str
    external_id: str | None
    grade: int
    name: str


@dataclass(frozen=True)
class StudentRow:
    """A student as the import sees it."""

    student_id: str
    external_id: str | None
    class_id: str
    name: str
    priority_groups: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class GuardianRow:
    """A guardian as the import sees it."""

    guardian_id: str
    external_id: str | None
    name: str
    phone: str
    preferred_language: str


@dataclass(frozen=True)
class PickupRow:
    """A pickup person as the import sees it."""

    person_id: str
    student_id: str
    external_id: str
    name: str
    relation: str
    credential_ref: str | None
    id_number: str | None
    guardian_id: str | None
    status: str
    note: str | None


@dataclass
class Snapshot:
    """The school's roster as it stands, keyed as the rows refer to it."""

    school_id: str
    classes: dict[str, ClassRow] = field(default_factory=dict)  # by external id
    students: dict[str, StudentRow] = field(default_factory=dict)  # by external id
    guardians: dict[str, GuardianRow] = field(default_factory=dict)  # by external id
    links: dict[tuple[str, str], str] = field(default_factory=dict)  # (student_id, guardian_id) → relation
    pickups: dict[tuple[str, str], PickupRow] = field(default_factory=dict)  # (student_id, external id)

    def class_named(self, reference: str) -> ClassRow | None:
        """A class by its id, or else by its name when exactly one class has it (sheets often say 三年级1班)."""
        if reference in self.classes:
            return self.classes[reference]
        named = [c for c in self.classes.values() if c.name == reference]
        return named[0] if len(named) == 1 else None

    def grade_of(self, class_id: str) -> int:
        """The grade of a class of the school."""
        return next(c.grade for c in self.classes.values() if c.class_id == class_id)


@dataclass(frozen=True)
class Write:
    """A row to insert into, or update in, a table (an update names the primary key and the changed columns)."""

    table: Table
    action: Literal["insert", "update"]
    values: dict[str, Any]


@dataclass
class RowPlan:
    """What one row changes: writes and events, in order; `created` when it adds its main entity."""

    row: int
    writes: list[Write] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    created: bool = False

    @property
    def changed(self) -> bool:
        """Whether the row changes anything at all."""
        return bool(self.writes or self.events)


@dataclass
class Plan:
    """Every row's plan, or the errors that stop the whole import."""

    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def plan(kind: Kind, records: list[Record], snapshot: Snapshot, *, effective_on: date) -> Plan:
    """Plan an import of `records` into the school of `snapshot` (EN-8)."""
    result = Plan()
    planner = PLANNERS[kind]
    for record in records:
        row = RowPlan(record.row)
        error = planner(record, snapshot, row, effective_on)
        if error is not None:
            result.errors.append(error)
        else:
            result.rows.append(row)
    return result


def _plan_class(record: Record, snap: Snapshot, row: RowPlan, _on: date) -> RowError | None:
    external, grade, name = record.get("id"), record.get("grade"), record.get("name")
    existing = snap.classes.get(external)
    if existing is None:
        class_id = new_id(snap.school_id, "class", external)
        values = {"class_id": class_id, "school_id": snap.school_id, "grade": grade, "name": name}
        row.writes.append(Write("classes", "insert", {**values, "external_id": external}))
        row.created = True
    elif (existing.grade, existing.name) != (grade, name):
        class_id = existing.class_id
        row.writes.append(Write("classes", "update", {"class_id": class_id, "grade": grade, "name": name}))
    else:
        return None
    snap.classes[external] = ClassRow(class_id, external, grade, name)
    # The latest ClassCreated for a class replaces the earlier ones (as for programs).
    row.events.append(ClassCreated(class_id=class_id, school_id=snap.school_id, grade=grade, name=name))
    return None


def _plan_student(record: Record, snap: Snapshot, row: RowPlan, on: date) -> RowError | None:
    target = snap.class_named(record.get("class"))
    if target is None:
        return RowError(record.row, "班级", "no such class in this school (give its 班级编号 or its unique name)")
    external, name, status = record.get("id"), record.get("name"), record.get("status")
    existing = snap.students.get(external)
    if existing is None:
        if status == roster.LEFT:
            return RowError(record.row, "状态", "a student not yet on the roster cannot be marked as left")
        student = StudentRow(
            new_id(snap.school_id, "student", external),
            external,
            target.class_id,
            name,
            record.get("priority_groups", ()),
            roster.ACTIVE,
        )
        row.writes.append(Write("students", "insert", _student_values(snap.school_id, student)))
        row.created = True
        row.events.append(_enrolled(snap, student))
    else:
        student = replace(
            existing,
            class_id=target.class_id,
            name=name,
            priority_groups=record.get("priority_groups", existing.priority_groups),
            status=status or existing.status,
        )
        _student_changes(snap, existing, student, row, record.get("left_on") or on)
    snap.students[external] = student
    return None


def _student_values(school_id: str, s: StudentRow) -> dict[str, Any]:
    return {
        "student_id": s.student_id,
        "school_id": school_id,
        "class_id": s.class_id,
        "name": s.name,
        "external_id": s.external_id,
        "priority_groups": list(s.priority_groups),
        "status": s.status,
        "left_on": None,
    }


def _enrolled(snap: Snapshot, s: StudentRow) -> StudentEnrolled:
    return StudentEnrolled(
        student_id=s.student_id,
        school_id=snap.school_id,
        class_id=s.class_id,
        grade=snap.grade_of(s.class_id),
        name=s.name,
    )


def _student_changes(snap: Snapshot, old: StudentRow, new: StudentRow, row: RowPlan, on: date) -> None:
    """EN-8: a moved class is a transfer, a new name or a return is a new StudentEnrolled, a leaving is StudentLeft."""
    if new == old:
        return
    before = _student_values(snap.school_id, old)
    changes = {k: v for k, v in _student_values(snap.school_id, new).items() if before[k] != v}
    if not changes:
        return
    if new.status == roster.LEFT and old.status == roster.ACTIVE:
        changes["left_on"] = on
    if new.status == roster.ACTIVE and old.status == roster.LEFT:
        changes["left_on"] = None
    row.writes.append(Write("students", "update", {"student_id": old.student_id, **changes}))
    if old.status == roster.ACTIVE and new.class_id != old.class_id:
        row.events.append(
            StudentTransferred(
                student_id=old.student_id,
                school_id=snap.school_id,
                from_class_id=old.class_id,
                to_class_id=new.class_id,
                grade=snap.grade_of(new.class_id),
                effective_on=on,
            )
        )
    returned = old.status == roster.LEFT and new.status == roster.ACTIVE
    if returned or (new.status == roster.ACTIVE and new.name != old.name):
        # The latest StudentEnrolled for a child replaces the earlier one (the name alerts use, NT-1).
        row.events.append(_enrolled(snap, new))
    if old.status == roster.ACTIVE and new.status == roster.LEFT:
        row.events.append(StudentLeft(student_id=old.student_id, school_id=snap.school_id, effective_on=on))


def _plan_guardian(record: Record, snap: Snapshot, row: RowPlan, _on: date) -> RowError | None:
    child = None
    if record.get("student") is not None:
        child = snap.students.get(record.get("student"))
        if child is None:
            return RowError(record.row, "学号", "no such student in this school", record.get("student"))
    external = record.get("id")
    existing = snap.guardians.get(external)
    language = record.get("language") or (existing.preferred_language if existing else "zh")
    guardian = GuardianRow(
        existing.guardian_id if existing else new_id(snap.school_id, "guardian", external),
        external,
        record.get("name"),
        record.get("phone"),
        language,
    )
    values = {
        "guardian_id": guardian.guardian_id,
        "name": guardian.name,
        "phone": guardian.phone,
        "preferred_language": language,
    }
    if existing is None:
        row.writes.append(
            Write("guardians", "insert", {**values, "school_id": snap.school_id, "external_id": external})
        )
        row.created = True
    elif existing != guardian:
        row.writes.append(Write("guardians", "update", values))
    snap.guardians[external] = guardian
    relinked: set[str] = set()
    if existing is not None and existing.preferred_language != language:
        # GuardianLinked carries the language notify writes in: every link of the guardian is announced again.
        relinked = {s for (s, g) in snap.links if g == guardian.guardian_id}
    if child is not None:
        relation = record.get("relation")
        key = (child.student_id, guardian.guardian_id)
        if key not in snap.links:
            row.writes.append(
                Write("guardian_links", "insert", {"student_id": key[0], "guardian_id": key[1], "relation": relation})
            )
            relinked.add(child.student_id)
        elif snap.links[key] != relation:
            row.writes.append(
                Write("guardian_links", "update", {"student_id": key[0], "guardian_id": key[1], "relation": relation})
            )
            relinked.add(child.student_id)
        snap.links[key] = relation
    for student_id in sorted(relinked):
        row.events.append(
            GuardianLinked(
                guardian_id=guardian.guardian_id,
                student_id=student_id,
                school_id=snap.school_id,
                relation=snap.links[(student_id, guardian.guardian_id)],
                preferred_language="en" if language == "en" else "zh",
            )
        )
    return None


def _plan_pickup(record: Record, snap: Snapshot, row: RowPlan, _on: date) -> RowError | None:
    child = snap.students.get(record.get("student"))
    if child is None:
        return RowError(record.row, "学号", "no such student in this school", record.get("student"))
    guardian_id = None
    if record.get("guardian") is not None:
        guardian = snap.guardians.get(record.get("guardian"))
        if guardian is None or (child.student_id, guardian.guardian_id) not in snap.links:
            return RowError(record.row, "家长编号", "not a guardian of this child", record.get("guardian"))
        guardian_id = guardian.guardian_id
    key = (child.student_id, record.get("id"))
    existing = snap.pickups.get(key)
    person = PickupRow(
        existing.person_id if existing else new_id(snap.school_id, "pickup", *key),
        child.student_id,
        record.get("id"),
        record.get("name"),
        record.get("relation"),
        record.get("credential"),
        record.get("id_number"),
        guardian_id,
        record.get("kind") or roster.AUTHORISED,
        record.get("note"),
    )
    others = [p for (s, _), p in snap.pickups.items() if s == child.student_id and p.person_id != person.person_id]
    entries = [PickupEntry(p.person_id, p.status, p.credential_ref, p.id_number) for p in others]
    if person.status == roster.AUTHORISED:
        error = _check_authorised(record, person, existing, entries, others)
        if error is not None:
            return error
    else:
        for lifted in roster.authorisations_lifted_by_restriction(
            entries, credential_ref=person.credential_ref, id_number=person.id_number
        ):
            gone = next(p for p in others if p.person_id == lifted)
            _write_pickup(snap, row, gone, replace(gone, status=roster.REMOVED))
    _write_pickup(snap, row, existing, person)
    return None


def _check_authorised(
    record: Record, person: PickupRow, existing: PickupRow | None, entries: list[PickupEntry], others: list[PickupRow]
) -> RowError | None:
    if existing is not None and existing.status == roster.RESTRICTED:
        return RowError(record.row, "类型", "a restricted person cannot be authorised by an import (BX-2)")
    try:
        roster.check_may_authorise(entries, credential_ref=person.credential_ref or "", id_number=person.id_number)
    except PickupRuleBroken as error:
        return RowError(record.row, "接送凭证", f"{error} (BX-2)", person.credential_ref)
    if any(p.status == roster.AUTHORISED and p.credential_ref == person.credential_ref for p in others):
        return RowError(record.row, "接送凭证", "another pickup person of this child has this credential")
    return None


_PICKUP_EVENT_FIELDS = ("name", "relation", "credential_ref", "guardian_id", "status")


def _write_pickup(snap: Snapshot, row: RowPlan, old: PickupRow | None, new: PickupRow) -> None:
    values = dict(vars(new))
    if old is None:
        row.writes.append(Write("pickup_persons", "insert", {**values, "school_id": snap.school_id}))
        row.created = True
    elif old != new:
        changed = {k: v for k, v in values.items() if getattr(old, k) != v}
        row.writes.append(Write("pickup_persons", "update", {"person_id": new.person_id, **changed}))
    snap.pickups[(new.student_id, new.external_id)] = new
    if old is not None and all(getattr(old, f) == getattr(new, f) for f in _PICKUP_EVENT_FIELDS):
        return  # a new id number or note is kept here and published to nobody
    ids = {"person_id": new.person_id, "student_id": new.student_id, "school_id": snap.school_id}
    if old is not None and old.status == roster.AUTHORISED and new.status != roster.AUTHORISED:
        row.events.append(PickupPersonRemoved(**ids))
    if new.status == roster.AUTHORISED:
        row.events.append(
            PickupPersonAdded(
                **ids,
                relation=new.relation,
                credential_ref=new.credential_ref or "",
                guardian_id=new.guardian_id,
                name=new.name,
            )
        )
    elif new.status == roster.RESTRICTED:
        row.events.append(PickupPersonRestricted(**ids, credential_ref=new.credential_ref))


PLANNERS: dict[Kind, Callable[[Record, Snapshot, RowPlan, date], RowError | None]] = {
    "classes": _plan_class,
    "students": _plan_student,
    "guardians": _plan_guardian,
    "pickups": _plan_pickup,
}
