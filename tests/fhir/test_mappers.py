"""The mapping functions on their own: no queries, FHIR-valid output, status rules."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openipt.courses.models import Course, CourseStatus, Goal
from openipt.fhir.codes import PROBLEM_AREA_SYSTEM, problem_area_concepts
from openipt.fhir.export import practice_resources
from openipt.fhir.mappers import course as course_map
from openipt.fhir.mappers import measures as measure_map
from openipt.fhir.mappers import patient as patient_map
from openipt.measures.engine import shipped, shipped_instruments
from openipt.measures.services import measure_correct
from tests.fhir.support import Records, check_status, of_type, validate
from tests.measures.helpers import phq9_answers
from tests.world import World

pytestmark = pytest.mark.django_db


def test_mappers_make_no_queries(
    world: World, records: Records, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    course = Course.objects.get(pk=world.course_1.pk)
    client = world.client_1
    phq9 = records.phq9
    instrument = shipped("phq9")
    with django_assert_num_queries(0):
        patient_map.patient(client, practice_id=uuid.uuid4())
        course_map.episode_of_care(
            course, client_id=client.public_id, practice_id=uuid.uuid4(), condition_ids=[]
        )
        course_map.condition(records.focus, client_id=client.public_id)
        answered = measure_map.from_administration(phq9)
        measure_map.questionnaire_response(
            answered, instrument, client_id=client.public_id, encounter_id=None
        )
        measure_map.observations(
            answered, instrument, client_id=client.public_id, encounter_id=None
        )


@pytest.mark.parametrize("code", sorted(shipped_instruments()))
def test_every_shipped_instrument_is_a_valid_questionnaire(code: str) -> None:
    instrument = shipped(code)
    resource = measure_map.questionnaire(instrument)
    validate(resource)
    check_status(resource)
    assert [i["linkId"] for i in resource["item"]] == [i.link_id for i in instrument.items]
    if not instrument.text_licensed:
        # EPDS and PHQ-A: no item wording unless a licensed practice loaded it.
        assert all("text" not in item for item in resource["item"])


def test_the_problem_area_code_system_has_the_four_areas() -> None:
    assert set(problem_area_concepts()) == {
        "grief",
        "role_dispute",
        "role_transition",
        "interpersonal_deficits",
    }
    assert PROBLEM_AREA_SYSTEM == "https://openipt.org/fhir/CodeSystem/ipt-problem-area"


def test_a_closed_course_finishes_its_episode_plan_and_goals(
    world: World, records: Records
) -> None:
    Course.objects.filter(pk=world.course_1.pk).update(
        status=CourseStatus.CLOSED, closed_at=timezone.now()
    )
    Goal.objects.create(course=world.course_1, text="An abandoned goal", ended_at=timezone.now())
    resources = list(practice_resources(world.practice_a))
    (episode,) = of_type(resources, "EpisodeOfCare")
    assert episode["status"] == "finished"
    assert episode["period"]["end"] == timezone.now().date().isoformat()
    (plan,) = of_type(resources, "CarePlan")
    assert plan["status"] == "completed"
    assert plan["activity"][0]["detail"]["status"] == "completed"
    statuses = sorted(g["lifecycleStatus"] for g in of_type(resources, "Goal"))
    assert statuses == ["cancelled", "completed"]
    for resource in resources:
        validate(resource)
        check_status(resource)


def test_a_corrected_questionnaire_is_exported_once_as_amended(
    world: World, records: Records
) -> None:
    corrected = measure_correct(
        actor=world.clinician,
        administration=records.phq9,
        answers=phq9_answers((0, 0, 0, 0, 0, 0, 0, 0, 0)),
        reason="Typed in the wrong column.",
    )
    resources = list(practice_resources(world.practice_a))
    responses = {r["id"]: r for r in of_type(resources, "QuestionnaireResponse")}
    assert str(records.phq9.public_id) not in responses
    assert responses[str(corrected.public_id)]["status"] == "amended"
    total = next(
        o for o in of_type(resources, "Observation") if o["id"] == str(corrected.public_id)
    )
    assert total["status"] == "amended"
    assert total["valueInteger"] == 0


def test_goal_achievement_compares_the_two_ratings() -> None:
    assert course_map.achievement_status(3, 7) == ("improving", "Improving")
    assert course_map.achievement_status(7, 3) == ("worsening", "Worsening")
    assert course_map.achievement_status(5, 5) == ("no-change", "No Change")
    assert course_map.achievement_status(None, 5) is None


def test_a_patient_without_optional_details_is_still_valid(world: World) -> None:
    client = world.client_2
    client.email = ""
    client.date_of_birth = datetime.date(2000, 2, 29)
    resource = patient_map.patient(client, practice_id=uuid.uuid4())
    validate(resource)
    assert "telecom" not in resource
    assert resource["birthDate"] == "2000-02-29"


@pytest.mark.parametrize("code", sorted(shipped_instruments()))
def test_questionnaire_names_are_computable(code: str) -> None:
    name = measure_map.questionnaire(shipped(code))["name"]
    assert name[0].isupper() and name.replace("_", "").isalnum()
