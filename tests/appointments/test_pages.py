"""The appointment pages: clinician calendar and forms, the client's portal pages, .ics and feed."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import icalendar
import pytest
from django.db import connection
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.appointments.models import (
    Appointment,
    AppointmentChangeRequest,
    AppointmentStatus,
    CalendarFeedToken,
)
from openipt.appointments.portal_views import FEED_REQUESTS_PER_MINUTE
from openipt.appointments.selectors import next_appointment_for_client
from openipt.appointments.services import (
    appointment_cancel,
    appointment_change_request,
    calendar_feed_create,
    calendar_feed_revoke,
)
from openipt.audit.models import AuditEvent
from openipt.practice.models import Client
from tests.appointments.helpers import HOURS, MINUTES, TUE_10, book
from tests.factories import ClientFactory
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]
INLINE = re.compile(r"<style\b|\sstyle=\"|<script(?![^>]*\bsrc=)", re.IGNORECASE)


def _soon(days: int = 2, hour: int = 10) -> datetime.datetime:
    """A time in the (real) near future, on the hour, so pages show it as coming up."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _book_soon(world: World, **kwargs: object) -> Appointment:
    return book(world, starts_at=_soon(**kwargs), now=timezone.now())  # type: ignore[arg-type]


def _detail(appointment: Appointment) -> str:
    return reverse("appointments:detail", kwargs={"public_id": appointment.public_id})


# --- the clinician calendar -----------------------------------------------------------------


def test_the_calendar_groups_appointments_by_day_with_requests_on_top(
    world: World, client_for: ClientFor
) -> None:
    alice = _book_soon(world, days=1)
    book(world, client=world.client_2, starts_at=_soon(days=1, hour=14), now=timezone.now())
    book(world, client=world.client_2, starts_at=_soon(days=3), now=timezone.now())
    appointment_change_request(actor=world.client_user_1, appointment=alice, kind="cancel")
    response = client_for(world.clinician).get(reverse("appointments:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="card day-card"') == 2
    assert body.index("Requests from clients") < body.index("day-card")
    assert "Asks to cancel" in body and "Request waiting" in body
    assert body.index("Alice Anders") < body.index("Bob Brown")
    assert not INLINE.search(body)
    assert AuditEvent.objects.filter(
        object_type="appointment_calendar", actor=world.clinician, action="list"
    ).exists()


def test_the_calendar_costs_the_same_queries_for_many_appointments(
    world: World, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    http = client_for(world.supervisor)
    url = reverse("appointments:list") + "?clinician=all"
    _book_soon(world, days=1)
    http.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        http.get(url)
    for n in range(8):
        client = ClientFactory.create(practice=world.practice_a)
        client.care_team.create(user=world.clinician, role="clinician")
        appointment = book(
            world, client=client, starts_at=_soon(days=1 + n % 4, hour=8 + n), now=timezone.now()
        )
        if n % 3 == 0:
            # Written directly: these factory clients have no portal account to ask with.
            AppointmentChangeRequest.objects.create(
                appointment=appointment, kind="cancel", requested_by=world.clinician
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(url)
    body = response.content.decode()
    assert body.count('class="appt-main"') == 9
    # An "Answer" link for each of the three requests.
    assert body.count('class="appt-open"') == 3
    assert body.count("Asks to cancel") == 3


def test_a_supervisor_filters_by_clinician_and_cannot_book(
    world: World, client_for: ClientFor
) -> None:
    _book_soon(world)
    http = client_for(world.supervisor)
    body = http.get(reverse("appointments:list")).content.decode()
    assert "Alice Anders" in body and "Book an appointment" not in body
    filtered = http.get(
        reverse("appointments:list") + f"?clinician={world.colleague.public_id}"
    ).content.decode()
    assert "Alice Anders" not in filtered and "Nothing booked" in filtered
    assert http.get(reverse("appointments:create")).status_code == 403


def test_a_colleague_outside_the_care_team_sees_nothing_of_it(
    world: World, client_for: ClientFor
) -> None:
    appointment = _book_soon(world)
    http = client_for(world.colleague)
    body = http.get(reverse("appointments:list") + "?clinician=all").content.decode()
    assert "Alice" not in body
    assert http.get(_detail(appointment)).status_code == 404
    cancel = reverse("appointments:cancel", kwargs={"public_id": appointment.public_id})
    assert http.post(cancel, {"version": 1}).status_code == 404
    assert client_for(world.clinician_b).get(_detail(appointment)).status_code == 404


def test_a_bad_week_or_clinician_in_the_address_falls_back_calmly(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.clinician).get(
        reverse("appointments:list") + "?start=not-a-date&clinician=nobody"
    )
    assert response.status_code == 200


# --- booking and changing -------------------------------------------------------------------


def _form(when: datetime.datetime, **extra: str) -> dict[str, str]:
    local = timezone.localtime(when)
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "duration": "50",
        "kind": "video",
        "location": "",
        **extra,
    }


def test_booking_from_the_form_links_the_course(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    url = reverse("appointments:create") + f"?course={world.course_1.public_id}"
    page = http.get(url).content.decode()
    assert f'value="{world.course_1.public_id}" selected' in page
    response = http.post(
        url,
        _form(
            _soon(),
            client=str(world.client_1.public_id),
            course=str(world.course_1.public_id),
        ),
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(appointment)
    assert appointment.course == world.course_1 and appointment.kind == "video"
    assert appointment.starts_at == _soon()


def test_a_conflicting_booking_gets_409_and_keeps_what_was_typed(
    world: World, client_for: ClientFor
) -> None:
    _book_soon(world)
    response = client_for(world.clinician).post(
        reverse("appointments:create"),
        _form(
            _soon() + 20 * MINUTES,
            client=str(world.client_2.public_id),
            location="Room 9",
        ),
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Clara Clinician already has an appointment from 10:00 to 10:50" in body
    assert 'value="Room 9"' in body and 'value="10:20"' in body
    assert Appointment.objects.count() == 1


def test_a_client_from_another_practice_cannot_be_chosen(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.clinician).post(
        reverse("appointments:create"), _form(_soon(), client=str(world.client_b.public_id))
    )
    assert response.status_code == 400
    assert "Choose a client." in response.content.decode()
    assert not Appointment.objects.exists()


def test_moving_from_a_stale_page_gets_409_with_the_typed_time_kept(
    world: World, client_for: ClientFor
) -> None:
    appointment = _book_soon(world)
    url = reverse("appointments:move", kwargs={"public_id": appointment.public_id})
    http = client_for(world.clinician)
    assert http.post(url, {**_form(_soon(hour=12)), "version": "1"}).status_code == 302
    stale = http.post(url, {**_form(_soon(hour=15)), "version": "1"})
    body = stale.content.decode()
    assert stale.status_code == 409
    assert "Someone changed this appointment" in body
    assert 'value="15:00"' in body and 'name="version" value="2"' in body
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at).hour == 12


def test_cancelling_from_the_page(world: World, client_for: ClientFor) -> None:
    appointment = _book_soon(world)
    url = reverse("appointments:cancel", kwargs={"public_id": appointment.public_id})
    response = client_for(world.clinician).post(url, {"version": "1"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert client_for(world.clinician).post(url, {"version": "2"}).status_code == 400


def test_answering_a_request_to_move_from_the_appointment_page(
    world: World, client_for: ClientFor
) -> None:
    appointment = _book_soon(world)
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="reschedule", note="Mornings?"
    )
    http = client_for(world.clinician)
    page = http.get(_detail(appointment)).content.decode()
    assert "Asks to move it" in page and "Mornings?" in page
    prefix = f"r{change_request.pk}"
    new_time = _soon(days=4, hour=9)
    form = {f"{prefix}-{k}": v for k, v in _form(new_time).items()}
    url = reverse("appointments:request_accept", kwargs={"public_id": change_request.public_id})
    assert http.post(url, form).status_code == 302
    appointment.refresh_from_db()
    change_request.refresh_from_db()
    assert appointment.starts_at == new_time and change_request.status == "accepted"
    # The supervisor reads the page (and the request), but cannot answer.
    assert client_for(world.supervisor).get(_detail(appointment)).status_code == 200


def test_an_invalid_move_in_an_answer_is_a_400_with_the_form(
    world: World, client_for: ClientFor
) -> None:
    appointment = _book_soon(world)
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="reschedule"
    )
    url = reverse("appointments:request_accept", kwargs={"public_id": change_request.public_id})
    response = client_for(world.clinician).post(url, {f"r{change_request.pk}-date": "soon"})
    assert response.status_code == 400
    assert "Enter a date." in response.content.decode()


# --- the client's pages ---------------------------------------------------------------------


def test_the_client_sees_their_upcoming_and_past_appointments_only(
    world: World, client_for: ClientFor
) -> None:
    upcoming = _book_soon(world)
    book(world, client=world.client_2, starts_at=_soon(days=5), now=timezone.now())
    past = book(world, starts_at=_soon(days=-3), now=timezone.now() - datetime.timedelta(days=5))
    http = client_for(world.client_user_1)
    body = http.get(reverse("appointments:my_list")).content.decode()
    assert str(upcoming.public_id) in body
    assert body.count("with Clara Clinician") == 1
    assert timezone.localtime(past.starts_at).strftime("%-d %B") in body
    assert "Bob" not in body
    assert not INLINE.search(body)
    other = book(world, client=world.client_2, starts_at=_soon(days=6), now=timezone.now())
    mine = reverse("appointments:my_detail", kwargs={"public_id": other.public_id})
    assert http.get(mine).status_code == 404


def test_a_client_asks_to_move_and_a_double_submit_is_stored_once(
    world: World, client_for: ClientFor
) -> None:
    appointment = _book_soon(world)
    http = client_for(world.client_user_1)
    url = reverse("appointments:my_change", kwargs={"public_id": appointment.public_id})
    data = {"kind": "reschedule", "note": "Afternoons are easier for me."}
    assert http.post(url, data).status_code == 302
    assert http.post(url, data).status_code == 302
    assert AppointmentChangeRequest.objects.count() == 1
    page = http.get(reverse("appointments:my_detail", kwargs={"public_id": appointment.public_id}))
    body = page.content.decode()
    assert "You asked to move this appointment." in body
    assert "Afternoons are easier for me." in body
    assert "Send my request" not in body


def test_a_request_without_a_choice_is_a_400_that_keeps_the_note(
    world: World, client_for: ClientFor
) -> None:
    appointment = _book_soon(world)
    url = reverse("appointments:my_change", kwargs={"public_id": appointment.public_id})
    response = client_for(world.client_user_1).post(url, {"note": "Any day but Monday"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose whether to cancel or move the appointment." in body
    assert "Any day but Monday" in body


def test_the_ics_download_is_a_valid_calendar_with_no_clinical_content(
    world: World, client_for: ClientFor
) -> None:
    appointment = book(world, starts_at=TUE_10, location="Room 2")
    url = reverse("appointments:my_ics", kwargs={"public_id": appointment.public_id})
    response = client_for(world.client_user_1).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.content.decode())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Appointment with Riverside Clinic"
    assert event.decoded("DTSTART") == TUE_10
    assert event.decoded("DTEND") == TUE_10 + 50 * MINUTES
    assert str(event["LOCATION"]) == "Room 2"
    assert str(event["UID"]).startswith(f"appointment-{appointment.public_id}@")
    text = response.content.decode()
    for forbidden in ("Clara", "Alice", "IPT course", "initial", "DESCRIPTION"):
        assert forbidden not in text
    assert client_for(world.client_user_2).get(url).status_code == 404


def test_the_next_appointment_block_for_the_portal_home(world: World) -> None:
    assert next_appointment_for_client(client=world.client_1) is None
    html = render_to_string(
        "appointments/partials/next_appointment.html", {"next_appointment": None}
    )
    assert "Nothing booked yet." in html
    first = _book_soon(world, days=2)
    later = _book_soon(world, days=4)
    appointment_cancel(actor=world.clinician, appointment=first)
    assert next_appointment_for_client(client=world.client_1) == later
    # The portal home loads it through the template tag, given the client.
    html = Template("{% load appointments_portal %}{% next_appointment client %}").render(
        Context({"client": world.client_1})
    )
    assert str(later.public_id) in html and "with Clara Clinician" in html
    assert str(first.public_id) not in html


# --- the private calendar feed --------------------------------------------------------------


def _feed(token: str) -> str:
    return reverse("appointments:feed", kwargs={"token": token})


def test_the_feed_page_shows_the_address_once_and_the_feed_works_without_signing_in(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN Alice has two appointments, one cancelled WHEN she makes a feed address THEN it is
    shown once; a calendar app (not signed in) fetching it gets a valid calendar with the booked
    one only, and the fetch is audited without an actor."""
    booked = book(world, starts_at=TUE_10)
    cancelled = book(world, starts_at=TUE_10 + 24 * HOURS)
    appointment_cancel(actor=world.clinician, appointment=cancelled)
    http = client_for(world.client_user_1)
    assert http.post(reverse("appointments:my_feed_create")).status_code == 302
    page = http.get(reverse("appointments:my_feed")).content.decode()
    match = re.search(r">http://testserver/calendar/([A-Za-z0-9_\-]+)\.ics</textarea>", page)
    assert match, page
    token = match.group(1)
    again = http.get(reverse("appointments:my_feed")).content.decode()
    assert token not in again and "You made a calendar address" in again

    response = HttpClient().get(_feed(token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content.decode())
    assert str(calendar["X-WR-CALNAME"]) == "Appointments with Riverside Clinic"
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert uids == [f"appointment-{booked.public_id}@testserver"]
    row = CalendarFeedToken.objects.get()
    assert row.last_used_at is not None
    event = AuditEvent.objects.filter(object_type="calendar_feed", action="export").get()
    assert event.actor_id is None and event.subject_client_public_id == world.client_1.public_id


def test_a_revoked_or_unknown_feed_token_is_a_404(world: World) -> None:
    _, token = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    http = HttpClient()
    assert http.get(_feed(token)).status_code == 200
    calendar_feed_revoke(actor=world.client_user_1, client=world.client_1)
    assert http.get(_feed(token)).status_code == 404
    assert http.get(_feed("x" * 43)).status_code == 404
    assert http.get(_feed("x" * 500)).status_code == 404


def test_the_feed_is_rate_limited_per_address(world: World) -> None:
    _, token = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    http = HttpClient()
    statuses = [http.get(_feed(token)).status_code for _ in range(FEED_REQUESTS_PER_MINUTE + 1)]
    assert statuses[:-1] == [200] * FEED_REQUESTS_PER_MINUTE
    assert statuses[-1] == 429


def test_an_archived_clients_feed_stops(world: World) -> None:
    _, token = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    Client.objects.filter(pk=world.client_1.pk).update(status="archived")
    assert HttpClient().get(_feed(token)).status_code == 404


@pytest.mark.parametrize(
    "template",
    [
        "appointments/list.html",
        "appointments/detail.html",
        "appointments/form.html",
        "appointments/move.html",
        "appointments/portal/list.html",
        "appointments/portal/detail.html",
        "appointments/portal/feed.html",
        "appointments/partials/next_appointment.html",
    ],
)
def test_templates_have_no_inline_script_or_style(template: str) -> None:
    from django.template.loader import get_template

    source = get_template(template).template.source  # type: ignore[attr-defined]
    assert not INLINE.search(source)
