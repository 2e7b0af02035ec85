"""Supervision pages: the supervisor's queue, a facilitator's page, fidelity ratings,
supervision notes and the practice admin's supervisor assignments.

Thin: selectors read (404 outside reach), services write (and audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.views.outcomes import CHART_CONTENT_SECURITY_POLICY, SIZES
from openipt.groups.charts_fidelity import FidelityPoint, fidelity_chart_svg
from openipt.groups.forms_supervision import (
    AssignmentForm,
    FidelityForm,
    SupervisionNoteForm,
    UnassignForm,
)
from openipt.groups.models import (
    FidelityRater,
    FidelityRating,
    Group,
    GroupSession,
    SupervisionAssignment,
)
from openipt.groups.selectors import supervision as selectors
from openipt.groups.selectors import supervision_queue as queue_selectors
from openipt.groups.selectors.access import group_session_get_for_actor, groups_visible_to
from openipt.groups.services.supervision import (
    fidelity_rate,
    rater_for,
    supervises,
    supervision_assign,
    supervision_note_add,
    supervision_unassign,
)
from openipt.groups.views._common import actor_of, current_practice, current_roles
from openipt.practice.models import Practice, Role


def href(name: str, public_id: UUID) -> str | None:
    """The URL of another area's page, or None while that page does not exist."""
    try:
        return reverse(name, kwargs={"public_id": public_id})
    except NoReverseMatch:
        return None


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    """`candidate` when it is a path on this site, else `default` (no open redirects)."""
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default


def _require_practice(request: HttpRequest) -> Practice:
    practice = current_practice(request)
    if practice is None:
        raise PermissionDenied
    return practice


# --------------------------------------------------------------------------- queue


@dataclass(frozen=True)
class QueueRow:
    item: queue_selectors.QueueItem
    href: str | None
    more: list[tuple[str, str]]


SECTIONS = (
    ("alerts", "Risk alerts waiting for a response", "Oldest first. Open each alert to act on it."),
    (
        "members",
        "Members not on track",
        "Their PHQ-9 is higher than at screening, or has not come down enough by session 3.",
    ),
    ("groups", "Groups with low attendance", "Lowest attendance first."),
    (
        "sessions",
        "Sessions to review",
        "Low adherence checklist or a low self-rating, not yet rated by you.",
    ),
)


def _rows(items: list[queue_selectors.QueueItem]) -> list[QueueRow]:
    rows = []
    for item in items:
        more = [(url, text) for name, pid, text in item.more_links if (url := href(name, pid))]
        rows.append(QueueRow(item=item, href=href(item.link_name, item.link_id), more=more))
    return rows


@login_required
@require_GET
def supervision_queue(request: HttpRequest) -> HttpResponse:
    practice = _require_practice(request)
    if Role.SUPERVISOR not in current_roles(request):
        raise PermissionDenied
    actor = actor_of(request)
    queue = queue_selectors.supervision_queue(actor=actor, practice=practice)
    record(
        actor=actor,
        action=AuditAction.LIST,
        object_type="group_supervision_queue",
        practice=practice,
    )
    sections = [(key, heading, hint, _rows(getattr(queue, key))) for key, heading, hint in SECTIONS]
    facilitators = list(
        User.objects.filter(
            supervisors__supervisor=actor,
            supervisors__practice=practice,
            supervisors__is_active=True,
        ).order_by("full_name", "email")
    )
    return render(
        request,
        "groups/supervision_queue.html",
        {"sections": sections, "total": len(queue), "facilitators": facilitators},
    )


# --------------------------------------------------------------------------- facilitator


def _facilitator_page(
    request: HttpRequest,
    facilitator: User,
    practice: Practice,
    *,
    note_form: SupervisionNoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    is_self = facilitator.pk == actor.pk
    can_note = not is_self and supervises(actor=actor, facilitator=facilitator, practice=practice)
    groups = selectors.facilitator_groups(actor=actor, practice=practice, facilitator=facilitator)
    rater = FidelityRater.SELF if is_self else FidelityRater.SUPERVISOR
    awaiting = selectors.sessions_awaiting_rating(
        actor=actor, practice=practice, facilitator=facilitator, rater=rater
    )
    here = request.get_full_path()
    rating_forms = [
        (s, FidelityForm(rater=rater, initial={"next": here}, auto_id=f"fid-{s.public_id}-%s"))
        for s in awaiting
    ]
    context: dict[str, Any] = {
        "facilitator": facilitator,
        "is_self": is_self,
        "groups": groups,
        "trend": selectors.fidelity_trend(actor=actor, practice=practice, facilitator=facilitator),
        "rating_forms": rating_forms,
        "can_note": can_note,
    }
    if can_note:
        context["notes"] = selectors.supervision_notes_for(
            actor=actor, practice=practice, facilitator=facilitator
        )
        context["note_form"] = note_form or SupervisionNoteForm(groups=groups)
    return render(request, "groups/supervision_facilitator.html", context, status=status)


@login_required
@require_GET
def facilitator_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = current_practice(request)
    facilitator = selectors.facilitator_get_for_actor(
        actor=actor, practice=practice, public_id=public_id
    )
    assert practice is not None  # noqa: S101 - the selector 404s without one
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="group_facilitator",
        object_public_id=facilitator.public_id,
        practice=practice,
    )
    return _facilitator_page(request, facilitator, practice)


@login_required
@require_GET
def facilitator_fidelity_chart(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The fidelity trend as an SVG image (`?size=narrow` for a phone)."""
    actor = actor_of(request)
    practice = current_practice(request)
    facilitator = selectors.facilitator_get_for_actor(
        actor=actor, practice=practice, public_id=public_id
    )
    assert practice is not None  # noqa: S101 - the selector 404s without one
    size = SIZES.get(request.GET.get("size", "wide"))
    if size is None:
        return HttpResponseBadRequest("Unknown chart size: use wide or narrow.")
    trend = selectors.fidelity_trend(actor=actor, practice=practice, facilitator=facilitator)
    svg = fidelity_chart_svg(
        self_points=[
            FidelityPoint(s.held_on, s.self_score)  # type: ignore[attr-defined]
            for s in trend
            if s.self_score is not None  # type: ignore[attr-defined]
        ],
        supervisor_points=[
            FidelityPoint(s.held_on, s.supervisor_score)  # type: ignore[attr-defined]
            for s in trend
            if s.supervisor_score is not None  # type: ignore[attr-defined]
        ],
        title="Fidelity ratings by session date",
        size=size,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response


# --------------------------------------------------------------------------- fidelity


def _fidelity_page(
    request: HttpRequest, session: GroupSession, form: FidelityForm, *, status: int = 200
) -> HttpResponse:
    ratings = {r.rater: r for r in FidelityRating.objects.filter(session=session).select_related()}
    return render(
        request,
        "groups/supervision_fidelity.html",
        {
            "session": session,
            "fidelity_form": form,
            "self_rating": ratings.get(FidelityRater.SELF),
            "supervisor_rating": ratings.get(FidelityRater.SUPERVISOR),
            "session_href": href("groups:session_detail", session.public_id),
            "facilitator_href": reverse(
                "groups:facilitator_detail",
                kwargs={"public_id": session.group.facilitator.public_id},
            ),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_fidelity(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Rate a session's fidelity: its facilitator rates "self", their supervisor "supervisor"."""
    actor = actor_of(request)
    session = group_session_get_for_actor(actor=actor, public_id=public_id)
    rater = rater_for(actor=actor, session=session)
    if rater is None:
        raise PermissionDenied
    auto_id = f"fidelity-{session.public_id}-%s"
    if request.method == "GET":
        current = FidelityRating.objects.filter(session=session, rater=rater).first()
        initial = {"next": request.GET.get("next", "")}
        if current is not None:
            initial.update(score=str(current.score), comment=current.comment)
        form = FidelityForm(rater=rater, initial=initial, auto_id=auto_id)
        return _fidelity_page(request, session, form)
    form = FidelityForm(request.POST, rater=rater, auto_id=auto_id)
    if not form.is_valid():
        return _fidelity_page(request, session, form, status=400)
    try:
        fidelity_rate(
            actor=actor,
            session=session,
            rater=rater,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _fidelity_page(request, session, form, status=422)
    messages.success(request, f"Rating saved for session {session.number} of {session.group.name}.")
    default = reverse(
        "groups:facilitator_detail", kwargs={"public_id": session.group.facilitator.public_id}
    )
    return redirect(safe_next(request, form.cleaned_data.get("next"), default))


def _add_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's field errors on the form's fields (unknown fields: on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --------------------------------------------------------------------------- notes


def group_notes_context(request: HttpRequest, group: Group) -> dict[str, Any]:
    """Context for the include `groups/supervision_group_notes.html` on the group page.

    Only the group's facilitator's supervisors get notes (and the form); for
    everyone else `supervision_notes` is None and the include shows nothing.
    """
    actor = actor_of(request)
    if not supervises(actor=actor, facilitator=group.facilitator_id, practice=group.practice_id):
        return {"supervision_notes": None, "supervision_note_form": None}
    return {
        "supervision_notes": selectors.supervision_notes_for(
            actor=actor, practice=group.practice, facilitator=group.facilitator, group=group
        ),
        "supervision_note_form": SupervisionNoteForm(auto_id="group-note-%s"),
    }


@login_required
@require_POST
def supervision_note_add_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = current_practice(request)
    facilitator = selectors.facilitator_get_for_actor(
        actor=actor, practice=practice, public_id=public_id
    )
    assert practice is not None  # noqa: S101 - the selector 404s without one
    if facilitator.pk == actor.pk or not supervises(
        actor=actor, facilitator=facilitator, practice=practice
    ):
        raise PermissionDenied
    groups = list(groups_visible_to(actor=actor).filter(practice=practice, facilitator=facilitator))
    form = SupervisionNoteForm(request.POST, groups=groups)
    if not form.is_valid():
        return _facilitator_page(request, facilitator, practice, note_form=form, status=400)
    chosen = form.cleaned_data["group"]
    group = next((g for g in groups if str(g.public_id) == chosen), None)
    try:
        supervision_note_add(
            actor=actor,
            facilitator=facilitator,
            practice=practice,
            text=form.cleaned_data["text"],
            group=group,
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _facilitator_page(request, facilitator, practice, note_form=form, status=422)
    messages.success(request, "Note saved.")
    default = reverse("groups:facilitator_detail", kwargs={"public_id": facilitator.public_id})
    return redirect(safe_next(request, form.cleaned_data.get("next"), default))


# --------------------------------------------------------------------------- assignments


def _assignments_page(
    request: HttpRequest, practice: Practice, form: AssignmentForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "groups/supervision_assignments.html",
        {"rows": selectors.site_facilitators(practice=practice), "form": form},
        status=status,
    )


def _unassign(request: HttpRequest, practice: Practice) -> HttpResponse | None:
    """End the posted assignment; None when done, else the status to show the page with."""
    form = UnassignForm(request.POST)
    assignment = None
    if form.is_valid():
        assignment = (
            SupervisionAssignment.objects.filter(
                practice=practice, public_id=form.cleaned_data["assignment"]
            )
            .select_related("supervisor", "facilitator")
            .first()
        )
    if assignment is None:
        messages.error(request, "That assignment is not at this site. Nothing was changed.")
        return None
    supervision_unassign(
        actor=actor_of(request),
        practice=practice,
        supervisor=assignment.supervisor,
        facilitator=assignment.facilitator,
    )
    messages.success(
        request,
        f"{assignment.supervisor} no longer supervises {assignment.facilitator} here.",
    )
    return redirect("groups:supervision_assignments")


@login_required
@require_http_methods(["GET", "POST"])
def supervision_assignments(request: HttpRequest) -> HttpResponse:
    """The practice admin assigns supervisors to the site's facilitators, and ends assignments."""
    practice = _require_practice(request)
    if Role.PRACTICE_ADMIN not in current_roles(request):
        raise PermissionDenied
    choices = {
        "facilitators": selectors.site_facilitator_users(practice=practice),
        "supervisors": selectors.site_supervisors(practice=practice),
    }
    if request.method == "GET":
        return _assignments_page(request, practice, AssignmentForm(**choices))
    if request.POST.get("action") == "unassign":
        done = _unassign(request, practice)
        if done is not None:
            return done
        return _assignments_page(request, practice, AssignmentForm(**choices), status=400)
    form = AssignmentForm(request.POST, **choices)
    if not form.is_valid():
        return _assignments_page(request, practice, form, status=400)
    supervisor, facilitator = form.cleaned_data["supervisor"], form.cleaned_data["facilitator"]
    try:
        supervision_assign(
            actor=actor_of(request),
            practice=practice,
            supervisor=supervisor,
            facilitator=facilitator,
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _assignments_page(request, practice, form, status=422)
    messages.success(request, f"{supervisor} now supervises {facilitator} here.")
    return redirect("groups:supervision_assignments")
