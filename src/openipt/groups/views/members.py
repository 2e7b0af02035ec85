"""Screening and member pages: screen someone, the outcome, a member's record and its actions.

A facilitator screens at the site they are working in (the practice switcher's
choice). A screening and a member are read by the facilitator who screened or
leads them and by that facilitator's supervisors (read only: 403 on writes);
everyone else gets the same 404 as for a missing id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.forms_members import (
    KEY_FIELD,
    CaregiverSessionForm,
    DropForm,
    PlaceForm,
    PreGroupForm,
    ScreeningForm,
)
from openipt.groups.models import GroupMember, MemberStatus, Programme, Screening
from openipt.groups.selectors.access import can_write_member, group_get_for_actor
from openipt.groups.selectors.access import member_get_for_actor as _member_get
from openipt.groups.selectors.members import (
    groups_with_room_for,
    member_page,
    screening_get_for_actor,
    screening_page,
)
from openipt.groups.services.members import (
    StaleMemberEdit,
    member_caregiver_session_record,
    member_drop,
    member_place,
    member_pre_group_record,
)
from openipt.groups.services.scoring import GROUP_INSTRUMENT, score_member_answers
from openipt.groups.services.screening import screening_record
from openipt.groups.views._common import actor_of, current_practice, current_roles
from openipt.measures.engine import InvalidAnswers
from openipt.measures.forms import QuestionnaireForm, new_submission_key
from openipt.measures.selectors import instrument_for_practice
from openipt.practice.models import Practice, Role
from openipt.protocol.group import EXCLUSION_PROMPTS

UNPROCESSABLE = 422


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names (or at the top)."""
    if hasattr(exc, "error_dict"):
        for name, texts in exc.message_dict.items():
            target = name if name in form.fields else None
            for text in texts:
                form.add_error(target, text)
    else:
        for text in exc.messages:
            form.add_error(None, text)


def _audit_view(
    request: HttpRequest, what: str, public_id: Any, client: Any, practice: Any
) -> None:
    record(
        actor=actor_of(request),
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=public_id,
        practice=practice,
        subject_client_public_id=client.public_id,
    )


# --------------------------------------------------------------------------- screening


def _screening_site(request: HttpRequest) -> Practice:
    practice = current_practice(request)
    if practice is None or Role.FACILITATOR not in current_roles(request):
        raise PermissionDenied
    return practice


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    """Screen someone: their details, the PHQ-9 and the exclusion questions, on one page."""
    actor = actor_of(request)
    practice = _screening_site(request)
    programmes = list(Programme.objects.filter(is_active=True, sites__practice=practice))
    instrument = instrument_for_practice(practice, GROUP_INSTRUMENT)
    if request.method != "POST":
        return _render_screen(
            request,
            ScreeningForm(programmes=programmes),
            QuestionnaireForm(instrument),
            new_submission_key(),
            programmes,
        )
    form = ScreeningForm(request.POST, programmes=programmes)
    questionnaire = QuestionnaireForm(instrument, request.POST)
    key = request.POST.get(KEY_FIELD, "")[:64] or new_submission_key()
    if not programmes:
        return _render_screen(request, form, questionnaire, key, programmes, status=400)
    if not form.is_valid():
        # Show the PHQ-9's own problems at the same time, so one correction round is enough.
        try:
            score_member_answers(practice=practice, answers=questionnaire.answers())
        except InvalidAnswers as exc:
            questionnaire.add_errors(exc.errors)
        return _render_screen(request, form, questionnaire, key, programmes, status=UNPROCESSABLE)
    data = form.cleaned_data
    try:
        screening = screening_record(
            actor=actor,
            programme=form.chosen_programme(),
            practice=practice,
            given_name=data["given_name"],
            family_name=data["family_name"],
            date_of_birth=data["date_of_birth"],
            gender=data["gender"],
            phone=data["phone"],
            answers=questionnaire.answers(),
            exclusions=data["exclusions"],
            referral_note=data["referral_note"],
            idempotency_key=key,
        )
    except InvalidAnswers as exc:
        questionnaire.add_errors(exc.errors)
        return _render_screen(request, form, questionnaire, key, programmes, status=UNPROCESSABLE)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_screen(request, form, questionnaire, key, programmes, status=UNPROCESSABLE)
    return redirect("groups:screening_detail", public_id=screening.public_id)


def _render_screen(
    request: HttpRequest,
    form: ScreeningForm,
    questionnaire: QuestionnaireForm,
    key: str,
    programmes: list[Programme],
    *,
    status: int = 200,
) -> HttpResponse:
    chosen = set(form["exclusions"].value() or [])
    exclusions = [
        {"code": code.value, "text": text, "checked": code.value in chosen}
        for code, text in EXCLUSION_PROMPTS.items()
    ]
    return render(
        request,
        "groups/screen_form.html",
        {
            "form": form,
            "instrument": questionnaire.instrument,
            "rows": questionnaire.rows(),
            "summary": questionnaire.error_summary(),
            "questionnaire": questionnaire,
            "key": key,
            "key_field": KEY_FIELD,
            "programmes": programmes,
            "exclusions": exclusions,
            "has_errors": form.errors or questionnaire.has_errors,
        },
        status=status,
    )


@login_required
def screening_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The outcome of a screening in plain words, and what to do next."""
    actor = actor_of(request)
    screening: Screening = screening_get_for_actor(actor=actor, public_id=public_id)
    page = screening_page(screening=screening)
    can_write = page.member is not None and can_write_member(actor=actor, member=page.member)
    _audit_view(
        request, "group_screening", screening.public_id, screening.client, screening.practice
    )
    return render(
        request,
        "groups/screening_detail.html",
        {"page": page, "screening": screening, "client": screening.client, "can_write": can_write},
    )


# --------------------------------------------------------------------------- members


def _render_member(
    request: HttpRequest,
    member: GroupMember,
    *,
    place_form: PlaceForm | None = None,
    drop_form: DropForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    can_write = can_write_member(actor=actor, member=member)
    open_member = member.status in (MemberStatus.WAITING, MemberStatus.ENROLLED)
    groups = (
        groups_with_room_for(actor=actor, member=member)
        if can_write and member.status == MemberStatus.WAITING
        else []
    )
    _audit_view(request, "group_member", member.public_id, member.client, member.practice)
    return render(
        request,
        "groups/member_detail.html",
        {
            "page": member_page(member=member),
            "member": member,
            "client": member.client,
            "can_write": can_write and open_member,
            "groups": groups,
            "place_form": place_form or PlaceForm(),
            "drop_form": drop_form or DropForm(),
            "error": error,
        },
        status=status,
    )


@login_required
def member_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    member = _member_get(actor=actor_of(request), public_id=public_id)
    return _render_member(request, member)


def _writable_member(request: HttpRequest, public_id: str) -> GroupMember:
    actor = actor_of(request)
    member = _member_get(actor=actor, public_id=public_id)
    if not can_write_member(actor=actor, member=member):
        # Supervisors read the member's record but do not change it.
        raise PermissionDenied
    return member


def _save_member_record(
    request: HttpRequest,
    member: GroupMember,
    form: Form,
    save: Callable[[dict[str, Any]], object],
    saved_message: str,
) -> tuple[int, HttpResponse | None]:
    """Validate a versioned form of the member's record and save it with `save`.

    Returns (status, redirect): the redirect when saved; else 422 for bad input or
    409 when someone saved first, with what was typed kept in the form either way.
    """
    if not form.is_valid():
        return UNPROCESSABLE, None
    try:
        save(form.cleaned_data)
    except StaleMemberEdit as exc:
        form.add_error(None, exc.messages[0])
        # Offer the newest version so that a deliberate second save can succeed.
        refreshed = request.POST.copy()
        refreshed["version"] = str(GroupMember.objects.get(pk=member.pk).version)
        form.data = refreshed
        return 409, None
    except ValidationError as exc:
        add_service_errors(form, exc)
        return UNPROCESSABLE, None
    messages.success(request, saved_message)
    return 200, redirect("groups:member_detail", public_id=member.public_id)


@login_required
def member_pre_group(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record or correct the pre-group individual session."""
    actor = actor_of(request)
    member = _writable_member(request, public_id)
    labels = member.practice.problem_area_labels or None
    status = 200
    if request.method == "POST":
        form = PreGroupForm(request.POST, area_labels=labels)

        def save(data: dict[str, Any]) -> object:
            return member_pre_group_record(
                actor=actor,
                member=member,
                held_at=data["held_at"],
                symptoms=data["symptoms"],
                onset=data["onset"],
                hopes=data["hopes"],
                problem_area=data["problem_area"],
                version=data["version"],
            )

        status, saved = _save_member_record(
            request, member, form, save, "The pre-group session is saved."
        )
        if saved is not None:
            return saved
    else:
        form = PreGroupForm(
            initial={
                "held_at": member.pre_group_at,
                "symptoms": member.pre_group_symptoms,
                "onset": member.pre_group_onset,
                "hopes": member.pre_group_hopes,
                "problem_area": member.problem_area,
                "version": member.version,
            },
            area_labels=labels,
        )
    _audit_view(request, "group_member_pre_group", member.public_id, member.client, member.practice)
    return render(
        request,
        "groups/pre_group_form.html",
        {"form": form, "member": member, "client": member.client},
        status=status,
    )


@login_required
def member_caregiver_session(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record or correct the joint session with a parent or caregiver (adolescent groups).

    Only for members of a programme that offers it: otherwise the page says so and
    has no form, and a save is refused (422) with what was typed kept.
    """
    actor = actor_of(request)
    member = _writable_member(request, public_id)
    status = 200
    if request.method == "POST":
        form = CaregiverSessionForm(request.POST)

        def save(data: dict[str, Any]) -> object:
            return member_caregiver_session_record(
                actor=actor,
                member=member,
                held_at=data["held_at"],
                who_came=data["who_came"],
                notes=data["notes"],
                version=data["version"],
            )

        status, saved = _save_member_record(
            request, member, form, save, "The caregiver session is saved."
        )
        if saved is not None:
            return saved
    else:
        form = CaregiverSessionForm(
            initial={
                "held_at": member.caregiver_session_at,
                "who_came": member.caregiver_session_who,
                "notes": member.caregiver_session_notes,
                "version": member.version,
            }
        )
    _audit_view(
        request,
        "group_member_caregiver_session",
        member.public_id,
        member.client,
        member.practice,
    )
    return render(
        request,
        "groups/caregiver_session_form.html",
        {
            "form": form,
            "member": member,
            "client": member.client,
            "offered": member.programme.caregiver_session,
        },
        status=status,
    )


@login_required
@require_POST
def member_place_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Place a waiting member in one of the facilitator's groups (the picker on their page)."""
    actor = actor_of(request)
    member = _writable_member(request, public_id)
    form = PlaceForm(request.POST)
    if not form.is_valid():
        return _render_member(request, member, place_form=form, status=400)
    group = group_get_for_actor(actor=actor, public_id=form.cleaned_data["group"])
    try:
        member_place(actor=actor, member=member, group=group)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_member(request, member, place_form=form, status=400)
    messages.success(request, f"{member.client.display_name} is now in {group.name}.")
    return redirect("groups:member_detail", public_id=member.public_id)


@login_required
@require_POST
def member_drop_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """A member leaves the programme, with the reason."""
    actor = actor_of(request)
    member = _writable_member(request, public_id)
    form = DropForm(request.POST)
    if not form.is_valid():
        return _render_member(request, member, drop_form=form, status=UNPROCESSABLE)
    try:
        member_drop(actor=actor, member=member, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_member(request, member, drop_form=form, status=400)
    messages.success(request, f"{member.client.display_name} has left the programme.")
    return redirect("groups:member_detail", public_id=member.public_id)
