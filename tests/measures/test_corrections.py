"""Corrections: never an edit, always a new version with a reason; the old one stays."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openipt.audit.models import AuditEvent
from openipt.measures.engine import InvalidAnswers
from openipt.measures.models import MeasureAdministration
from openipt.measures.selectors import current_administrations, score_series
from openipt.measures.services import measure_correct
from openipt.safety.models import RiskAlert
from tests.measures.helpers import phq9_answers, submit_phq9
from tests.world import World

pytestmark = pytest.mark.django_db


def test_a_correction_supersedes_the_original_which_stays_in_the_record(world: World) -> None:
    """GIVEN a stored PHQ-9 of 8 WHEN the clinician corrects item 1 to "nearly every day"
    with a reason THEN a new row of 10 supersedes it, the original is kept and marked,
    and only the correction counts."""
    original = submit_phq9(world.clinician, world.course_1, session=world.session_1)
    corrected = measure_correct(
        actor=world.clinician,
        administration=original,
        answers=phq9_answers((3, 1, 1, 1, 1, 1, 1, 1, 0)),
        reason="Item 1 was entered on the wrong line.",
    )
    original.refresh_from_db()
    assert original.superseded is True
    assert original.total == 8  # never edited
    assert corrected.supersedes == original
    assert corrected.total == 10
    assert corrected.correction_reason == "Item 1 was entered on the wrong line."
    assert (corrected.session, corrected.administered_at) == (
        original.session,
        original.administered_at,
    )
    assert list(current_administrations(world.course_1)) == [corrected]
    assert [total for _at, _n, total in score_series(world.course_1)["phq9"]] == [10]
    assert MeasureAdministration.objects.count() == 2


def test_a_correction_needs_a_reason(world: World) -> None:
    original = submit_phq9(world.clinician, world.course_1)
    with pytest.raises(ValidationError) as caught:
        measure_correct(
            actor=world.clinician, administration=original, answers=phq9_answers(), reason="  "
        )
    assert "reason" in caught.value.message_dict
    original.refresh_from_db()
    assert original.superseded is False
    assert MeasureAdministration.objects.count() == 1


def test_a_correction_with_invalid_answers_changes_nothing(world: World) -> None:
    original = submit_phq9(world.clinician, world.course_1)
    answers = phq9_answers()
    del answers["phq9-2"]
    with pytest.raises(InvalidAnswers):
        measure_correct(
            actor=world.clinician, administration=original, answers=answers, reason="Typo."
        )
    original.refresh_from_db()
    assert original.superseded is False
    assert MeasureAdministration.objects.count() == 1


def test_a_corrected_version_cannot_be_corrected_again(world: World) -> None:
    original = submit_phq9(world.clinician, world.course_1)
    measure_correct(
        actor=world.clinician, administration=original, answers=phq9_answers(), reason="Typo."
    )
    original.refresh_from_db()
    with pytest.raises(ValidationError):
        measure_correct(
            actor=world.clinician, administration=original, answers=phq9_answers(), reason="Again."
        )


def test_supervisors_and_outsiders_cannot_correct(world: World) -> None:
    original = submit_phq9(world.clinician, world.course_1)
    for outsider in (world.supervisor, world.colleague, world.clinician_b, world.client_user_1):
        with pytest.raises(PermissionDenied):
            measure_correct(
                actor=outsider, administration=original, answers=phq9_answers(), reason="No."
            )


def test_a_correction_is_audited_without_its_reason_or_scores(world: World) -> None:
    original = submit_phq9(world.clinician, world.course_1)
    corrected = measure_correct(
        actor=world.clinician,
        administration=original,
        answers=phq9_answers(),
        reason="Client re-read item 4.",
    )
    created = AuditEvent.objects.get(object_public_id=corrected.public_id)
    assert set(created.changed_fields) >= {"correction_reason", "supersedes", "answers"}
    assert "re-read" not in str(created.changed_fields)
    updated = AuditEvent.objects.get(object_public_id=original.public_id, action="update")
    assert updated.changed_fields == ["superseded"]


def test_a_correction_that_makes_item_9_positive_raises_an_alert(world: World) -> None:
    """GIVEN a PHQ-9 stored with item 9 = 0 WHEN a correction sets item 9 to 1
    THEN an alert is raised for the correction."""
    original = submit_phq9(world.clinician, world.course_1)
    assert not RiskAlert.objects.exists()
    corrected = measure_correct(
        actor=world.clinician,
        administration=original,
        answers=phq9_answers((1, 1, 1, 1, 1, 1, 1, 1, 1)),
        reason="Item 9 was missed when entering.",
    )
    alert = RiskAlert.objects.get()
    assert alert.source_public_id == corrected.public_id


def test_correcting_an_already_alerted_questionnaire_raises_no_second_alert(
    world: World,
) -> None:
    original = submit_phq9(world.clinician, world.course_1, (1, 1, 1, 1, 1, 1, 1, 1, 2))
    measure_correct(
        actor=world.clinician,
        administration=original,
        answers=phq9_answers((2, 1, 1, 1, 1, 1, 1, 1, 2)),
        reason="Item 1 typo.",
    )
    assert RiskAlert.objects.count() == 1
