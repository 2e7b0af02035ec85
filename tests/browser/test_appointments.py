"""Appointments in a real browser, at desktop and phone width.

A clinician books an appointment from the form (and is told, with what was
typed kept, when the time clashes with another); the client sees it in the
portal, asks to move it and makes a private calendar address; the clinician
accepts the request with a new time. Each page is checked for sideways
scrolling on the phone, and screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.accounts.models import User
from openipt.appointments.models import Appointment, AppointmentChangeRequest
from openipt.appointments.services import appointment_create, appointment_mark_held
from tests.browser.conftest import PageWatch, Viewport
from tests.browser.layout import sideways_overflow
from tests.browser.test_circle import forgive_refused_page
from tests.browser.test_login import SIGN_IN_BUTTON, fresh_totp_code, submit_password
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> World:
    return build_world()


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _calendar(world: World) -> None:
    """A week with some life in it: Alice and Bob booked, one of Alice's held last week."""
    now = timezone.now()
    for client, days, hour, kind, room in (
        (world.client_1, 1, 10, "in_person", "Room 2"),
        (world.client_2, 1, 14, "video", ""),
        (world.client_2, 3, 9, "phone", ""),
    ):
        appointment_create(
            actor=world.clinician,
            client=client,
            course=world.course_1 if client == world.client_1 else None,
            starts_at=_at(days, hour),
            ends_at=_at(days, hour) + datetime.timedelta(minutes=50),
            kind=kind,
            location=room,
            now=now,
        )
    held = appointment_create(
        actor=world.clinician,
        client=world.client_1,
        course=world.course_1,
        starts_at=_at(-6, 10),
        ends_at=_at(-6, 10) + datetime.timedelta(minutes=50),
        location="Room 2",
        now=_at(-8, 10),
    )
    appointment_mark_held(actor=world.clinician, appointment=held, session=world.session_1)


def _sign_in_staff(page: Page, live_server: LiveServer, user: User) -> None:
    submit_password(page, live_server, user, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator('input[name="code"]').fill(fresh_totp_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def _sign_in_client(page: Page, live_server: LiveServer, user: User) -> None:
    submit_password(page, live_server, user, TEST_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _fits(page: Page) -> None:
    assert sideways_overflow(page) <= 0, "the page scrolls sideways"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_booking_a_request_to_move_it_and_the_answer(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    page_watch: PageWatch,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN Clara's week WHEN she books Alice at a time she already has Bob THEN she is told
    so and what she typed stays; WHEN she picks a free time THEN it is booked. Alice sees it,
    asks to move it and makes a calendar address; Clara accepts with a new time."""
    _calendar(world)
    clara = open_page(viewport)
    _sign_in_staff(clara, live_server, world.clinician)
    clara.goto(live_server.url + reverse("appointments:list"))
    expect(clara.get_by_role("heading", name="Appointments", exact=True)).to_be_visible()
    expect(clara.locator("main")).to_contain_text("Bob Brown")
    _fits(clara)
    screenshot(clara, "calendar")

    # Book Alice onto Bob's video call: refused, with the form kept.
    clara.get_by_role("button", name="Book an appointment").click()
    clara.get_by_label("Client").select_option(label="Alice Anders")
    clara.get_by_label("IPT course").select_option(index=1)
    clara.get_by_label("Date").fill(_at(1, 14).date().isoformat())
    clara.get_by_label("Starts at").fill("14:20")
    clara.get_by_label("Where or how to join").fill("Room 4")
    clara.get_by_role("button", name="Book").click()
    expect(clara.get_by_role("alert")).to_contain_text("Clara Clinician already has an appointment")
    expect(clara.get_by_label("Where or how to join")).to_have_value("Room 4")
    _fits(clara)
    screenshot(clara, "conflict")
    # The refused booking is a 409 on purpose; Chromium logs any 4xx as a console error.
    forgive_refused_page(page_watch, live_server.url + reverse("appointments:create"), 409)
    clara.get_by_label("Starts at").fill("16:00")
    clara.get_by_role("button", name="Book").click()
    expect(clara.get_by_role("heading", name="Appointment with Alice Anders")).to_be_visible()
    _fits(clara)
    booked = Appointment.objects.get(location="Room 4")
    assert timezone.localtime(booked.starts_at).hour == 16

    # Alice, in the portal.
    alice = open_page(viewport)
    _sign_in_client(alice, live_server, world.client_user_1)
    alice.goto(live_server.url + reverse("appointments:my_list"))
    expect(alice.get_by_role("heading", name="My appointments")).to_be_visible()
    expect(alice.locator("main")).to_contain_text("Room 4")
    _fits(alice)
    screenshot(alice, "client-list")
    alice.goto(
        live_server.url + reverse("appointments:my_detail", kwargs={"public_id": booked.public_id})
    )
    alice.get_by_label("Move it to another time").check()
    alice.get_by_label("Anything your clinician should know").fill("Mornings suit me better.")
    alice.get_by_role("button", name="Send my request").click()
    expect(alice.locator("main")).to_contain_text("You asked to move this appointment.")
    _fits(alice)
    screenshot(alice, "client-request-sent")
    alice.goto(live_server.url + reverse("appointments:my_feed"))
    alice.get_by_role("button", name="Make my calendar address").click()
    expect(alice.locator("#feed-url")).to_have_value(re.compile(r"/calendar/[\w-]{40,}\.ics$"))
    _fits(alice)
    screenshot(alice, "client-calendar-address")

    # Clara answers from the calendar's request list.
    clara.goto(live_server.url + reverse("appointments:list"))
    expect(clara.locator("main")).to_contain_text("Asks to move")
    clara.get_by_role("link", name=re.compile(r"^Answer")).click()
    expect(clara.locator("main")).to_contain_text("Mornings suit me better.")
    _fits(clara)
    screenshot(clara, "request")
    request_form = clara.locator(
        "form", has=clara.get_by_role("button", name="Move it to this time")
    )
    request_form.get_by_label("Date").fill(_at(2, 9).date().isoformat())
    request_form.get_by_label("Starts at").fill("09:00")
    request_form.get_by_role("button", name="Move it to this time").click()
    expect(clara.locator(".messages")).to_contain_text("Request accepted")
    booked.refresh_from_db()
    assert booked.starts_at == _at(2, 9)
    assert AppointmentChangeRequest.objects.get().status == "accepted"
