"""Timeline pages: dated life events on one time axis, add, edit, remove."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from openipt.courses import selectors
from openipt.courses.forms_inventory import LifeEventForm
from openipt.courses.models import Course, InventoryPerson, LifeEvent, LifeEventKind
from openipt.courses.selectors import inventory as inventory_selectors
from openipt.courses.selectors.sessions import medication_events
from openipt.courses.services import timeline as timeline_services
from openipt.courses.timeline_svg import TimelineEvent, layout_timeline
from openipt.courses.views.inventory import (
    actor_of,
    closed_redirect,
    form_errors,
    page_context,
    viewed,
)

KIND_LABELS = dict(LifeEventKind.choices)
MEDICATION_VERBS = {"start": "started", "change": "dose changed", "stop": "stopped"}


def _people_choices(people: list[InventoryPerson]) -> list[tuple[str, str]]:
    return [(str(p.public_id), p.name + (" (removed)" if p.removed_at else "")) for p in people]


def _choosable(course: Course, event: LifeEvent | None = None) -> list[InventoryPerson]:
    people = list(inventory_selectors.inventory_people(course=course))
    if event is not None:
        current = {p.pk for p in people}
        people += [p for p in event.people.all() if p.pk not in current]
    return people


@login_required
def timeline(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    events = list(inventory_selectors.life_events(course=course))
    medication = medication_events(course=course)
    markers = [
        TimelineEvent(
            key=str(e.public_id),
            date=e.date,
            title=e.title,
            kind_label=KIND_LABELS.get(e.kind, ""),
            linked_to_onset=e.linked_to_onset,
        )
        for e in events
    ]
    # Medication starts, dose changes and stops sit on the same axis, so that
    # changes in mood can be read against them.
    markers += [
        TimelineEvent(
            key=f"{m.medication_public_id}-{m.kind}-{m.date.isoformat()}",
            date=m.date,
            title=f"{m.agent} {MEDICATION_VERBS[m.kind]}"
            + (f" ({m.dose})" if m.kind != "stop" else ""),
            kind_label="Medication",
        )
        for m in medication
    ]
    markers.sort(key=lambda marker: marker.date)
    drawing = layout_timeline(
        markers,
        course_start=course.start_date,
        today=timezone.localdate(),
        score_series=inventory_selectors.score_series_for_timeline(course=course),
    )
    viewed(request, course, "timeline")
    context = page_context(request, course, "timeline")
    context.update(
        {
            "events": [{"event": e, "kind": KIND_LABELS.get(e.kind, "")} for e in events],
            "drawing": drawing,
            "medication_events": medication,
        }
    )
    return render(request, "courses/inventory/timeline.html", context)


def _event_data(form: LifeEventForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@login_required
def event_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    if (closed := closed_redirect(request, course, "courses:timeline")) is not None:
        return closed
    people = _choosable(course)
    form = LifeEventForm(request.POST or None, people_choices=_people_choices(people))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                timeline_services.life_event_add(actor=actor, course=course, data=_event_data(form))
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, "The event was added to the timeline.")
                if "add_another" in request.POST:
                    return redirect("courses:timeline_add", public_id=course.public_id)
                return redirect("courses:timeline", public_id=course.public_id)
    else:
        viewed(request, course, "timeline")
    context = page_context(request, course, "timeline")
    context.update({"form": form, "creating": True, "has_people": bool(people)})
    return render(request, "courses/inventory/event_form.html", context, status=status)


@login_required
def event_edit(request: HttpRequest, public_id: UUID, event_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    event = inventory_selectors.life_event_get(course=course, public_id=event_id)
    if (closed := closed_redirect(request, course, "courses:timeline")) is not None:
        return closed
    people = _choosable(course, event)
    initial = {
        "date": event.date,
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "people": [str(p.public_id) for p in event.people.all()],
        "linked_to_onset": event.linked_to_onset,
    }
    form = LifeEventForm(
        request.POST or None, initial=initial, people_choices=_people_choices(people)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                timeline_services.life_event_update(
                    actor=actor, course=course, event=event, data=_event_data(form)
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, "Changes saved.")
                return redirect("courses:timeline", public_id=course.public_id)
    else:
        viewed(request, course, "life_event", event.public_id)
    context = page_context(request, course, "timeline")
    context.update({"form": form, "event": event, "creating": False, "has_people": bool(people)})
    return render(request, "courses/inventory/event_form.html", context, status=status)


@login_required
def event_remove(request: HttpRequest, public_id: UUID, event_id: UUID) -> HttpResponse:
    """GET asks for confirmation; POST removes (the row is kept, marked removed)."""
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    event = inventory_selectors.life_event_get(course=course, public_id=event_id)
    if (closed := closed_redirect(request, course, "courses:timeline")) is not None:
        return closed
    if request.method == "POST":
        try:
            timeline_services.life_event_remove(actor=actor, course=course, event=event)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The event was removed from the timeline.")
        return redirect("courses:timeline", public_id=course.public_id)
    viewed(request, course, "life_event", event.public_id)
    context = page_context(request, course, "timeline")
    context.update({"event": event, "kind": KIND_LABELS.get(event.kind, "")})
    return render(request, "courses/inventory/event_remove.html", context)
