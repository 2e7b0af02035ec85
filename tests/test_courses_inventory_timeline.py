"""The timeline (protocol note §5.3): dated life events, their people, one time axis."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.core.crypto import CIPHERTEXT_PREFIX
from openipt.courses.models import Course, InventoryPerson, LifeEvent
from openipt.courses.selectors.inventory import score_series_for_timeline
from openipt.courses.services import inventory as inventory_services
from openipt.courses.services import timeline as services
from openipt.courses.timeline_svg import (
    ScorePoint,
    ScoreSeries,
    TimelineEvent,
    assign_lanes,
    layout_timeline,
    place_markers,
    ticks_between,
)
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]
TODAY = datetime.date(2026, 11, 27)


def _url(name: str, course: Course, **kwargs: Any) -> str:
    return reverse(f"courses:{name}", kwargs={"public_id": course.public_id, **kwargs})


def _event_url(name: str, event: LifeEvent) -> str:
    return reverse(
        f"courses:{name}", kwargs={"public_id": event.course.public_id, "event_id": event.public_id}
    )


def _form(world: World, **change: Any) -> dict[str, Any]:
    return {
        "date": "2026-06-14",
        "kind": "death",
        "title": "Mum died after a short illness",
        "description": "Hospice, three weeks. Sam was away for most of it.",
        "people": [str(world.person_1.public_id)],
        "linked_to_onset": "on",
        **change,
    }


def _add(world: World, **change: Any) -> LifeEvent:
    data = {**_form(world), "date": datetime.date(2026, 6, 14), "linked_to_onset": True, **change}
    return services.life_event_add(actor=world.clinician, course=world.course_1, data=data)


# --- adding, editing, removing ------------------------------------------------------------


def test_clinician_adds_an_event_with_people_and_an_onset_link(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    form = http.get(_url("timeline_add", world.course_1)).content.decode()
    assert f'value="{world.person_1.public_id}"' in form  # Sam can be ticked
    response = http.post(_url("timeline_add", world.course_1), _form(world))
    assert response.status_code == 302
    event = world.course_1.life_events.get()
    assert event.date == datetime.date(2026, 6, 14)
    assert event.linked_to_onset
    assert list(event.people.all()) == [world.person_1]
    page = http.get(_url("timeline", world.course_1)).content.decode()
    assert "Mum died after a short illness" in page
    assert "linked to onset" in page
    svg = page[page.index('<svg class="timeline-svg"') : page.index("</svg>")]
    assert 'class="timeline-event is-onset"' in svg
    assert ">Course start<" in svg
    assert ">Mum died after a…<" in svg  # short label on the axis
    assert not re.search(r"<style|\sstyle=", page)


def test_adding_is_audited_with_field_names_and_stored_encrypted(world: World) -> None:
    event = _add(world)
    audit = AuditEvent.objects.get(object_type="life_event", object_public_id=event.public_id)
    assert audit.action == AuditAction.CREATE
    assert set(audit.changed_fields) == {
        "date",
        "kind",
        "title",
        "description",
        "people",
        "linked_to_onset",
    }
    assert "Mum" not in " ".join(str(v) for v in audit.__dict__.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, description FROM courses_lifeevent WHERE id = %s", [event.pk])
        title, description = cursor.fetchone()
    assert title.startswith(CIPHERTEXT_PREFIX) and "Mum" not in title
    assert description.startswith(CIPHERTEXT_PREFIX) and "Hospice" not in description


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "2031-01-01"}, "is more than a year from today"),
        ({"date": "1980-01-01"}, "is before the client was born (17 May 1990)"),
        ({"date": "31/12/2025"}, "Enter the date as YYYY-MM-DD."),
        ({"date": ""}, "Give the date"),
        ({"title": "  "}, "Say in a few words what happened."),
        ({"kind": "party"}, "Choose a kind of event from the list."),
        (
            {"people": ["00000000-0000-4000-8000-000000000000"]},
            "Choose people from this client&#x27;s inventory.",
        ),
    ],
)
def test_bad_event_input_is_a_400_with_a_clear_message(
    world: World, client_for: ClientFor, change: dict[str, Any], message: str
) -> None:
    response = client_for(world.clinician).post(
        _url("timeline_add", world.course_1), _form(world, **change)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Hospice, three weeks." in page  # the typed text is kept
    assert not LifeEvent.objects.exists()


def test_a_future_event_cannot_be_linked_to_the_onset(world: World) -> None:
    """GIVEN a planned event next month WHEN it is marked as linked to the onset THEN it
    is refused (the onset has already happened); without the link it is accepted."""
    next_month = timezone.localdate() + datetime.timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        _add(world, date=next_month, kind="birth", title="Baby due")
    assert "linked_to_onset" in refused.value.error_dict
    planned = _add(world, date=next_month, kind="birth", title="Baby due", linked_to_onset=False)
    assert planned.date == next_month


def test_editing_an_event_keeps_people_since_removed(world: World, client_for: ClientFor) -> None:
    """GIVEN an event linked to Sam WHEN Sam is removed from the inventory and the event
    is edited THEN Sam can stay linked (named as removed), and the change is audited."""
    event = _add(world)
    inventory_services.inventory_person_remove(
        actor=world.clinician, course=world.course_1, person=world.person_1
    )
    http = client_for(world.clinician)
    form = http.get(_event_url("timeline_edit", event)).content.decode()
    assert "Sam (removed)" in form
    response = http.post(
        _event_url("timeline_edit", event), _form(world, title="Mum died", linked_to_onset="")
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Mum died" and not event.linked_to_onset
    assert list(event.people.all()) == [world.person_1]
    audit = AuditEvent.objects.get(action=AuditAction.UPDATE, object_public_id=event.public_id)
    assert set(audit.changed_fields) == {"title", "linked_to_onset"}


def test_people_of_another_course_cannot_be_linked(world: World) -> None:
    other = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=world.course_1.start_date,
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    stranger = InventoryPerson.objects.create(course=other, name="Kim", relationship="friend")
    with pytest.raises(ValidationError):
        _add(world, people=[str(stranger.public_id)])


def test_removing_an_event_asks_first_and_keeps_the_row(
    world: World, client_for: ClientFor
) -> None:
    event = _add(world)
    http = client_for(world.clinician)
    confirm = http.get(_event_url("timeline_remove", event))
    assert "Remove “Mum died after a short illness” from the timeline?" in confirm.content.decode()
    assert http.post(_event_url("timeline_remove", event)).status_code == 302
    event.refresh_from_db()
    assert event.removed_at is not None
    assert "No events yet." in http.get(_url("timeline", world.course_1)).content.decode()
    assert http.get(_event_url("timeline_edit", event)).status_code == 404


def test_who_may_read_and_write_the_timeline(world: World, client_for: ClientFor) -> None:
    event = _add(world)
    supervisor = client_for(world.supervisor)
    page = supervisor.get(_url("timeline", world.course_1))
    assert page.status_code == 200 and "Add an event" not in page.content.decode()
    assert supervisor.post(_url("timeline_add", world.course_1), _form(world)).status_code == 403
    assert supervisor.post(_event_url("timeline_remove", event)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.life_event_add(actor=world.supervisor, course=world.course_1, data=_form(world))
    for role in ("clinician_b", "colleague", "admin"):
        http = client_for(world.users_by_role_name()[role])
        assert http.get(_url("timeline", world.course_1)).status_code == 404
        assert http.get(_event_url("timeline_edit", event)).status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=world.supervisor, object_type="timeline"
    ).exists()


# --- the drawing (pure) ---------------------------------------------------------------------


def test_labels_that_would_overlap_go_to_separate_lanes() -> None:
    assert assign_lanes([(0, 100), (50, 100), (120, 50), (300, 10)]) == [0, 1, 0, 0]
    # When every lane is full, the lane that frees up first is reused.
    assert assign_lanes([(0, 100), (10, 100), (20, 100)], lanes=2) == [0, 1, 0]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (
            datetime.date(2026, 1, 10),
            datetime.date(2026, 4, 20),
            ["2026-02-01", "2026-03-01", "2026-04-01"],
        ),
        (datetime.date(2010, 6, 1), datetime.date(2026, 1, 1), ["2012-01-01", "2014-01-01"]),
    ],
)
def test_ticks_are_months_for_short_spans_and_years_for_long_ones(
    first: datetime.date, last: datetime.date, expected: list[str]
) -> None:
    ticks = [d.isoformat() for d in ticks_between(first, last)]
    assert ticks[: len(expected)] == expected


def test_the_course_start_and_onset_events_are_marked_on_one_axis() -> None:
    events = [
        TimelineEvent("a", datetime.date(2026, 3, 1), "Lost job", linked_to_onset=True),
        TimelineEvent("b", datetime.date(2026, 3, 3), "Argument with sister"),
        TimelineEvent("c", datetime.date(2025, 1, 1), "Moved house"),
    ]
    drawing = layout_timeline(events, course_start=datetime.date(2026, 9, 1), today=TODAY)
    by_key = {e.event.key: e for e in drawing.events}
    assert by_key["c"].x < by_key["a"].x < by_key["b"].x
    assert by_key["a"].lane != by_key["b"].lane  # close together: stacked
    assert by_key["a"].emphasised and by_key["a"].radius > by_key["b"].radius
    start, today = drawing.markers
    assert start.label == "Course start" and by_key["b"].x < start.x < today.x
    assert all(drawing.axis_x1 <= e.x <= drawing.axis_x2 for e in drawing.events)
    assert not drawing.has_scores


def test_course_start_and_today_labels_do_not_collide() -> None:
    far = place_markers(300, 950, right_edge=964)
    assert [(m.label, m.anchor) for m in far] == [("Course start", "start"), ("Today", "end")]
    near = place_markers(880, 950, right_edge=964)
    assert [(m.label, m.anchor) for m in near] == [("Course start", "end"), ("Today", "end")]
    assert near[0].label_x < near[0].x  # reads to the left of its line, away from "Today"
    same_day = place_markers(950, 960, right_edge=964)
    assert [m.label for m in same_day] == ["Course start"]


def test_measure_scores_can_share_the_axis() -> None:
    """The slot for measure scores: a course without questionnaires has none, and a
    series passed to the layout is drawn below the axis on the same time scale
    (tests/measures_outcomes shows the selector filling it from real scores)."""
    assert score_series_for_timeline(course=Course()) == []
    series = ScoreSeries(
        "PHQ-9",
        [ScorePoint(datetime.date(2026, 9, 1), 18), ScorePoint(datetime.date(2026, 11, 1), 9)],
        max_value=27,
    )
    drawing = layout_timeline(
        [], course_start=datetime.date(2026, 9, 1), today=TODAY, score_series=[series]
    )
    assert drawing.has_scores
    (placed,) = drawing.series
    (x1, y1), (_x2, y2) = placed.points
    assert x1 == drawing.markers[0].x  # the first score sits on the course start
    assert y1 < y2  # a higher score is drawn higher
    assert drawing.score_top < y1 < drawing.score_bottom
    assert drawing.height > drawing.score_bottom


def test_medication_is_shown_on_the_timeline(world: World, client_for: ClientFor) -> None:
    """GIVEN a course with an antidepressant started and its dose changed
    WHEN the clinician opens the timeline THEN both appear on the axis and in the list."""
    from openipt.courses.services.medication import (
        MedicationData,
        medication_add,
        medication_change_add,
    )

    medication = medication_add(
        actor=world.clinician,
        course=world.course_1,
        data=MedicationData(agent="Sertraline", dose="50 mg", start_date=datetime.date(2026, 8, 1)),
    )
    medication_change_add(
        actor=world.clinician,
        medication=medication,
        date=datetime.date(2026, 9, 15),
        dose="100 mg",
    )
    body = (
        client_for(world.clinician)
        .get(reverse("courses:timeline", args=[world.course_1.public_id]))
        .content.decode()
    )
    assert "Sertraline started (50 mg)" in body
    assert "Sertraline dose changed (100 mg)" in body
