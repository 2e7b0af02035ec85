"""The demo appointments: a held appointment per session, the next two booked, no conflicts."""

from __future__ import annotations

import pytest

from openipt.appointments.demo import seed_demo_appointments
from openipt.appointments.models import Appointment, AppointmentStatus
from tests.world import World

pytestmark = pytest.mark.django_db


def test_demo_appointments_follow_the_sessions_and_book_the_next_two(world: World) -> None:
    seed_demo_appointments(clients=[world.client_1, world.client_2])
    held = Appointment.objects.get(status=AppointmentStatus.COMPLETED)
    assert held.session == world.session_1 and held.client == world.client_1
    booked = Appointment.objects.filter(status=AppointmentStatus.SCHEDULED)
    assert booked.count() == 2
    assert {a.course for a in booked} == {world.course_1}
