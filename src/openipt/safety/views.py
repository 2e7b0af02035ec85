"""Safety pages: the alert queue and alert page, safety plans, the crisis page, admin settings.

Thin: selectors read (404 outside reach), services write (and audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.selectors import courses_visible_to
from openipt.groups.models import (
    ALERT_INSTRUMENT_SCREENING_PROMPT,
    ALERT_SOURCE_SESSION_SCORE,
    GROUP_ALERT_SOURCES,
    GroupMember,
    GroupSession,
    MemberScore,
    Screening,
)
from openipt.groups.selectors.access import members_visible_to, sessions_visible_to
from openipt.groups.selectors.members import screening_get_for_actor
from openipt.measures.selectors import instrument_for_practice
from openipt.measures.services import RISK_SOURCE_TYPE as MEASURE_SOURCE
from openipt.practice.models import Practice
from openipt.practice.selectors import clients_visible_to, own_client_record
from openipt.protocol.group import EXCLUSION_PROMPTS, Exclusion
from openipt.safety import selectors
from openipt.safety.forms import (
    AcknowledgeForm,
    CrisisResourceForm,
    SafetyPlanForm,
    SafetySettingsForm,
)
from openipt.safety.models import PLAN_SECTION_NAMES, AlertStatus, RiskAlert
from openipt.safety.services import (
    AlreadyAcknowledged,
    StalePlanEdit,
    can_manage_safety_settings,
    crisis_resource_archive,
    crisis_resource_create,
    crisis_resource_update,
    risk_alert_acknowledge,
    safety_plan_save,
    safety_settings_update,
)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _practice_and_roles(request: HttpRequest) -> tuple[Practice | None, frozenset[str]]:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    return practice, roles


# --- alerts --------------------------------------------------------------------------


@login_required
def alert_queue(request: HttpRequest) -> HttpResponse:
    practice, roles = _practice_and_roles(request)
    if practice is None or not selectors.can_see_alert_queue(roles):
        raise PermissionDenied
    open_rows, done_rows = selectors.alert_queue(actor=_actor(request), practice=practice)
    record(
        actor=_actor(request),
        action=AuditAction.LIST,
        object_type="risk_alert_queue",
        practice=practice,
    )
    return render(
        request, "safety/alert_queue.html", {"open_rows": open_rows, "done_rows": done_rows}
    )


def _render_alert(
    request: HttpRequest, alert: RiskAlert, form: AcknowledgeForm, *, status: int = 200
) -> HttpResponse:
    actor = _actor(request)
    instrument_label, risk_items = _describe_source(alert)
    return render(
        request,
        "safety/alert_detail.html",
        {
            "alert": alert,
            "instrument_label": instrument_label,
            "risk_items": risk_items,
            "source_is_questionnaire": alert.source_type == MEASURE_SOURCE,
            "form": form,
            "history": selectors.alert_history(alert),
            "notifications": selectors.alert_notifications(alert),
            "overdue": alert.status != AlertStatus.ACKNOWLEDGED
            and alert.ack_deadline <= timezone.now(),
            # Links only to pages this person can open (the on-call person may
            # not be on the care team).
            "sees_client": clients_visible_to(actor=actor).filter(pk=alert.client_id).exists(),
            "sees_course": alert.course_id is not None
            and courses_visible_to(actor=actor).filter(pk=alert.course_id).exists(),
            "sees_plan": _sees_plan(actor, alert),
            "group_source": _group_source(actor, alert),
        },
        status=status,
    )


@dataclass(frozen=True)
class GroupSource:
    """Where an alert about a group member came from, as far as the viewer may open it."""

    noun: str  # who the alert is about: "group member" or "person screened for a group"
    member: GroupMember | None = None
    session: GroupSession | None = None  # the group session of a session-score alert
    screening: Screening | None = None  # the screening of a screening alert


def _group_source(actor: User, alert: RiskAlert) -> GroupSource | None:
    """The group pages behind an alert raised by a group member's PHQ-9 (None for any
    other alert); each page only if the actor may open it (the on-call person may not)."""
    if alert.source_type not in GROUP_ALERT_SOURCES:
        return None
    members = members_visible_to(actor=actor)
    if alert.source_type == ALERT_SOURCE_SESSION_SCORE:
        score = MemberScore.objects.filter(public_id=alert.source_public_id).first()
        if score is None or score.session_id is None:
            return GroupSource("group member")
        session = (
            sessions_visible_to(actor=actor)
            .select_related("group")
            .filter(pk=score.session_id)
            .first()
        )
        member = members.filter(pk=score.member_id).first()
        return GroupSource("group member", member=member, session=session)
    try:
        screening = screening_get_for_actor(actor=actor, public_id=alert.source_public_id)
    except Http404:
        screening = None
    member = members.filter(screening__public_id=alert.source_public_id).first()
    return GroupSource("person screened for a group", member=member, screening=screening)


@dataclass(frozen=True)
class RiskItemLine:
    number: str
    text: str


def _describe_source(alert: RiskAlert) -> tuple[str, list[RiskItemLine]]:
    """The questionnaire's name and the wording of its positive risk items.

    The alert stores item ids only; the wording comes from the definition, so an
    item the practice has no licensed text for shows its id instead.
    """
    if alert.instrument_code == ALERT_INSTRUMENT_SCREENING_PROMPT:
        # Raised by what a group facilitator saw at screening, not by a questionnaire.
        prompts = [
            EXCLUSION_PROMPTS.get(Exclusion(code), code) if code in set(Exclusion) else code
            for code in alert.risk_link_ids
        ]
        return "Group screening question", [RiskItemLine("", text) for text in prompts]
    try:
        instrument = instrument_for_practice(alert.practice, alert.instrument_code)
    except (KeyError, LookupError, ValueError):
        return alert.instrument_code.upper(), [RiskItemLine("", i) for i in alert.risk_link_ids]
    numbers = {item.link_id: str(n) for n, item in enumerate(instrument.items, start=1)}
    lines = []
    for link_id in alert.risk_link_ids:
        try:
            text = instrument.item(link_id).text or link_id
        except KeyError:
            text = link_id
        lines.append(RiskItemLine(numbers.get(link_id, ""), text))
    return instrument.short_title, lines


def _sees_plan(actor: User, alert: RiskAlert) -> bool:
    try:
        selectors.plan_client_for_reading(actor=actor, public_id=alert.client.public_id)
    except Http404:
        return False
    return True


@login_required
def alert_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    alert = selectors.alert_get_for_actor(actor=_actor(request), public_id=public_id)
    record(
        actor=_actor(request),
        action=AuditAction.VIEW,
        object_type="risk_alert",
        object_public_id=alert.public_id,
        practice=alert.practice,
        subject_client_public_id=alert.client.public_id,
    )
    return _render_alert(request, alert, AcknowledgeForm())


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, public_id: UUID) -> HttpResponse:
    alert = selectors.alert_get_for_actor(actor=_actor(request), public_id=public_id)
    form = AcknowledgeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            risk_alert_acknowledge(
                actor=_actor(request),
                alert=alert,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
            )
        except AlreadyAcknowledged as exc:
            form.add_error(None, exc)
            status = 409
            alert.refresh_from_db()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Alert acknowledged. Thank you.")
            return redirect("safety:alert_detail", public_id=alert.public_id)
    return _render_alert(request, alert, form, status=status)


# --- safety plans ------------------------------------------------------------------------


def _plan_viewed(actor: User, client: Any, what: str) -> None:
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
    )


@login_required
def plan_view(request: HttpRequest, client_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client, can_write = selectors.plan_client_for_reading(actor=actor, public_id=client_id)
    versions = list(selectors.plan_versions(client).order_by("-number"))
    _plan_viewed(actor, client, "safety_plan")
    return render(
        request,
        "safety/plan.html",
        {
            "client": client,
            "latest": versions[0] if versions else None,
            "older": versions[1:],
            "can_write": can_write,
        },
    )


@login_required
def plan_edit(request: HttpRequest, client_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.plan_client_for_writing(actor=actor, public_id=client_id)
    latest = selectors.plan_latest(client)
    initial: dict[str, Any] = {"base_version": latest.number if latest else 0}
    if latest is not None:
        initial.update({name: getattr(latest, name) for name in PLAN_SECTION_NAMES})
    form = SafetyPlanForm(request.POST or None, initial=initial)
    status = 200
    newer = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                safety_plan_save(
                    actor=actor,
                    client=client,
                    sections=form.sections(),
                    base_version=form.cleaned_data["base_version"],
                    reviewed_with_client=form.cleaned_data["reviewed_with_client"],
                )
            except StalePlanEdit as exc:
                status = 409
                newer = exc.latest
                form.add_error(
                    None,
                    "Someone saved a newer version of this plan while you were editing. "
                    "Your text is still below; the newer version is shown underneath. "
                    "Compare them, then save again.",
                )
                # The next save is based on the version now shown.
                refreshed = request.POST.copy()
                refreshed["base_version"] = str(newer.number if newer else 0)
                form.data = refreshed
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Safety plan saved as a new version.")
                return redirect("safety:plan", client_id=client.public_id)
    else:
        _plan_viewed(actor, client, "safety_plan")
    return render(
        request,
        "safety/plan_edit.html",
        {"client": client, "form": form, "latest": latest, "newer": newer},
        status=status,
    )


@login_required
def my_plan(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    client = own_client_record(user=user)
    latest = selectors.plan_latest(client)
    _plan_viewed(user, client, "own_safety_plan")
    return render(request, "safety/my_plan.html", {"client": client, "latest": latest})


# --- crisis page ---------------------------------------------------------------------------


@login_required
def crisis(request: HttpRequest) -> HttpResponse:
    """The practice's crisis numbers, for any signed-in person, at any time.

    A client sees their own practice's resources in their language (English
    when the practice has none in it); staff see their current practice's,
    in English, as a preview.
    """
    try:
        client = own_client_record(user=_actor(request))
    except Http404:
        client = None
    practice: Practice | None = client.practice if client else request.practice  # type: ignore[attr-defined]
    language = client.language if client else "en"
    page = selectors.crisis_page_for(practice=practice, language=language)
    return render(
        request, "safety/crisis.html", {"page": page, "practice": practice, "client": client}
    )


# --- practice administration ------------------------------------------------------------------


def _admin_practice(request: HttpRequest) -> Practice:
    practice, roles = _practice_and_roles(request)
    if practice is None or not can_manage_safety_settings(roles):
        raise PermissionDenied
    return practice


@login_required
def settings_edit(request: HttpRequest) -> HttpResponse:
    practice = _admin_practice(request)
    current = selectors.safety_settings_get(practice)
    form = SafetySettingsForm(
        request.POST or None,
        practice=practice,
        initial={
            "ack_deadline_hours": current.ack_deadline_hours,
            "on_call": current.on_call_id,
            "reply_time_statement": current.reply_time_statement,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                safety_settings_update(
                    actor=_actor(request),
                    practice=practice,
                    ack_deadline_hours=form.cleaned_data["ack_deadline_hours"],
                    on_call=form.cleaned_data["on_call"],
                    reply_time_statement=form.cleaned_data["reply_time_statement"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Safety settings saved.")
                return redirect("safety:settings")
    return render(
        request, "safety/settings.html", {"form": form, "practice": practice}, status=status
    )


@login_required
def crisis_resources(request: HttpRequest) -> HttpResponse:
    practice = _admin_practice(request)
    form = CrisisResourceForm(request.POST or None, initial={"language": "en", "order": 0})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                crisis_resource_create(
                    actor=_actor(request), practice=practice, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Crisis resource added.")
                return redirect("safety:crisis_resources")
    return render(
        request,
        "safety/crisis_resources.html",
        {
            "form": form,
            "practice": practice,
            "resources": selectors.crisis_resources_admin(practice=practice),
        },
        status=status,
    )


@login_required
def crisis_resource_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    practice = _admin_practice(request)
    resource = selectors.crisis_resource_get_for_admin(practice=practice, public_id=public_id)
    form = CrisisResourceForm(
        request.POST or None,
        initial={
            "language": resource.language,
            "name": resource.name,
            "contact": resource.contact,
            "description": resource.description,
            "order": resource.order,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                crisis_resource_update(
                    actor=_actor(request), resource=resource, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Crisis resource saved.")
                return redirect("safety:crisis_resources")
    return render(
        request,
        "safety/crisis_resource_edit.html",
        {"form": form, "resource": resource},
        status=status,
    )


@login_required
@require_POST
def crisis_resource_remove(request: HttpRequest, public_id: UUID) -> HttpResponse:
    practice = _admin_practice(request)
    resource = selectors.crisis_resource_get_for_admin(practice=practice, public_id=public_id)
    crisis_resource_archive(actor=_actor(request), resource=resource)
    messages.success(request, f"“{resource.name}” is no longer shown to clients.")
    return redirect("safety:crisis_resources")
