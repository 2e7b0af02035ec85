"""Questionnaires sent to the client's portal: expiry, completion, double submits, crisis."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.courses.models import CourseStatus
from openipt.measures.models import MeasureAdministration, MeasureRequest
from openipt.measures.services import (
    DEFAULT_REQUEST_VALID_DAYS,
    measure_request_cancel,
    measure_request_create,
    measure_submit,
)
from openipt.safety.models import RiskAlert
from tests.measures.helpers import form_data, phq9_answers
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def send_phq9(world: World, **kwargs: object) -> MeasureRequest:
    return measure_request_create(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="phq9",
        **kwargs,  # type: ignore[arg-type]
    )


def fill_url(request: MeasureRequest) -> str:
    return reverse("portal:questionnaire", kwargs={"public_id": request.public_id})


def test_a_request_is_open_for_seven_days_by_default(world: World) -> None:
    request = send_phq9(world)
    assert DEFAULT_REQUEST_VALID_DAYS == 7
    span = request.expires_at - request.requested_at
    assert span == datetime.timedelta(days=7)


def test_the_clinician_may_choose_another_expiry_within_limits(world: World) -> None:
    request = send_phq9(world, valid_days=3)
    assert request.expires_at - request.requested_at == datetime.timedelta(days=3)
    with pytest.raises(ValidationError):
        measure_request_create(
            actor=world.clinician, course=world.course_1, instrument_code="gad7", valid_days=0
        )


def test_one_open_request_per_instrument(world: World) -> None:
    send_phq9(world)
    with pytest.raises(ValidationError):
        send_phq9(world)


def test_supervisors_cannot_send_questionnaires(world: World) -> None:
    with pytest.raises(PermissionDenied):
        measure_request_create(
            actor=world.supervisor, course=world.course_1, instrument_code="phq9"
        )


def test_a_client_without_a_portal_account_cannot_be_sent_one(world: World) -> None:
    client = world.client_1
    client.user = None
    client.save()
    with pytest.raises(ValidationError):
        send_phq9(world)


def test_the_client_completes_their_request(world: World) -> None:
    request = send_phq9(world)
    administration = measure_submit(
        actor=world.client_user_1,
        course=world.course_1,
        instrument_code="phq9",
        answers=phq9_answers(),
        mode="portal",
        request=request,
    )
    request.refresh_from_db()
    assert request.completed_administration == administration
    assert administration.mode == "portal"
    assert administration.entered_by == world.client_user_1


def test_another_client_cannot_complete_the_request(world: World) -> None:
    request = send_phq9(world)
    for other in (world.client_user_2, world.client_user_b):
        with pytest.raises(PermissionDenied):
            measure_submit(
                actor=other,
                course=world.course_1,
                instrument_code="phq9",
                answers=phq9_answers(),
                mode="portal",
                request=request,
            )


def test_an_expired_request_cannot_be_completed(world: World) -> None:
    """GIVEN a request sent 8 days ago with the default 7-day window
    WHEN the client submits THEN it is refused and nothing is stored."""
    request = send_phq9(world)
    with (
        mock.patch(
            "django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(days=8)
        ),
        pytest.raises(ValidationError),
    ):
        measure_submit(
            actor=world.client_user_1,
            course=world.course_1,
            instrument_code="phq9",
            answers=phq9_answers(),
            mode="portal",
            request=request,
        )
    assert not MeasureAdministration.objects.exists()


def test_a_withdrawn_request_cannot_be_completed(world: World) -> None:
    request = send_phq9(world)
    measure_request_cancel(actor=world.clinician, request=request)
    with pytest.raises(ValidationError):
        measure_submit(
            actor=world.client_user_1,
            course=world.course_1,
            instrument_code="phq9",
            answers=phq9_answers(),
            mode="portal",
            request=request,
        )


# --- through the portal pages --------------------------------------------------------------


def test_the_portal_home_shows_waiting_questionnaires(world: World, client_for: ClientFor) -> None:
    request = send_phq9(world)
    page = client_for(world.client_user_1).get(reverse("portal:home")).content.decode()
    assert "One questionnaire is" in page
    assert fill_url(request) in page


def test_the_portal_list_shows_only_the_clients_own_open_requests(
    world: World, client_for: ClientFor
) -> None:
    request = send_phq9(world)
    mine = client_for(world.client_user_1).get(reverse("portal:questionnaires")).content.decode()
    assert fill_url(request) in mine
    theirs = client_for(world.client_user_2).get(reverse("portal:questionnaires")).content.decode()
    assert fill_url(request) not in theirs


def test_another_client_gets_404_for_the_request_page(world: World, client_for: ClientFor) -> None:
    request = send_phq9(world)
    for other in (world.client_user_2, world.client_user_b, world.clinician):
        assert client_for(other).get(fill_url(request)).status_code == 404


def test_two_posts_of_the_same_request_store_one_questionnaire(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN an open portal request WHEN the client presses Send twice
    (two POSTs, even with different form keys) THEN one questionnaire is stored."""
    request = send_phq9(world)
    http = client_for(world.client_user_1)
    first = http.post(fill_url(request), form_data(phq9_answers(), submission_key="a"))
    second = http.post(fill_url(request), form_data(phq9_answers(), submission_key="b"))
    assert first.status_code == 302 and second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("portal:questionnaires")
    assert MeasureAdministration.objects.count() == 1


def test_a_positive_risk_answer_goes_straight_to_the_crisis_page(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a client filling in a PHQ-9 in the portal WHEN item 9 is "several days"
    THEN the very next response redirects to the crisis page, and the alert exists."""
    request = send_phq9(world)
    http = client_for(world.client_user_1)
    response = http.post(
        fill_url(request),
        form_data(phq9_answers((0, 0, 0, 0, 0, 0, 0, 0, 1)), submission_key="x"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("safety:crisis")
    assert RiskAlert.objects.filter(instrument_code="phq9").count() == 1
    # Sending again still goes to the crisis page, and stores nothing more.
    again = http.post(fill_url(request), form_data(phq9_answers((0, 0, 0, 0, 0, 0, 0, 0, 1))))
    assert again["Location"] == reverse("safety:crisis")
    assert MeasureAdministration.objects.count() == 1


def test_missing_answers_are_shown_by_item_and_chosen_answers_kept(
    world: World, client_for: ClientFor
) -> None:
    request = send_phq9(world)
    answers = phq9_answers()
    del answers["phq9-4"]
    response = client_for(world.client_user_1).post(
        fill_url(request), form_data(answers, submission_key="k")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#q-phq9-4"' in page  # in the summary at the top, linked to the item
    assert 'id="q-phq9-4-error"' in page  # and beside the item
    assert 'value="LA6569-3" checked' in page  # answers kept
    assert not MeasureAdministration.objects.exists()


def test_an_expired_request_shows_a_clear_message(world: World, client_for: ClientFor) -> None:
    request = send_phq9(world)
    MeasureRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    http = client_for(world.client_user_1)
    page = http.get(fill_url(request))
    assert page.status_code == 200
    assert "This questionnaire has closed" in page.content.decode()
    posted = http.post(fill_url(request), form_data(phq9_answers()))
    assert posted.status_code == 409
    assert not MeasureAdministration.objects.exists()


def test_a_completed_request_shows_it_was_sent(world: World, client_for: ClientFor) -> None:
    request = send_phq9(world)
    http = client_for(world.client_user_1)
    http.post(fill_url(request), form_data(phq9_answers()))
    page = http.get(fill_url(request)).content.decode()
    assert "Already sent" in page


def test_a_request_of_a_closed_course_is_not_offered(world: World, client_for: ClientFor) -> None:
    request = send_phq9(world)
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    http = client_for(world.client_user_1)
    assert fill_url(request) not in http.get(reverse("portal:questionnaires")).content.decode()
    assert http.post(fill_url(request), form_data(phq9_answers())).status_code == 409
