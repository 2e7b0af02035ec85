"""The portal home: where the client is, what is waiting, and the way to help."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openipt.courses.models import Session
from openipt.courses.services.experiments import experiment_assign
from tests.portal.helpers import ClientFor, build_plan
from tests.portal.helpers_queries import queries_for
from tests.world import World

pytestmark = pytest.mark.django_db


def test_home_says_where_the_client_is_in_plain_words(world: World, client_for: ClientFor) -> None:
    """GIVEN a 16-session course in its middle phase, focused on a dispute with Sam
    WHEN Alice opens her portal THEN she reads the session number and the work in her words."""
    build_plan(world)
    course = world.course_1
    for number in range(2, 7):
        Session.objects.create(
            course=course,
            number=number,
            date=world.session_1.date,
            phase="initial" if number <= 3 else "middle",
            recorded_by=world.clinician,
        )
    course.phase = "middle"
    course.save()
    page = client_for(world.client_user_1).get(reverse("portal:home")).content.decode()
    assert "Session 6 of 16" in page
    assert "Middle phase: working on the disagreement with Sam." in page
    # No clinical labels.
    assert "role dispute" not in page.lower()


def test_home_shows_what_is_waiting_and_the_way_to_help(
    world: World, client_for: ClientFor
) -> None:
    build_plan(world)
    page = client_for(world.client_user_1).get(reverse("portal:home")).content.decode()
    assert reverse("safety:crisis") in page
    assert reverse("safety:my_plan") in page
    assert "One thing to try before your next session" in page
    assert "asks you to look at your plan and agree to it" in page
    assert "How is your mood today?" in page


def test_home_is_for_clients_only(world: World, client_for: ClientFor) -> None:
    assert client_for(world.clinician).get(reverse("portal:home")).status_code == 404


def test_home_queries_do_not_grow_with_the_course(world: World, client_for: ClientFor) -> None:
    build_plan(world)
    http = client_for(world.client_user_1)
    http.get(reverse("portal:home"))
    before = queries_for(http, reverse("portal:home"))
    for n in range(4):
        experiment_assign(actor=world.clinician, session=world.session_1, description=f"Try {n}")
    assert queries_for(http, reverse("portal:home")) == before
