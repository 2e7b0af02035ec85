"""Session pages: the list, recording the next session, and a session's own page.

A session page opens with the protocol engine's agenda for that session
number, then the record: interval history, mood–event links, work on the
focus, techniques (with their structured fields), the adherence checklist, a
summary, and the process note, which only the clinical team ever sees.
Selectors read, services write; every read and write is audited.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import selectors
from openipt.courses.forms_sessions import (
    ExperimentForm,
    ExperimentReviewForm,
    SessionForm,
    choice_field,
    technique_field_name,
)
from openipt.courses.models import (
    Course,
    CourseStatus,
    Experiment,
    NoteDraft,
    ProcessNote,
    Session,
    TechniqueUse,
)
from openipt.courses.selectors import sessions as session_selectors
from openipt.courses.services import drafts as draft_services
from openipt.courses.services import sessions as session_services
from openipt.courses.state import course_state
from openipt.measures.chart_data import scores_for_session
from openipt.protocol.adherence import items_for
from openipt.protocol.engine import AgendaItem, agenda_for
from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase
from openipt.protocol.problem_areas import label_for
from openipt.protocol.techniques import TECHNIQUES
from openipt.safety.selectors import unacknowledged_alerts_for_client

NEW_SESSION_DRAFTS = "session:new:"


def actor_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def audit_read(
    request: HttpRequest,
    course: Course,
    what: str,
    public_id: UUID | None = None,
    *,
    action: AuditAction = AuditAction.VIEW,
) -> None:
    record(
        actor=actor_of(request),
        action=action,
        object_type=what,
        object_public_id=public_id or course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )


def area_label(course: Course, code: str) -> str:
    try:
        return label_for(code, course.practice.problem_area_labels or None)
    except ProtocolError:
        return code


def course_is_open(course: Course) -> bool:
    return course.status == CourseStatus.ACTIVE


def draft_prefix_for(session: Session | None) -> str:
    return NEW_SESSION_DRAFTS if session is None else f"session:{session.public_id}:"


def agenda(course: Course, number: int) -> tuple[AgendaItem, ...]:
    """The engine's agenda for session `number`, most urgent first (empty if it has none)."""
    if number < 1:
        return ()
    try:
        items = agenda_for(course_state(course), number)
    except ProtocolError:
        return ()
    return tuple(sorted(items, key=lambda item: item.priority))


def focus_summary(course: Course) -> tuple[list[tuple[Any, str]], str]:
    """The current focus areas with their labels, and a sentence naming them."""
    areas = [
        (area, area_label(course, area.area))
        for area in session_selectors.current_focus_areas(course=course)
    ]
    if not areas:
        return areas, "No focus has been chosen yet."
    names = " and ".join(label for _area, label in areas)
    return areas, f"Current focus: {names}."


# --- the list ----------------------------------------------------------------------------


@login_required
def session_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    sessions = list(session_selectors.sessions_for_course(course=course))
    audit_read(request, course, "session_list", action=AuditAction.LIST)
    next_number = (sessions[-1].number if sessions else 0) + 1
    limit = session_services.session_limit(course)
    can_write = selectors.can_write_course(actor=actor, course=course) and course_is_open(course)
    return render(
        request,
        "courses/sessions/list.html",
        {
            "course": course,
            "client": course.client,
            "sessions": sessions,
            "next_number": next_number,
            "beyond_contract": limit is not None and next_number > limit,
            "limit": limit,
            "can_write": can_write,
            "is_closed": not course_is_open(course),
        },
    )


# --- drafts: restore what was typed but not saved ---------------------------------------------


def _restore_drafts(
    request: HttpRequest,
    course: Course,
    prefix: str,
    initial: dict[str, Any],
    *,
    session: Session | None,
    note: ProcessNote | None,
) -> tuple[list[NoteDraft], dict[str, int]]:
    """Overlay the actor's drafts that are newer than the saved record onto `initial`.

    Returns the drafts used and the versions their text was typed against, so
    that saving a draft typed against an older version is refused (409) rather
    than silently overwriting what someone else saved meanwhile.
    """
    drafts = session_selectors.drafts_for(actor=actor_of(request), course=course, prefix=prefix)
    used: list[NoteDraft] = []
    versions: dict[str, int] = {}
    ticked = set(initial.get("techniques", []))
    for key, draft in drafts.items():
        name = key[len(prefix) :]
        in_note = name == "process_note"
        record = note if in_note else session
        # A draft older than the saved record is left out, unless it was typed
        # against an older version: then someone else saved meanwhile, and the
        # author's text must come back (a save of it will ask them to compare).
        if (
            record is not None
            and draft.updated_at <= record.updated_at
            and draft.base_version >= record.version
        ):
            continue
        if name.startswith("tech:"):
            parts = name.split(":")
            if (
                len(parts) != 3
                or parts[1] not in TECHNIQUES
                or parts[2] not in TECHNIQUES[parts[1]].field_codes
            ):
                continue
            field = technique_field_name(parts[1], parts[2])
            if draft.text.strip():
                ticked.add(parts[1])
        elif name in (*session_services.SESSION_TEXT_FIELDS, "process_note"):
            field = name
        else:
            continue
        if draft.text == initial.get(field, ""):
            continue  # nothing that the saved record does not already say
        initial[field] = draft.text
        used.append(draft)
        if session is not None:
            which = "note_version" if in_note else "version"
            versions[which] = min(versions.get(which, draft.base_version), draft.base_version)
    initial["techniques"] = sorted(ticked)
    if used:
        audit_read(request, course, "note_draft")
    return used, versions


# --- shared page --------------------------------------------------------------------------


def _session_form(
    course: Course,
    phase: Phase,
    *,
    session: Session | None,
    data: Any = None,
    initial: dict[str, Any] | None = None,
    draft_version: int = 0,
    note_draft_version: int = 0,
) -> SessionForm:
    _areas, focus_text = focus_summary(course)
    return SessionForm(
        data,
        initial=initial,
        phase=phase,
        creating=session is None,
        draft_prefix=draft_prefix_for(session),
        draft_version=draft_version,
        note_draft_version=note_draft_version,
        focus_text=focus_text,
    )


def _initial_from(session: Session, note: ProcessNote | None) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "date": session.date,
        "attendance": session.attendance,
        "adherence": list(session.adherence),
        "version": session.version,
        "note_version": note.version if note is not None else None,
        "process_note": note.text if note is not None else "",
    }
    for name in session_services.SESSION_TEXT_FIELDS:
        initial[name] = getattr(session, name)
    ticked = []
    for use in session.techniques.all():
        ticked.append(use.technique)
        for field, value in session_services.technique_details(use).items():
            initial[technique_field_name(use.technique, field)] = value
    initial["techniques"] = ticked
    return initial


def experiment_form_for(course: Course, data: Any = None) -> ExperimentForm:
    areas, _text = focus_summary(course)
    return ExperimentForm(
        data,
        focus_areas=areas,
        people=session_selectors.inventory_people(course=course),
        auto_id="id_experiment_%s",
    )


def review_form_for(experiment: Experiment, data: Any = None) -> ExperimentReviewForm:
    initial = {"status": experiment.status, "review_note": experiment.review_note}
    return ExperimentReviewForm(
        data, initial=initial, auto_id=f"id_review_{experiment.public_id.hex[:12]}_%s"
    )


def _experiment_rows(
    course: Course, experiments: list[Experiment], review_errors: dict[UUID, ExperimentReviewForm]
) -> list[dict[str, Any]]:
    return [
        {
            "experiment": experiment,
            "area": area_label(course, experiment.problem_area) if experiment.problem_area else "",
            "form": review_errors.get(experiment.public_id) or review_form_for(experiment),
        }
        for experiment in experiments
    ]


def render_session_page(
    request: HttpRequest,
    course: Course,
    *,
    session: Session | None,
    number: int,
    form: SessionForm | None = None,
    experiment_form: ExperimentForm | None = None,
    review_forms: dict[UUID, ExperimentReviewForm] | None = None,
    restored: list[NoteDraft] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Draw a session page (a new session when `session` is None) and audit the read."""
    actor = actor_of(request)
    can_write = selectors.can_write_course(actor=actor, course=course) and course_is_open(course)
    note = session_selectors.process_note_for(session=session) if session else None
    if form is None and can_write:
        if session is None:
            phase = session_services.phase_for_number(course, number)
            initial: dict[str, Any] = {"number": number, "attendance": "attended"}
            restored, _versions = _restore_drafts(
                request, course, NEW_SESSION_DRAFTS, initial, session=None, note=None
            )
            form = _session_form(course, phase, session=None, initial=initial)
        else:
            initial = _initial_from(session, note)
            restored, versions = _restore_drafts(
                request, course, draft_prefix_for(session), initial, session=session, note=note
            )
            initial.update(versions)
            form = _session_form(
                course,
                Phase(session.phase),
                session=session,
                initial=initial,
                draft_version=initial["version"],
                note_draft_version=initial["note_version"] or 0,
            )
    areas, focus_text = focus_summary(course)
    reviews = review_forms or {}
    context: dict[str, Any] = {
        "course": course,
        "client": course.client,
        "session": session,
        "number": number,
        "phase": Phase(session.phase) if session else _phase_or_none(course, number),
        "agenda": agenda(course, number),
        "form": form,
        "can_write": can_write,
        "is_closed": not course_is_open(course),
        "focus_areas": areas,
        "focus_text": focus_text,
        "restored": restored or [],
        "restored_at": max((d.updated_at for d in restored), default=None) if restored else None,
        "draft_prefix": draft_prefix_for(session),
        "to_review": _experiment_rows(
            course,
            session_selectors.experiments_to_review(course=course, before_number=number),
            reviews,
        ),
        "assigned": _experiment_rows(
            course,
            session_selectors.experiments_assigned_in(session=session) if session else [],
            reviews,
        ),
        "experiment_form": experiment_form
        or (experiment_form_for(course) if session is not None and can_write else None),
        # Scores as they stood at this session (a new session: everything so far).
        "session_scores": scores_for_session(course, number),
        "questionnaires_url": _questionnaires_url(course),
        # An open risk alert is the first thing a clinician should see before a session.
        "open_alerts": unacknowledged_alerts_for_client(actor=actor, client=course.client),
    }
    if session is not None:
        context["note"] = note
        context["techniques"] = [_technique_display(use) for use in session.techniques.all()]
        context["adherence_done"] = set(session.adherence)
        context["adherence_items"] = (
            choice_field(form, "adherence").choices if form else _adherence(Phase(session.phase))
        )
        audit_read(request, course, "session", session.public_id)
        if note is not None:
            audit_read(request, course, "process_note", note.public_id)
    else:
        # The new-session page shows the agenda and the experiments to review.
        audit_read(request, course, "session_new")
    return render(request, "courses/sessions/session.html", context, status=status)


def _questionnaires_url(course: Course) -> str:
    return reverse("measures:history", kwargs={"public_id": course.public_id})


def _technique_display(use: TechniqueUse) -> dict[str, Any]:
    technique = TECHNIQUES.get(use.technique)
    if technique is None:
        return {"name": use.technique, "fields": []}
    details = session_services.technique_details(use)
    fields = [
        (label, details[code]) for code, label in technique.structured_fields if details.get(code)
    ]
    return {"name": technique.name, "fields": fields}


def _adherence(phase: Phase) -> list[tuple[str, str]]:
    return [(item.code, item.text) for item in items_for(phase)]


def _phase_or_none(course: Course, number: int) -> Phase | None:
    try:
        return course_state(course).plan.phase_of(number)
    except ProtocolError:
        return None


# --- recording the next session -------------------------------------------------------------


def _posted_number(request: HttpRequest, default: int) -> int:
    try:
        return int(request.POST.get("number", default))
    except (TypeError, ValueError):
        return default


@login_required
def session_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    if not course_is_open(course):
        messages.warning(request, "This course is closed: its record can be read but not changed.")
        return redirect("courses:sessions", public_id=course.public_id)
    next_number = session_selectors.last_session_number(course=course) + 1
    if request.method != "POST":
        limit = session_services.session_limit(course)
        if limit is not None and next_number > limit:
            messages.warning(
                request,
                f"Session {next_number} is beyond the agreed contract of {limit} sessions: "
                "renegotiate the contract first.",
            )
            return redirect("courses:sessions", public_id=course.public_id)
        return render_session_page(request, course, session=None, number=next_number)

    number = _posted_number(request, next_number)
    try:
        phase = session_services.phase_for_number(course, max(number, 1))
    except ValidationError:
        phase = Phase(course.phase)
    form = _session_form(course, phase, session=None, data=request.POST)
    if form.is_valid():
        try:
            session = session_services.session_record(
                actor=actor,
                course=course,
                number=form.cleaned_data["number"],
                content=form.content(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            draft_services.drafts_discard(actor=actor, course=course, prefix=NEW_SESSION_DRAFTS)
            messages.success(request, f"Session {session.number} saved.")
            return redirect(
                "courses:session_detail", public_id=course.public_id, session_id=session.public_id
            )
    return render_session_page(request, course, session=None, number=number, form=form, status=400)


# --- a session's page ---------------------------------------------------------------------------


@login_required
def session_detail(request: HttpRequest, public_id: UUID, session_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    if request.method != "POST":
        course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
        session = session_selectors.session_get(course=course, public_id=session_id)
        return render_session_page(request, course, session=session, number=session.number)

    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    session = session_selectors.session_get(course=course, public_id=session_id)
    form = _session_form(course, Phase(session.phase), session=session, data=request.POST)
    if not course_is_open(course):
        form.is_valid()
        form.add_error(None, "This course is closed: its record can be read but not changed.")
        return render_session_page(
            request, course, session=session, number=session.number, form=form, status=400
        )
    if not form.is_valid():
        return render_session_page(
            request, course, session=session, number=session.number, form=form, status=400
        )
    try:
        session_services.session_update(
            actor=actor,
            session=session,
            expected_version=form.cleaned_data["version"] or session.version,
            content=form.content(),
            # Process notes start at version 1, so 0 (or nothing) means "there was none".
            expected_note_version=form.cleaned_data["note_version"] or None,
        )
    except session_services.StaleEditError as exc:
        what = "process note" if exc.what == "process_note" else "session"
        form.add_error(
            None,
            f"Someone else saved this {what} while you were editing. Your text is still in "
            "the form below: compare it with the saved record (open the session in another "
            "tab), then save again.",
        )
        # Offer the newest versions, so that a deliberate second save succeeds.
        refreshed = request.POST.copy()
        refreshed["version"] = str(Session.objects.get(pk=session.pk).version)
        current_note = ProcessNote.objects.filter(session=session).first()
        refreshed["note_version"] = str(current_note.version) if current_note else ""
        form.data = refreshed
        return render_session_page(
            request, course, session=session, number=session.number, form=form, status=409
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render_session_page(
            request, course, session=session, number=session.number, form=form, status=400
        )
    draft_services.drafts_discard(actor=actor, course=course, prefix=draft_prefix_for(session))
    messages.success(request, f"Session {session.number} saved.")
    return redirect(
        "courses:session_detail", public_id=course.public_id, session_id=session.public_id
    )


def session_url(course: Course, session: Session) -> str:
    return reverse(
        "courses:session_detail",
        kwargs={"public_id": course.public_id, "session_id": session.public_id},
    )
