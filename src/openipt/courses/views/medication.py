"""Medication pages: the list with each medication's dose changes, add, edit, change dose."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openipt.audit.models import AuditAction
from openipt.courses import selectors
from openipt.courses.forms_sessions import MedicationChangeForm, MedicationForm
from openipt.courses.models import Course, Medication
from openipt.courses.selectors import sessions as session_selectors
from openipt.courses.services import medication as medication_services
from openipt.courses.views.sessions import actor_of, audit_read, course_is_open

CLOSED = "This course is closed: its record can be read but not changed."


def _change_form(medication: Medication, data: Any = None) -> MedicationChangeForm:
    return MedicationChangeForm(data, auto_id=f"id_change_{medication.public_id.hex[:12]}_%s")


def _render_list(
    request: HttpRequest,
    course: Course,
    *,
    change_forms: dict[UUID, MedicationChangeForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    medications = session_selectors.medications_for_course(course=course)
    forms = change_forms or {}
    rows = []
    for medication in medications:
        changes = list(medication.changes.all())
        current = next((c.dose for c in reversed(changes) if c.dose), medication.dose)
        rows.append(
            {
                "medication": medication,
                "changes": changes,
                "current_dose": current,
                "change_form": forms.get(medication.public_id) or _change_form(medication),
            }
        )
    audit_read(request, course, "medication_list", action=AuditAction.LIST)
    return render(
        request,
        "courses/sessions/medication_list.html",
        {
            "course": course,
            "client": course.client,
            "rows": rows,
            "can_write": selectors.can_write_course(actor=actor, course=course)
            and course_is_open(course),
        },
        status=status,
    )


@login_required
def medication_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    return _render_list(request, course)


@login_required
def medication_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    if not course_is_open(course):
        messages.warning(request, CLOSED)
        return redirect("courses:medication", public_id=course.public_id)
    form = MedicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                medication_services.medication_add(
                    actor=actor, course=course, data=form.data_object()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Medication added.")
                return redirect("courses:medication", public_id=course.public_id)
    return render(
        request,
        "courses/sessions/medication_form.html",
        {"course": course, "client": course.client, "form": form, "creating": True},
        status=status,
    )


@login_required
def medication_edit(request: HttpRequest, public_id: UUID, medication_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    medication = session_selectors.medication_get(course=course, public_id=medication_id)
    if not course_is_open(course):
        messages.warning(request, CLOSED)
        return redirect("courses:medication", public_id=course.public_id)
    initial = {name: getattr(medication, name) for name in medication_services.MEDICATION_FIELDS}
    initial["updated"] = medication.updated_at.isoformat()
    form = MedicationForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                medication_services.medication_update(
                    actor=actor,
                    medication=medication,
                    data=form.data_object(),
                    expected_updated_at=form.cleaned_data["updated"],
                )
            except medication_services.StaleMedicationError:
                status = 409
                form.add_error(
                    None,
                    "Someone else changed this medication while you were editing. Your "
                    "changes are still in the form below: compare them with the list, then "
                    "save again.",
                )
                refreshed = request.POST.copy()
                refreshed["updated"] = Medication.objects.get(
                    pk=medication.pk
                ).updated_at.isoformat()
                form.data = refreshed
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Medication saved.")
                return redirect("courses:medication", public_id=course.public_id)
    else:
        audit_read(request, course, "medication", medication.public_id)
    return render(
        request,
        "courses/sessions/medication_form.html",
        {
            "course": course,
            "client": course.client,
            "form": form,
            "creating": False,
            "medication": medication,
        },
        status=status,
    )


@login_required
@require_POST
def medication_change(request: HttpRequest, public_id: UUID, medication_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    medication = session_selectors.medication_get(course=course, public_id=medication_id)
    form = _change_form(medication, request.POST)
    if form.is_valid():
        try:
            medication_services.medication_change_add(
                actor=actor,
                medication=medication,
                date=form.cleaned_data["date"],
                dose=form.cleaned_data["dose"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Dose change recorded.")
            return redirect("courses:medication", public_id=course.public_id)
    return _render_list(request, course, change_forms={medication.public_id: form}, status=400)
