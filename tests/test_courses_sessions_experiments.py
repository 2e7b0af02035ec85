"""Interpersonal experiments: assigned in a session, reviewed at the next one (protocol §4)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.models import Experiment, ExperimentStatus, InventoryPerson, Session
from openipt.courses.services.experiments import experiment_assign, experiment_review
from openipt.courses.services.sessions import SessionContent, session_record
from tests.test_courses_sessions import CANARY, choose_focus, raw_column
from tests.test_courses_sessions_views import detail_url, text_of
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def assign_url(world: World, session: Session) -> str:
    return reverse(
        "courses:experiment_assign",
        kwargs={"public_id": world.course_1.public_id, "session_id": session.public_id},
    )


def review_url(world: World, session: Session, experiment: Experiment) -> str:
    return reverse(
        "courses:experiment_review",
        kwargs={
            "public_id": world.course_1.public_id,
            "session_id": session.public_id,
            "experiment_id": experiment.public_id,
        },
    )


def session_2(world: World) -> Session:
    return session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=SessionContent(date=datetime.date(2026, 9, 8)),
    )


def test_assigning_an_experiment_tied_to_the_focus_and_a_person(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a role-dispute focus and Sam in the inventory
    WHEN the clinician agrees "have the rehearsed conversation with Sam" in session 1
    THEN the experiment is stored for the course, linked to the focus area and to Sam,
    listed on session 1's page, and audited by field name."""
    choose_focus(world, "role_dispute")
    http = client_for(world.clinician)
    response = http.post(
        assign_url(world, world.session_1),
        {
            "description": "Have the conversation you rehearsed with Sam.",
            "problem_area": "role_dispute",
            "person": str(world.person_1.public_id),
        },
    )
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.assigned_in == world.session_1
    assert experiment.problem_area == "role_dispute"
    assert experiment.person == world.person_1
    assert experiment.status == ExperimentStatus.ASSIGNED
    page = text_of(http.get(detail_url(world, world.session_1)))
    assert "Have the conversation you rehearsed with Sam." in page
    assert "with Sam" in page
    event = AuditEvent.objects.get(object_type="experiment")
    assert sorted(event.changed_fields) == ["description", "person", "problem_area"]


def test_the_next_session_lists_open_experiments_for_review_with_the_clients_report(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN an experiment agreed in session 1, reported on by the client in the portal
    WHEN the clinician opens session 2 THEN it is listed for review with the client's
    report, and the review (done, with a note) is stored against session 2."""
    experiment = experiment_assign(
        actor=world.clinician, session=world.session_1, description="Call your sister."
    )
    experiment.report_what_happened = "We talked for an hour."
    experiment.report_how_it_felt = "Nervous, then relieved."
    experiment.reported_at = timezone.now()
    experiment.save()
    second = session_2(world)
    http = client_for(world.clinician)
    page = text_of(http.get(detail_url(world, second)))
    assert "Experiments to review" in page
    assert "Call your sister." in page
    assert "We talked for an hour." in page
    assert "Nervous, then relieved." in page
    assert "What was said</dt>" not in page  # only what the client filled in

    response = http.post(
        review_url(world, second, experiment),
        {"status": "done", "review_note": "Felt closer to her."},
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert (experiment.status, experiment.review_note, experiment.reviewed_in) == (
        "done",
        "Felt closer to her.",
        second,
    )
    # Still listed on session 2 (reviewed there); no longer open for session 3.
    assert "Felt closer to her." in text_of(http.get(detail_url(world, second)))


def test_the_new_session_page_lists_experiments_to_review(
    world: World, client_for: ClientFor
) -> None:
    experiment_assign(actor=world.clinician, session=world.session_1, description="Walk with Sam.")
    url = reverse("courses:session_new", kwargs={"public_id": world.course_1.public_id})
    page = text_of(client_for(world.clinician).get(url))
    assert "Experiments to review" in page
    assert "Walk with Sam." in page


def test_an_experiment_cannot_be_reviewed_in_the_session_that_assigned_it(world: World) -> None:
    experiment = experiment_assign(
        actor=world.clinician, session=world.session_1, description="Call your sister."
    )
    with pytest.raises(ValidationError):
        experiment_review(
            actor=world.clinician, experiment=experiment, status="done", in_session=world.session_1
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"description": "  "}, "Describe what the client will try."),
        ({}, "This field is required."),
        ({"description": "Try it.", "problem_area": "grief"}, "Select a valid choice."),
        ({"description": "Try it.", "person": "not-a-person"}, "Select a valid choice."),
    ],
)
def test_bad_experiment_input_is_a_400_that_keeps_the_text(
    world: World, client_for: ClientFor, data: dict[str, str], message: str
) -> None:
    choose_focus(world, "role_dispute")
    response = client_for(world.clinician).post(assign_url(world, world.session_1), data)
    assert response.status_code == 400
    assert message in text_of(response)
    if data.get("description", "").strip():
        assert data["description"] in text_of(response)
    assert not Experiment.objects.exists()


def test_a_removed_inventory_person_or_old_focus_is_refused_by_the_service(world: World) -> None:
    focus = choose_focus(world, "grief")
    focus.ended_at = timezone.now()
    focus.save()
    removed = InventoryPerson.objects.create(
        course=world.course_1, name="Old friend", relationship="friend", removed_at=timezone.now()
    )
    with pytest.raises(ValidationError) as caught:
        experiment_assign(
            actor=world.clinician,
            session=world.session_1,
            description="Try.",
            problem_area="grief",
            person=removed,
        )
    assert set(caught.value.message_dict) == {"problem_area", "person"}


def test_bad_review_input_is_a_400(world: World, client_for: ClientFor) -> None:
    experiment = experiment_assign(
        actor=world.clinician, session=world.session_1, description="Call your sister."
    )
    second = session_2(world)
    response = client_for(world.clinician).post(
        review_url(world, second, experiment), {"status": "great", "review_note": "Kept note."}
    )
    assert response.status_code == 400
    assert "Kept note." in text_of(response)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.ASSIGNED


def test_experiment_text_is_encrypted(world: World) -> None:
    experiment = experiment_assign(
        actor=world.clinician, session=world.session_1, description=CANARY
    )
    stored = raw_column(Experiment._meta.db_table, "description", experiment.pk)
    assert stored.startswith("enc1:")
    assert CANARY not in stored


def test_the_experiments_page_lists_the_course_experiments(
    world: World, client_for: ClientFor
) -> None:
    experiment_assign(actor=world.clinician, session=world.session_1, description="Call Sam.")
    url = reverse("courses:experiments", kwargs={"public_id": world.course_1.public_id})
    response = client_for(world.supervisor).get(url)
    assert response.status_code == 200
    assert "Call Sam." in text_of(response)
    assert AuditEvent.objects.filter(object_type="experiment_list", action="list").exists()
