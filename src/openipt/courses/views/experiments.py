"""Interpersonal experiments: assigned on a session's page, reviewed on the next one's,
and listed together for the course."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openipt.audit.models import AuditAction
from openipt.courses import selectors
from openipt.courses.models import Experiment
from openipt.courses.selectors import sessions as session_selectors
from openipt.courses.services import experiments as experiment_services
from openipt.courses.views.sessions import (
    actor_of,
    area_label,
    audit_read,
    experiment_form_for,
    render_session_page,
    review_form_for,
    session_url,
)


@login_required
def experiment_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = selectors.course_get_for_actor(actor=actor_of(request), public_id=public_id)
    experiments = list(
        Experiment.objects.filter(course=course)
        .select_related("assigned_in", "reviewed_in", "person")
        .order_by("assigned_in__number", "created_at")
    )
    audit_read(request, course, "experiment_list", action=AuditAction.LIST)
    return render(
        request,
        "courses/sessions/experiments.html",
        {
            "course": course,
            "client": course.client,
            "rows": [
                {
                    "experiment": e,
                    "area": area_label(course, e.problem_area) if e.problem_area else "",
                }
                for e in experiments
            ],
        },
    )


@login_required
@require_POST
def experiment_assign(request: HttpRequest, public_id: UUID, session_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    session = session_selectors.session_get(course=course, public_id=session_id)
    form = experiment_form_for(course, request.POST)
    if form.is_valid():
        try:
            experiment_services.experiment_assign(
                actor=actor,
                session=session,
                description=form.cleaned_data["description"],
                problem_area=form.cleaned_data["problem_area"],
                person=form.chosen_person(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Experiment agreed. It will come up for review next time.")
            return redirect(session_url(course, session) + "#experiments")
    return render_session_page(
        request, course, session=session, number=session.number, experiment_form=form, status=400
    )


@login_required
@require_POST
def experiment_review(
    request: HttpRequest, public_id: UUID, session_id: UUID, experiment_id: UUID
) -> HttpResponse:
    """Review an experiment in session `session_id` (a later session than the one it was
    agreed in)."""
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    session = session_selectors.session_get(course=course, public_id=session_id)
    experiment = session_selectors.experiment_get(course=course, public_id=experiment_id)
    form = review_form_for(experiment, request.POST)
    if form.is_valid():
        try:
            experiment_services.experiment_review(
                actor=actor,
                experiment=experiment,
                status=form.cleaned_data["status"],
                review_note=form.cleaned_data["review_note"],
                in_session=session,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Review saved.")
            return redirect(session_url(course, session) + "#review")
    return render_session_page(
        request,
        course,
        session=session,
        number=session.number,
        review_forms={experiment.public_id: form},
        status=400,
    )
