"""Interpersonal inventory pages: the list of people, one person, add, edit, remove.

Thin: `course_get_for_actor` (404 outside reach) for reads, `course_get_for_writing`
(403 for a supervisor, who only reads) for writes; services write and audit;
every page shown is recorded as a view in the audit trail.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import selectors
from openipt.courses.forms_inventory import PERSON_FIELDS, InventoryPersonForm
from openipt.courses.models import (
    ContactFrequency,
    Course,
    CourseStatus,
    InventoryPerson,
    RelationshipKind,
    YesNoUnsure,
)
from openipt.courses.selectors import inventory as inventory_selectors
from openipt.courses.services import inventory as inventory_services
from openipt.protocol.problem_areas import ProblemAreaCode, label_for

STALE_MESSAGE = (
    "Someone else saved this person while you were editing. Your changes are still in "
    "the form below: compare them with the saved record, then save again."
)
SUPPORT_LABELS = dict(inventory_services.SUPPORT_KINDS)
RELATIONSHIP_LABELS = dict(RelationshipKind.choices)
FREQUENCY_LABELS = dict(ContactFrequency.choices)


def actor_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def viewed(request: HttpRequest, course: Course, what: str, public_id: UUID | None = None) -> None:
    """Record that a page showing part of this course's record was read."""
    record(
        actor=actor_of(request),
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=public_id or course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )


def area_choices(course: Course) -> list[tuple[str, str]]:
    labels = course.practice.problem_area_labels or None
    return [(code.value, label_for(code.value, labels)) for code in ProblemAreaCode]


def area_label(course: Course, code: str) -> str:
    return dict(area_choices(course)).get(code, "") if code else ""


def form_errors(form: Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: by field when it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def page_context(request: HttpRequest, course: Course, tab: str) -> dict[str, Any]:
    closed = course.status == CourseStatus.CLOSED
    can_write = not closed and selectors.can_write_course(actor=actor_of(request), course=course)
    return {
        "course": course,
        "client": course.client,
        "tab": tab,
        "is_closed": closed,
        "can_write": can_write,
    }


def closed_redirect(request: HttpRequest, course: Course, to: str) -> HttpResponse | None:
    """Closed courses are read-only: send the writer back to the page they came from."""
    if course.status != CourseStatus.CLOSED:
        return None
    messages.warning(request, "This course is closed: its record can be read but not changed.")
    return redirect(to, public_id=course.public_id)


def person_summary(person: InventoryPerson) -> str:
    """A one-line, structured summary for the list; the free text stays on the person's page."""
    parts = []
    if person.contact_frequency:
        parts.append(f"{FREQUENCY_LABELS.get(person.contact_frequency, '')} contact".strip())
    if person.support_kinds:
        kinds = [SUPPORT_LABELS.get(k, k).split(" (")[0].lower() for k in person.support_kinds]
        parts.append("support: " + ", ".join(kinds))
    if person.conflict:
        parts.append("conflict noted")
    if person.expectations_reciprocal in (YesNoUnsure.NO, YesNoUnsure.PARTLY):
        parts.append("expectations differ")
    if person.changed_near_onset:
        parts.append("changed near onset")
    if person.knows_about_depression == YesNoUnsure.YES:
        parts.append("knows about the depression")
    return " · ".join(parts)


def _person_rows(course: Course, people: list[InventoryPerson]) -> list[dict[str, Any]]:
    return [
        {
            "person": p,
            "relationship": RELATIONSHIP_LABELS.get(p.relationship, p.relationship),
            "area": area_label(course, p.problem_area),
            "summary": person_summary(p),
            "deceased": p.relationship == RelationshipKind.DECEASED,
        }
        for p in people
    ]


@login_required
def inventory(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    people = list(inventory_selectors.inventory_people(course=course))
    viewed(request, course, "inventory")
    context = page_context(request, course, "inventory")
    context["rows"] = _person_rows(course, people)
    return render(request, "courses/inventory/list.html", context)


def _detail_sections(
    course: Course, form: InventoryPersonForm, person: InventoryPerson
) -> list[Any]:
    """The person's answers grouped like the form: (legend, [(label, answer)], [unanswered])."""
    sections = []
    for _, legend, fields in form.fieldsets():
        items: list[tuple[str, str]] = []
        missing: list[str] = []
        for bound in fields:
            value: Any = getattr(person, bound.name)
            if bound.name == "relationship":
                value = RELATIONSHIP_LABELS.get(value, value)
            elif bound.name == "problem_area":
                value = area_label(course, value)
            elif bound.name == "support_kinds":
                value = ", ".join(SUPPORT_LABELS.get(k, k) for k in value)
            elif bound.name == "changed_near_onset":
                # An unticked box is not an unanswered question: leave it out.
                if not value:
                    continue
                value = "Yes"
            elif bound.name in (
                "contact_frequency",
                "knows_about_depression",
                "expectations_reciprocal",
            ):
                choices = dict(bound.field.choices)  # type: ignore[attr-defined]
                value = choices.get(value, "") if value else ""
            elif bound.name == "ring":
                value = str(value)
            if value:
                items.append((str(bound.label), str(value)))
            else:
                missing.append(str(bound.label).rstrip("?"))
        sections.append((legend, items, missing))
    return sections


@login_required
def person_detail(request: HttpRequest, public_id: UUID, person_id: UUID) -> HttpResponse:
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    person = inventory_selectors.inventory_person_get(
        course=course, public_id=person_id, include_removed=True
    )
    viewed(request, course, "inventory_person", person.public_id)
    form = InventoryPersonForm(area_choices=area_choices(course))
    events = list(inventory_selectors.life_events(course=course).filter(people=person))
    context = page_context(request, course, "inventory")
    context.update(
        {
            "person": person,
            "sections": _detail_sections(course, form, person),
            "events": events,
            "deceased": person.relationship == RelationshipKind.DECEASED,
        }
    )
    return render(request, "courses/inventory/person_detail.html", context)


def _person_data(form: InventoryPersonForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in PERSON_FIELDS}


@login_required
def person_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    if (closed := closed_redirect(request, course, "courses:inventory")) is not None:
        return closed
    form = InventoryPersonForm(request.POST or None, area_choices=area_choices(course))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                person = inventory_services.inventory_person_add(
                    actor=actor, course=course, data=_person_data(form)
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"{person.name} was added to the inventory.")
                if "add_another" in request.POST:
                    return redirect("courses:inventory_add", public_id=course.public_id)
                return redirect("courses:inventory", public_id=course.public_id)
    context = page_context(request, course, "inventory")
    context.update({"form": form, "creating": True})
    return render(request, "courses/inventory/person_form.html", context, status=status)


@login_required
def person_edit(request: HttpRequest, public_id: UUID, person_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    person = inventory_selectors.inventory_person_get(course=course, public_id=person_id)
    if (closed := closed_redirect(request, course, "courses:inventory")) is not None:
        return closed
    initial = {name: getattr(person, name) for name in PERSON_FIELDS}
    initial["version"] = person.version
    form = InventoryPersonForm(
        request.POST or None, initial=initial, area_choices=area_choices(course)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            expected = form.cleaned_data.get("version") or person.version
            try:
                inventory_services.inventory_person_update(
                    actor=actor,
                    course=course,
                    person=person,
                    data=_person_data(form),
                    expected_version=expected,
                )
            except inventory_services.StaleEditError:
                status = 409
                form.add_error(None, STALE_MESSAGE)
                # Offer the newest version so that a deliberate second save can succeed.
                refreshed = request.POST.copy()
                refreshed["version"] = str(InventoryPerson.objects.get(pk=person.pk).version)
                form.data = refreshed
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, "Changes saved.")
                return redirect(
                    "courses:inventory_person",
                    public_id=course.public_id,
                    person_id=person.public_id,
                )
    else:
        viewed(request, course, "inventory_person", person.public_id)
    context = page_context(request, course, "inventory")
    context.update({"form": form, "person": person, "creating": False})
    return render(request, "courses/inventory/person_form.html", context, status=status)


@login_required
def person_remove(request: HttpRequest, public_id: UUID, person_id: UUID) -> HttpResponse:
    """GET asks for confirmation; POST removes (the row is kept, marked removed)."""
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    person = inventory_selectors.inventory_person_get(course=course, public_id=person_id)
    if (closed := closed_redirect(request, course, "courses:inventory")) is not None:
        return closed
    if request.method == "POST":
        try:
            inventory_services.inventory_person_remove(actor=actor, course=course, person=person)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{person.name} was removed from the inventory.")
        return redirect("courses:inventory", public_id=course.public_id)
    viewed(request, course, "inventory_person", person.public_id)
    context = page_context(request, course, "inventory")
    context["person"] = person
    return render(request, "courses/inventory/person_remove.html", context)
