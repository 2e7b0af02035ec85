"""Experiments in the portal: what was agreed, and the client's report."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openipt.audit.models import AuditEvent
from openipt.courses.models import Experiment, ExperimentStatus, Session
from openipt.courses.services.client_portal import experiment_report
from openipt.courses.services.experiments import experiment_assign, experiment_review
from tests.portal.helpers import PROCESS_NOTE_TEXT, ClientFor, build_plan
from tests.portal.helpers_queries import queries_for
from tests.world import World

pytestmark = pytest.mark.django_db

REPORT = {
    "outcome": "done",
    "what_happened": "We sat down on Sunday morning.",
    "what_was_said": "I said I needed help with the weekend.",
    "how_it_felt": "Nervous first, then lighter.",
}


def report_url(experiment: Experiment) -> str:
    return reverse("portal:experiment", kwargs={"public_id": experiment.public_id})


def test_the_list_shows_what_was_agreed_with_whom(world: World, client_for: ClientFor) -> None:
    plan = build_plan(world)
    page = client_for(world.client_user_1).get(reverse("portal:experiments")).content.decode()
    assert plan.experiment.description in page
    assert "with Sam" in page
    assert PROCESS_NOTE_TEXT not in page


def test_a_report_is_stored_once_and_shown_on_the_next_session_page(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN an experiment agreed in session 1 WHEN Alice reports it (twice, same form)
    THEN it is done, the report is stored once, and session 2's page shows it."""
    plan = build_plan(world)
    http = client_for(world.client_user_1)
    assert http.post(report_url(plan.experiment), REPORT).status_code == 302
    assert http.post(report_url(plan.experiment), REPORT).status_code == 302
    plan.experiment.refresh_from_db()
    assert plan.experiment.status == ExperimentStatus.DONE
    assert plan.experiment.report_how_it_felt == REPORT["how_it_felt"]
    assert plan.experiment.reported_at is not None
    assert (
        AuditEvent.objects.filter(
            object_type="experiment",
            object_public_id=plan.experiment.public_id,
            actor=world.client_user_1,
            action="update",
        ).count()
        == 1
    )
    session_2 = Session.objects.create(
        course=world.course_1,
        number=2,
        date=world.session_1.date,
        phase="initial",
        recorded_by=world.clinician,
    )
    page = (
        client_for(world.clinician)
        .get(
            reverse(
                "courses:session_detail",
                kwargs={"public_id": world.course_1.public_id, "session_id": session_2.public_id},
            )
        )
        .content.decode()
    )
    assert "Experiments to review" in page
    assert REPORT["what_was_said"] in page


def test_the_report_form_needs_done_or_not_done(world: World, client_for: ClientFor) -> None:
    plan = build_plan(world)
    response = client_for(world.client_user_1).post(
        report_url(plan.experiment), {**REPORT, "outcome": ""}
    )
    assert response.status_code == 422
    assert "Say whether you tried it." in response.content.decode()
    assert REPORT["what_happened"] in response.content.decode()


def test_a_reviewed_experiment_is_closed_to_reports(world: World, client_for: ClientFor) -> None:
    plan = build_plan(world)
    experiment_review(actor=world.clinician, experiment=plan.experiment, status="reviewed")
    with pytest.raises(ValidationError):
        experiment_report(actor=world.client_user_1, experiment=plan.experiment, outcome="done")
    response = client_for(world.client_user_1).post(report_url(plan.experiment), REPORT)
    assert response.status_code == 409
    plan.experiment.refresh_from_db()
    assert plan.experiment.report_what_happened == ""


def test_only_the_client_may_report(world: World, client_for: ClientFor) -> None:
    plan = build_plan(world)
    with pytest.raises(PermissionDenied):
        experiment_report(actor=world.clinician, experiment=plan.experiment, outcome="done")
    for user in (world.client_user_2, world.client_user_b, world.clinician):
        assert client_for(user).get(report_url(plan.experiment)).status_code == 404
        assert client_for(user).post(report_url(plan.experiment), REPORT).status_code == 404
    plan.experiment.refresh_from_db()
    assert plan.experiment.status == ExperimentStatus.ASSIGNED


def test_the_list_page_has_a_constant_number_of_queries(
    world: World, client_for: ClientFor
) -> None:
    build_plan(world)
    http = client_for(world.client_user_1)
    http.get(reverse("portal:experiments"))
    before = queries_for(http, reverse("portal:experiments"))
    for n in range(5):
        experiment_assign(
            actor=world.clinician,
            session=world.session_1,
            description=f"Try {n}",
            person=world.person_1,
        )
    assert queries_for(http, reverse("portal:experiments")) == before
