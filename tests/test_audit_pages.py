"""The audit trail page (practice admins) and "who accessed this record" (care team)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.audit.services import record
from openipt.audit.views import EVENTS_PER_PAGE
from openipt.practice import services as practice_services
from openipt.practice.models import Membership, Role
from tests.factories import MembershipFactory
from tests.world import TOTP_SECRET, World

ClientFor = Callable[[User | None], HttpClient]


def _events_in_page(response: Any) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


def _record_views(world: World, count: int) -> None:
    """`count` events in practice A, by several different people (to expose N+1 queries)."""
    actors = [world.clinician, world.supervisor, world.admin, world.colleague]
    for i in range(count):
        record(
            actor=actors[i % len(actors)],
            action=AuditAction.VIEW,
            object_type="client",
            object_public_id=world.client_1.public_id,
            practice=world.practice_a,
            subject_client_public_id=world.client_1.public_id,
        )


# --- audit trail ----------------------------------------------------------------------------


def test_admin_sees_their_practice_events_only(world: World, client_for: ClientFor) -> None:
    practice_services.client_record_viewed(actor=world.clinician, client=world.client_1)
    practice_services.client_record_viewed(actor=world.clinician_b, client=world.client_b)
    response = client_for(world.admin).get(reverse("manage:audit"))
    assert response.status_code == 200
    events = _events_in_page(response)
    assert events, "the practice A event is listed"
    assert {e.practice_id for e in events} == {world.practice_a.pk}
    assert world.client_1.public_id in {e.object_public_id for e in events}
    assert world.client_b.public_id not in {e.object_public_id for e in events}
    page = response.content.decode()
    assert "Clara Clinician" in page
    assert "Bea Otherclinic" not in page
    assert str(world.client_b.public_id)[:8] not in page


def test_admin_of_practice_b_does_not_see_practice_a(world: World, client_for: ClientFor) -> None:
    """The same check from the other side, with a second admin in practice B."""
    membership: Membership = MembershipFactory.create(
        practice=world.practice_b, role=Role.PRACTICE_ADMIN, user__full_name="Ben Badmin"
    )
    admin_b = membership.user
    TOTP.activate(admin_b, TOTP_SECRET)
    practice_services.client_record_viewed(actor=world.clinician, client=world.client_1)
    response = client_for(admin_b).get(reverse("manage:audit"))
    assert response.status_code == 200
    assert {e.practice_id for e in _events_in_page(response)} <= {world.practice_b.pk}
    assert "Clara Clinician" not in response.content.decode()


def test_filter_by_action(world: World, client_for: ClientFor) -> None:
    practice_services.client_record_viewed(actor=world.clinician, client=world.client_1)
    practice_services.client_archive(actor=world.clinician, client=world.client_2)
    http = client_for(world.admin)
    response = http.get(reverse("manage:audit"), {"action": "archive"})
    assert response.status_code == 200
    events = _events_in_page(response)
    assert [e.action for e in events] == ["archive"]
    assert events[0].object_public_id == world.client_2.public_id

    response = http.get(reverse("manage:audit"), {"action": "view"})
    assert {e.action for e in _events_in_page(response)} == {"view"}

    response = http.get(reverse("manage:audit"), {"action": "view", "object_type": "nothing"})
    assert _events_in_page(response) == []


def test_filter_by_dates(world: World, client_for: ClientFor) -> None:
    practice_services.client_record_viewed(actor=world.clinician, client=world.client_1)
    http = client_for(world.admin)
    today = timezone.localdate(AuditEvent.objects.latest("sequence").occurred_at).isoformat()
    response = http.get(reverse("manage:audit"), {"since": today, "until": today})
    assert any(e.action == "view" for e in _events_in_page(response))
    response = http.get(reverse("manage:audit"), {"until": "2000-01-01"})
    assert _events_in_page(response) == []
    response = http.get(reverse("manage:audit"), {"since": "9999-12-31", "until": "0001-01-01"})
    assert response.status_code == 200


def test_a_bad_filter_is_a_clear_400(world: World, client_for: ClientFor) -> None:
    response = client_for(world.admin).get(reverse("manage:audit"), {"action": "drop table"})
    assert response.status_code == 400
    assert _events_in_page(response) == []
    assert b"Select a valid choice" in response.content


def test_viewing_the_trail_is_itself_recorded(world: World, client_for: ClientFor) -> None:
    client_for(world.admin).get(reverse("manage:audit"))
    event = AuditEvent.objects.latest("sequence")
    assert (event.actor_id, event.action, event.object_type) == (
        world.admin.pk,
        "list",
        "audit_trail",
    )


def test_paging_keeps_a_constant_number_of_queries(
    world: World, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    http = client_for(world.admin)
    http.get(reverse("manage:audit"))  # warm up the session
    _record_views(world, 10)
    with CaptureQueriesContext(connection) as few:
        response = http.get(reverse("manage:audit"))
    assert len(_events_in_page(response)) >= 10

    _record_views(world, 50)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(reverse("manage:audit"))
    assert len(_events_in_page(response)) == EVENTS_PER_PAGE
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(reverse("manage:audit"), {"page": 2})
    assert response.status_code == 200
    assert len(_events_in_page(response)) >= 10


@pytest.mark.parametrize(
    "who", ["clinician", "colleague", "supervisor", "facilitator", "client", "clinician_b"]
)
def test_non_admins_get_403(world: World, client_for: ClientFor, who: str) -> None:
    response = client_for(world.users_by_role_name()[who]).get(reverse("manage:audit"))
    assert response.status_code == 403


def test_programme_manager_gets_403(world: World, client_for: ClientFor) -> None:
    assert client_for(world.programme_manager).get(reverse("manage:audit")).status_code == 403


def test_anonymous_is_sent_to_sign_in(world: World, client_for: ClientFor) -> None:
    response = client_for(None).get(reverse("manage:audit"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- who accessed this record ---------------------------------------------------------------


def test_access_log_names_the_supervisor_who_viewed_the_record(
    world: World, client_for: ClientFor
) -> None:
    clinician = client_for(world.clinician)
    url = reverse("clients:access_log", args=[world.client_1.public_id])
    before = clinician.get(url)
    assert before.status_code == 200
    assert "Sam Supervisor" not in before.content.decode()

    detail = client_for(world.supervisor).get(
        reverse("clients:detail", args=[world.client_1.public_id])
    )
    assert detail.status_code == 200

    after = clinician.get(url).content.decode()
    assert "Sam Supervisor" in after
    assert "Viewed" in after


def test_access_log_shows_only_this_clients_events(world: World, client_for: ClientFor) -> None:
    client_for(world.supervisor).get(reverse("clients:detail", args=[world.client_2.public_id]))
    response = client_for(world.clinician).get(
        reverse("clients:access_log", args=[world.client_1.public_id])
    )
    assert "Sam Supervisor" not in response.content.decode()
    assert all(
        e.subject_client_public_id == world.client_1.public_id for e in _events_in_page(response)
    )


@pytest.mark.parametrize("who", ["colleague", "clinician_b", "facilitator", "client_b"])
def test_access_log_is_404_outside_the_care_team(
    world: World, client_for: ClientFor, who: str
) -> None:
    response = client_for(world.users_by_role_name()[who]).get(
        reverse("clients:access_log", args=[world.client_1.public_id])
    )
    assert response.status_code == 404
