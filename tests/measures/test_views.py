"""The clinician's questionnaire pages: record, result, history, correction, schedule, send."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.models import CourseStatus
from openipt.measures.models import MeasureAdministration, MeasureRequest, MeasureSchedule
from openipt.measures.services import measure_correct
from openipt.safety.models import RiskAlert
from tests.measures.helpers import form_data, phq9_answers, submit_phq9
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def course_url(name: str, world: World) -> str:
    return reverse(name, kwargs={"public_id": world.course_1.public_id})


def submit_form(answers: dict[str, object], **extra: str) -> dict[str, str]:
    return form_data(answers, step="submit", instrument="phq9", **extra)


def test_choosing_an_instrument_opens_an_accessible_form(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    chooser = http.get(course_url("measures:record", world))
    assert chooser.status_code == 200
    page = chooser.content.decode()
    assert "PHQ-9" in page
    assert "load the licensed text first" in page  # EPDS/PHQ-A listed as not available
    form = http.post(course_url("measures:record", world), {"step": "choose", "instrument": "phq9"})
    assert form.status_code == 200
    page = form.content.decode()
    assert page.count("<fieldset") == 10
    assert page.count("<legend>") == 10
    assert 'type="radio"' in page and 'name="phq9-9"' in page
    assert "Pfizer" in page  # the licence notice
    assert re.search(r'name="submission_key" value="[0-9a-f]{32}"', page)


def test_recording_a_questionnaire_stores_it_and_shows_the_result(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    response = http.post(
        course_url("measures:record", world),
        submit_form(phq9_answers(), submission_key="abc", session=str(world.session_1.public_id)),
    )
    assert response.status_code == 302
    administration = MeasureAdministration.objects.get()
    assert response["Location"] == reverse(
        "measures:result", kwargs={"public_id": administration.public_id}
    )
    assert administration.session == world.session_1
    assert "phq9" not in response["Location"] and "8" not in response["Location"].split("/")[-2:]
    page = http.get(response["Location"]).content.decode()
    assert "Mild" in page
    assert "the baseline" in page


def test_the_result_shows_the_change_since_the_previous_score(
    world: World, client_for: ClientFor
) -> None:
    submit_phq9(world.clinician, world.course_1, (2, 2, 2, 2, 2, 2, 2, 2, 0), days_ago=7)
    latest = submit_phq9(world.clinician, world.course_1)
    page = (
        client_for(world.clinician)
        .get(reverse("measures:result", kwargs={"public_id": latest.public_id}))
        .content.decode()
    )
    assert "-8 since" in page


def test_a_double_submit_of_one_form_stores_one_row(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    data = submit_form(phq9_answers(), submission_key="same-key")
    first = http.post(course_url("measures:record", world), data)
    second = http.post(course_url("measures:record", world), data)
    assert first["Location"] == second["Location"]
    assert MeasureAdministration.objects.count() == 1


def test_an_incomplete_form_is_refused_with_422_and_keeps_the_answers(
    world: World, client_for: ClientFor
) -> None:
    answers = phq9_answers()
    del answers["phq9-5"], answers["phq9-9"]
    response = client_for(world.clinician).post(
        course_url("measures:record", world), submit_form(answers, submission_key="k")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing has been saved yet" in page
    assert 'href="#q-phq9-5"' in page and 'href="#q-phq9-9"' in page
    assert 'aria-describedby="q-phq9-5-error"' in page
    assert page.count('value="LA6569-3" checked') == 7
    assert 'name="submission_key" value="k"' in page
    assert not MeasureAdministration.objects.exists()


def test_an_unknown_answer_code_is_refused(world: World, client_for: ClientFor) -> None:
    answers = phq9_answers()
    answers["phq9-2"] = "LA9999-9"
    response = client_for(world.clinician).post(
        course_url("measures:record", world), submit_form(answers)
    )
    assert response.status_code == 422
    assert not MeasureAdministration.objects.exists()


def test_a_positive_item_9_shows_a_prominent_link_to_the_alert(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician entering a PHQ-9 with item 9 = 2 WHEN it is saved
    THEN the result page says an alert was raised and links to it."""
    http = client_for(world.clinician)
    response = http.post(
        course_url("measures:record", world),
        submit_form(phq9_answers((1, 1, 1, 1, 1, 1, 1, 1, 2))),
    )
    alert = RiskAlert.objects.get()
    page = http.get(response["Location"]).content.decode()
    assert "A risk alert was raised" in page
    assert reverse("safety:alert_detail", kwargs={"public_id": alert.public_id}) in page
    assert 'role="alert"' in page


def test_epds_without_licensed_text_gets_a_clear_message(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.clinician).post(
        course_url("measures:record", world), {"step": "choose", "instrument": "epds"}
    )
    assert response.status_code == 400
    assert "must load the licensed text first" in response.content.decode()


def test_a_supervisor_reads_but_cannot_record_or_correct(
    world: World, client_for: ClientFor
) -> None:
    administration = submit_phq9(world.clinician, world.course_1)
    http = client_for(world.supervisor)
    assert http.get(course_url("measures:history", world)).status_code == 200
    assert (
        http.post(course_url("measures:record", world), submit_form(phq9_answers())).status_code
        == 403
    )
    correct = reverse("measures:correct", kwargs={"public_id": administration.public_id})
    assert http.post(correct, form_data(phq9_answers(), reason="x")).status_code == 403
    assert MeasureAdministration.objects.count() == 1


@pytest.mark.parametrize("who", ["colleague", "admin", "facilitator", "clinician_b", "client"])
def test_outsiders_get_404_on_every_course_page(
    world: World, client_for: ClientFor, who: str
) -> None:
    administration = submit_phq9(world.clinician, world.course_1)
    http = client_for(world.users_by_role_name()[who])
    for name in ("measures:history", "measures:record", "measures:schedule", "measures:send"):
        assert http.get(course_url(name, world)).status_code == 404, name
    for name in ("measures:result", "measures:correct"):
        url = reverse(name, kwargs={"public_id": administration.public_id})
        assert http.get(url).status_code == 404, name
    assert (
        http.post(course_url("measures:record", world), submit_form(phq9_answers())).status_code
        == 404
    )


def test_history_marks_corrections_and_costs_constant_queries(
    world: World, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """The history page costs the same number of queries for 3 or 13 questionnaires."""
    http = client_for(world.clinician)
    url = course_url("measures:history", world)
    first = submit_phq9(world.clinician, world.course_1, days_ago=20)
    measure_correct(
        actor=world.clinician, administration=first, answers=phq9_answers(), reason="Typo."
    )
    submit_phq9(world.clinician, world.course_1, days_ago=10)
    page = http.get(url).content.decode()
    assert "Corrected" in page and "Correction" in page
    assert 'class="superseded"' in page
    with django_assert_max_num_queries(40) as small:
        http.get(url)
    for days in range(10):
        submit_phq9(world.clinician, world.course_1, days_ago=days)
    with django_assert_max_num_queries(len(small.captured_queries)):
        http.get(url)


def test_viewing_history_is_audited(world: World, client_for: ClientFor) -> None:
    client_for(world.clinician).get(course_url("measures:history", world))
    assert AuditEvent.objects.filter(object_type="measure_history", action="list").exists()


def test_the_correction_page_prefills_and_needs_a_reason(
    world: World, client_for: ClientFor
) -> None:
    administration = submit_phq9(world.clinician, world.course_1)
    http = client_for(world.clinician)
    url = reverse("measures:correct", kwargs={"public_id": administration.public_id})
    page = http.get(url).content.decode()
    assert page.count('value="LA6569-3" checked') == 8
    refused = http.post(url, form_data(phq9_answers((3, 1, 1, 1, 1, 1, 1, 1, 0))))
    assert refused.status_code == 400
    assert "Say why" in refused.content.decode()
    assert MeasureAdministration.objects.count() == 1
    done = http.post(
        url, form_data(phq9_answers((3, 1, 1, 1, 1, 1, 1, 1, 0)), reason="Wrong line.")
    )
    assert done.status_code == 302
    new = MeasureAdministration.objects.get(superseded=False)
    assert new.total == 10 and new.supersedes == administration


def test_the_schedule_page_saves_for_the_clinician(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    url = course_url("measures:schedule", world)
    page = http.get(url).content.decode()
    assert "due before session 2" in page
    response = http.post(
        url,
        {"active__phq9": "on", "every__phq9": "1", "active__gad7": "on", "every__gad7": "4"},
    )
    assert response.status_code == 302
    rows = {
        s.instrument_code: (s.every_n_sessions, s.active) for s in MeasureSchedule.objects.all()
    }
    assert rows["phq9"] == (1, True) and rows["gad7"] == (4, True)
    assert rows["gds15"][1] is False


def test_the_schedule_page_shows_errors_per_line(world: World, client_for: ClientFor) -> None:
    response = client_for(world.clinician).post(
        course_url("measures:schedule", world), {"active__phq9": "on", "every__phq9": "abc"}
    )
    assert response.status_code == 400
    assert "Enter how often" in response.content.decode()
    assert not MeasureSchedule.objects.exists()


def test_the_schedule_page_is_read_only_for_supervisors(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.supervisor)
    page = http.get(course_url("measures:schedule", world)).content.decode()
    assert "Save the schedule" not in page
    assert http.post(course_url("measures:schedule", world), {}).status_code == 403


def test_sending_a_questionnaire_to_the_portal(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    response = http.post(
        course_url("measures:send", world), {"instrument": "gad7", "valid_days": "5"}
    )
    assert response.status_code == 302
    request = MeasureRequest.objects.get()
    assert request.instrument_code == "gad7"
    page = http.get(course_url("measures:history", world)).content.decode()
    assert "Waiting until" in page
    http.post(reverse("measures:request_cancel", kwargs={"public_id": request.public_id}))
    request.refresh_from_db()
    assert request.cancelled is True


def test_sending_refuses_bad_input_with_a_message(world: World, client_for: ClientFor) -> None:
    response = client_for(world.clinician).post(
        course_url("measures:send", world), {"instrument": "epds", "valid_days": "500"}
    )
    assert response.status_code == 400
    assert not MeasureRequest.objects.exists()


def test_a_closed_course_sends_the_clinician_back_to_the_history(
    world: World, client_for: ClientFor
) -> None:
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    http = client_for(world.clinician)
    response = http.post(course_url("measures:record", world), submit_form(phq9_answers()))
    assert response.status_code == 302
    assert response["Location"] == course_url("measures:history", world)
    assert not MeasureAdministration.objects.exists()
