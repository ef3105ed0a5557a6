"""The five services, in the order they start."""

from __future__ import annotations

from chassis.app import ServiceDefinition
from services.attendance.app import DEFINITION as ATTENDANCE
from services.enrollment.app import DEFINITION as ENROLLMENT
from services.homework.app import DEFINITION as HOMEWORK
from services.notify.app import DEFINITION as NOTIFY
from services.stipend.app import DEFINITION as STIPEND

SERVICES: dict[str, ServiceDefinition] = {d.name: d for d in (ENROLLMENT, ATTENDANCE, HOMEWORK, STIPEND, NOTIFY)}
