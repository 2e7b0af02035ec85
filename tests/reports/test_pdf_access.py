"""Who may download a course's PDF reports, what the download looks like, and that it is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.models import Course
from openipt.practice.models import CareTeamMember
from tests.reports.pdf_helpers import pdf_text
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
KINDS = ("letter", "progress", "termination", "portfolio")


def _url(course: Course | uuid.UUID, kind: str) -> str:
    public_id = course.public_id if isinstance(course, Course) else course
    return reverse("reports:course_pdf", kwargs={"public_id": public_id, "kind": kind})


@pytest.mark.parametrize("kind", KINDS)
def test_outsiders_get_404_for_every_report(world: World, client_for: ClientFor, kind: str) -> None:
    outsiders = (
        world.colleague,  # same practice, not on the care team
        world.admin,
        world.facilitator,
        world.clinician_b,  # another practice
        world.client_user_1,  # the client themselves: the portal is their way in
        world.programme_manager,
    )
    for user in outsiders:
        response = client_for(user).get(_url(world.course_1, kind))
        assert response.status_code == 404, (user, kind)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_is_sent_to_sign_in(world: World, client_for: ClientFor) -> None:
    response = client_for(None).get(_url(world.course_1, "letter"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_kind_or_course_is_404(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)

    assert http.get(_url(world.course_1, "notes")).status_code == 404
    assert http.get(_url(uuid.uuid4(), "letter")).status_code == 404


def test_leaving_the_care_team_blocks_the_next_download(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    CareTeamMember.objects.filter(client=world.client_1, user=world.clinician).delete()

    assert http.get(_url(world.course_1, "letter")).status_code == 404


def test_the_clinician_downloads_a_pdf_without_the_client_name_in_url_or_file(
    world: World, client_for: ClientFor
) -> None:
    url = _url(world.course_1, "progress")

    response = client_for(world.clinician).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="progress-')
    for name in (world.client_1.given_name, world.client_1.family_name):
        assert name not in url and name not in disposition
    text = pdf_text(bytes(response.content))
    assert world.practice_a.name in text and "Alice Anders" in text
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor, event.object_type) == (world.clinician, "course_report_progress")
    assert event.object_public_id == world.course_1.public_id


def test_no_termination_summary_before_a_progress_review(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.supervisor).get(_url(world.course_1, "termination"))

    assert response.status_code == 409
    assert b"Complete the progress review first" in response.content
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
