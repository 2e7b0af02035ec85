"""Closeness circle pages: the circle now, moving people between rings, saved
versions, and two versions side by side. The circle is inline SVG drawn on the
server from `circle_svg`; no script is needed for any of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from openipt.courses import selectors
from openipt.courses.circle_svg import (
    AREA_LETTERS,
    HALO_COLOURS,
    CircleDrawing,
    CircleEntry,
    Movement,
    compare_placements,
    layout_circle,
    legend_for,
)
from openipt.courses.forms_inventory import CircleVersionForm, RingForm
from openipt.courses.models import CircleVersion, Course, InventoryPerson, RelationshipKind
from openipt.courses.selectors import inventory as inventory_selectors
from openipt.courses.services import circle as circle_services
from openipt.courses.views.inventory import (
    actor_of,
    area_choices,
    closed_redirect,
    page_context,
    viewed,
)

CURRENT = "current"
MOVES = (Movement.CLOSER, Movement.FURTHER)
SUGGESTED_LABELS = ("Start of course", "Middle of course", "End of course")


def _entry(person: InventoryPerson, ring: int | None = None) -> CircleEntry:
    return CircleEntry(
        key=str(person.public_id),
        name=person.name,
        relationship=person.relationship,
        ring=ring if ring is not None else person.ring,
        problem_area=person.problem_area,
    )


def _centre_label(course: Course) -> str:
    client = course.client
    return client.preferred_name or client.given_name


def _flash_errors(request: HttpRequest, form: Form) -> None:
    """A one-field form posted from the circle page: its errors become messages there."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _legend(course: Course, drawings: Iterable[CircleDrawing]) -> dict[str, Any]:
    people = [p for d in drawings for p in d.people]
    areas = dict(area_choices(course))
    present = {p.entry.problem_area for p in people if p.area_letter}
    return {
        "kinds": legend_for((p.entry.relationship for p in people), dict(RelationshipKind.choices)),
        "areas": [(AREA_LETTERS[code], areas[code]) for code in AREA_LETTERS if code in present],
    }


@login_required
def circle(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    people = list(inventory_selectors.inventory_people(course=course))
    drawing = layout_circle([_entry(p) for p in people], centre_label=_centre_label(course))
    versions = list(inventory_selectors.circle_versions(course=course))
    viewed(request, course, "closeness_circle")
    by_ring: dict[int, list[InventoryPerson]] = {}
    for person in people:
        by_ring.setdefault(person.ring, []).append(person)
    context = page_context(request, course, "circle")
    context.update(
        {
            "drawing": drawing,
            "legend": _legend(course, [drawing]),
            "rings": [(n, by_ring.get(n, [])) for n in drawing.ring_numbers],
            "people": people,
            "versions": versions,
            "version_form": CircleVersionForm(),
            "suggested_labels": SUGGESTED_LABELS,
            "max_ring": 4,
        }
    )
    return render(request, "courses/inventory/circle.html", context)


@login_required
@require_POST
def circle_move(request: HttpRequest, public_id: UUID, person_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    person = inventory_selectors.inventory_person_get(course=course, public_id=person_id)
    if (closed := closed_redirect(request, course, "courses:circle")) is not None:
        return closed
    form = RingForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect("courses:circle", public_id=course.public_id)
    before = person.ring
    try:
        moved = circle_services.circle_move_person(
            actor=actor,
            course=course,
            person=person,
            ring=form.cleaned_data.get("ring") or None,
            direction=form.cleaned_data.get("direction") or None,
        )
    except ValidationError as exc:
        messages.error(request, f"{person.name}: " + " ".join(exc.messages))
    else:
        if moved.ring != before:
            messages.success(request, f"{person.name} moved to ring {moved.ring}.")
    return redirect(f"{_circle_url(course)}#person-{person.public_id}")


def _circle_url(course: Course) -> str:
    return reverse("courses:circle", kwargs={"public_id": course.public_id})


@login_required
@require_POST
def circle_version_save(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    if (closed := closed_redirect(request, course, "courses:circle")) is not None:
        return closed
    form = CircleVersionForm(request.POST)
    if form.is_valid():
        try:
            version = circle_services.circle_version_save(
                actor=actor, course=course, label=form.cleaned_data["label"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"The circle was saved as version {version.number}, “{version.label}”."
            )
    else:
        _flash_errors(request, form)
    return redirect("courses:circle", public_id=course.public_id)


def _pick(versions: list[CircleVersion], wanted: str | None, default: str) -> str:
    known = {str(v.public_id) for v in versions} | {CURRENT}
    return wanted if wanted in known else default


@login_required
def circle_compare(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Two circles side by side (two saved versions, or a version and the circle now)."""
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    versions = list(inventory_selectors.circle_versions(course=course))
    first_default = str(versions[0].public_id) if versions else CURRENT
    second_default = str(versions[-1].public_id) if len(versions) > 1 else CURRENT
    chosen_a = _pick(versions, request.GET.get("a"), first_default)
    chosen_b = _pick(versions, request.GET.get("b"), second_default)
    chosen: list[tuple[CircleVersion | None, list[CircleEntry], int | None]] = []
    for key in (chosen_a, chosen_b):
        if key == CURRENT:
            people = inventory_selectors.inventory_people(course=course)
            chosen.append((None, [_entry(p) for p in people], None))
        else:
            saved = inventory_selectors.circle_version_get(course=course, public_id=key)
            entries = [_entry(pl.person, pl.ring) for pl in saved.placements.all()]
            chosen.append((saved, entries, saved.rings))
    (_, entries_a, _), (_, entries_b, _) = chosen
    changes = compare_placements(
        {e.key: (e.name, e.ring) for e in entries_a},
        {e.key: (e.name, e.ring) for e in entries_b},
    )
    moved = {c.key: c.movement.value for c in changes if c.movement in MOVES}
    sides: list[dict[str, Any]] = []
    drawings: list[CircleDrawing] = []
    for index, (version, entries, rings) in enumerate(chosen):
        drawing = layout_circle(
            entries,
            rings=rings,
            centre_label=_centre_label(course),
            highlights=moved if index == 1 else None,
        )
        title = version.label if version is not None else "The circle now"
        sides.append({"title": title, "version": version, "drawing": drawing})
        drawings.append(drawing)
    legend = _legend(course, drawings)
    legend["halos"] = [
        (HALO_COLOURS[m.value], f"Moved {m.value} (second circle)")
        for m in MOVES
        if m.value in moved.values()
    ]
    viewed(request, course, "circle_comparison")
    context = page_context(request, course, "circle")
    context.update(
        {
            "versions": versions,
            "chosen_a": chosen_a,
            "chosen_b": chosen_b,
            "current": CURRENT,
            "sides": sides,
            "legend": legend,
            "moved": [c for c in changes if c.movement in MOVES],
            "added": [c for c in changes if c.movement == "added"],
            "left": [c for c in changes if c.movement == "left"],
            "same": [c for c in changes if c.movement == "same"],
        }
    )
    return render(request, "courses/inventory/circle_compare.html", context)
