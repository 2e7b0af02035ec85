"""Submitting a questionnaire: scoring stored, refusals, idempotency, risk alerts, audit."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openipt.audit.models import AuditEvent
from openipt.courses.models import CourseStatus, Session
from openipt.measures.engine import InvalidAnswers
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit
from openipt.safety.models import RiskAlert
from tests.measures.helpers import (
    MORE_THAN_HALF,
    gad7_answers,
    phq9_answers,
    submit_phq9,
)
from tests.world import World

pytestmark = pytest.mark.django_db


def test_a_submitted_phq9_is_scored_and_stored_with_its_band(world: World) -> None:
    """GIVEN a PHQ-9 with items 1–8 at "several days" and item 9 at "not at all"
    WHEN the clinician submits it
    THEN the total 8 and the band "mild" are stored with the answers as ordinals."""
    administration = submit_phq9(world.clinician, world.course_1, session=world.session_1)
    stored = MeasureAdministration.objects.get()
    assert stored == administration
    assert (stored.total, stored.band_code, stored.instrument_version) == (8, "mild", "1.0")
    assert stored.answers["phq9-1"] == 1
    assert stored.answers["phq9-9"] == 0
    assert stored.answers["phq9-difficulty"] == 1
    assert stored.risk_link_ids == []
    assert stored.mode == "in_session"
    assert (stored.client, stored.practice, stored.session) == (
        world.client_1,
        world.practice_a,
        world.session_1,
    )


def test_submission_is_audited_with_field_names_only(world: World) -> None:
    administration = submit_phq9(world.clinician, world.course_1)
    event = AuditEvent.objects.get(
        object_type="measure_administration", object_public_id=administration.public_id
    )
    assert event.action == "create"
    assert "total" in event.changed_fields
    assert "8" not in event.changed_fields
    assert "mild" not in str(event.changed_fields)


def test_an_incomplete_phq9_is_refused_with_every_missing_item_and_nothing_stored(
    world: World,
) -> None:
    """GIVEN a PHQ-9 with items 3 and 7 unanswered (PHQ-9 does not allow prorating)
    WHEN it is submitted THEN it is refused, naming both items, and nothing is stored."""
    answers = phq9_answers()
    del answers["phq9-3"], answers["phq9-7"]
    with pytest.raises(InvalidAnswers) as caught:
        measure_submit(
            actor=world.clinician, course=world.course_1, instrument_code="phq9", answers=answers
        )
    assert {"phq9-3", "phq9-7"} <= set(caught.value.errors)
    assert not MeasureAdministration.objects.exists()
    assert not AuditEvent.objects.filter(object_type="measure_administration").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [("phq9-1", "LA0000-0"), ("phq9-1", 7), ("phq9-1", True), ("phq9-99", 1)],
)
def test_invalid_answers_are_refused(world: World, key: str, value: object) -> None:
    answers = phq9_answers()
    answers[key] = value
    with pytest.raises(InvalidAnswers) as caught:
        measure_submit(
            actor=world.clinician, course=world.course_1, instrument_code="phq9", answers=answers
        )
    assert key in caught.value.errors
    assert not MeasureAdministration.objects.exists()


def test_ordinals_and_answer_codes_store_the_same_answers(world: World) -> None:
    by_code = measure_submit(
        actor=world.clinician, course=world.course_1, instrument_code="gad7", answers=gad7_answers()
    )
    by_ordinal = measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="gad7",
        answers={f"gad7-{n}": 1 for n in range(1, 8)},
    )
    assert by_code.answers == by_ordinal.answers
    assert by_code.total == by_ordinal.total == 7


def test_only_the_care_team_clinician_may_submit_in_session(world: World) -> None:
    for outsider in (
        world.supervisor,
        world.colleague,
        world.admin,
        world.clinician_b,
        world.client_user_1,
    ):
        with pytest.raises(PermissionDenied):
            submit_phq9(outsider, world.course_1)
    assert not MeasureAdministration.objects.exists()


def test_a_client_cannot_submit_without_a_portal_request(world: World) -> None:
    with pytest.raises(PermissionDenied):
        submit_phq9(world.client_user_1, world.course_1, mode="portal")


def test_a_closed_course_takes_no_new_questionnaires(world: World) -> None:
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    with pytest.raises(ValidationError):
        submit_phq9(world.clinician, world.course_1)


def test_a_questionnaire_cannot_be_dated_in_the_future(world: World) -> None:
    with pytest.raises(ValidationError):
        submit_phq9(world.clinician, world.course_1, days_ago=-2)


def test_a_session_of_another_course_is_refused(world: World) -> None:
    from openipt.courses.models import Course

    other = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    foreign = Session.objects.create(
        course=other,
        number=1,
        date=datetime.date(2026, 9, 2),
        phase="initial",
        recorded_by=world.clinician,
    )
    with pytest.raises(ValidationError):
        submit_phq9(world.clinician, world.course_1, session=foreign)


def test_the_same_idempotency_key_twice_stores_one_questionnaire(world: World) -> None:
    """GIVEN a questionnaire submitted with key K WHEN the same key arrives again
    (a double click, a retried request) THEN the first row is returned, no second one."""
    first = submit_phq9(world.clinician, world.course_1, idempotency_key="k-123")
    again = submit_phq9(
        world.clinician, world.course_1, (3, 3, 3, 3, 3, 3, 3, 3, 0), idempotency_key="k-123"
    )
    assert again.pk == first.pk
    assert MeasureAdministration.objects.count() == 1
    assert MeasureAdministration.objects.get().total == 8


def test_the_database_refuses_a_duplicate_key_in_one_course(world: World) -> None:
    from django.db import IntegrityError, transaction

    submit_phq9(world.clinician, world.course_1, idempotency_key="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureAdministration.objects.create(
            course=world.course_1,
            client=world.client_1,
            practice=world.practice_a,
            instrument_code="phq9",
            instrument_version="1.0",
            answers={},
            total=0,
            band_code="minimal",
            administered_at=timezone.now(),
            mode="in_session",
            entered_by=world.clinician,
            idempotency_key="dup",
        )


def test_a_positive_item_9_raises_a_risk_alert_with_the_answers(world: World) -> None:
    """GIVEN a PHQ-9 with item 9 = "more than half the days"
    WHEN the clinician submits it
    THEN a risk alert naming the administration and item 9 exists."""
    administration = submit_phq9(world.clinician, world.course_1, (0, 0, 0, 0, 0, 0, 0, 0, 2))
    assert administration.risk_link_ids == ["phq9-9"]
    alert = RiskAlert.objects.get()
    assert alert.source_type == "measure_administration"
    assert alert.source_public_id == administration.public_id
    assert alert.instrument_code == "phq9"
    assert alert.risk_link_ids == ["phq9-9"]
    assert (alert.client, alert.course, alert.practice) == (
        world.client_1,
        world.course_1,
        world.practice_a,
    )


def test_no_alert_when_item_9_is_not_at_all(world: World) -> None:
    submit_phq9(world.clinician, world.course_1, (3, 3, 3, 3, 3, 3, 3, 3, 0))
    assert not RiskAlert.objects.exists()


def test_answers_and_alert_are_one_transaction(world: World) -> None:
    """GIVEN writing the alert fails WHEN a positive item 9 is submitted
    THEN the answers are not stored either: an answer is never kept without its alert."""
    with (
        mock.patch(
            "openipt.measures.services.risk_alert_raise", side_effect=RuntimeError("db down")
        ),
        pytest.raises(RuntimeError),
    ):
        submit_phq9(world.clinician, world.course_1, (0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert not MeasureAdministration.objects.exists()
    assert not AuditEvent.objects.filter(object_type="measure_administration").exists()


def test_an_unlicensed_instrument_cannot_be_submitted(world: World) -> None:
    answers = {f"epds-{n}": "a" for n in range(1, 11)}
    with pytest.raises(ValidationError) as caught:
        measure_submit(
            actor=world.clinician, course=world.course_1, instrument_code="epds", answers=answers
        )
    assert "licensed text" in " ".join(caught.value.messages)


def test_an_unknown_instrument_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        measure_submit(
            actor=world.clinician,
            course=world.course_1,
            instrument_code="nope",
            answers={"x": MORE_THAN_HALF},
        )
