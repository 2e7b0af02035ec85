"""Questionnaire pages for the care team, and the practice admin's instrument pages.

Course pages follow the course access rules: the client's care-team
clinicians read and write, supervisors of the practice read (403 on writes),
everyone else gets the same 404 as for a missing id. Instrument names never
appear in a URL: the instrument is chosen in a POSTed form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.models import Course, CourseStatus, Session
from openipt.courses.selectors import can_write_course, course_get_for_actor, course_get_for_writing
from openipt.measures import selectors, services
from openipt.measures.engine import Instrument, InvalidAnswers, score_answers
from openipt.measures.forms import (
    INSTRUMENT_FIELD,
    KEY_FIELD,
    AdministrationDetailsForm,
    CorrectionReasonForm,
    DefinitionUploadForm,
    InstrumentChoiceForm,
    LicensedTextForm,
    QuestionnaireForm,
    ScheduleForm,
    SendRequestForm,
    new_submission_key,
)
from openipt.measures.models import AdministrationMode, MeasureAdministration, MeasureRequest
from openipt.practice import policies as practice_policies
from openipt.practice.models import Practice
from openipt.safety.selectors import alerts_visible_to

CLOSED = "This course is closed: its questionnaires can be read but no new ones added."
UNPROCESSABLE = 422


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _audit_read(
    request: HttpRequest,
    course: Course,
    what: str,
    public_id: UUID | None = None,
    *,
    action: AuditAction = AuditAction.VIEW,
) -> None:
    record(
        actor=_actor(request),
        action=action,
        object_type=what,
        object_public_id=public_id or course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )


def _band_label(instrument: Instrument | None, code: str) -> str:
    if instrument is None:
        return code
    try:
        return instrument.band(code).label
    except KeyError:
        return code


def _instrument_choices(
    instruments: Mapping[str, Instrument],
) -> tuple[list[tuple[str, str]], list[Instrument]]:
    """(choices that can be given, instruments waiting for licensed text)."""
    choices: list[tuple[str, str]] = []
    waiting: list[Instrument] = []
    for code, instrument in instruments.items():
        if selectors.is_administrable(instrument):
            choices.append((code, f"{instrument.short_title} — {instrument.title}"))
        else:
            waiting.append(instrument)
    return choices, waiting


# --- recording a questionnaire ---------------------------------------------------------------


def _render_questionnaire(
    request: HttpRequest,
    course: Course,
    instrument: Instrument,
    form: QuestionnaireForm,
    details: AdministrationDetailsForm,
    key: str,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "measures/record.html",
        {
            "course": course,
            "client": course.client,
            "instrument": instrument,
            "form": form,
            "rows": form.rows(),
            "summary": form.error_summary(),
            "details": details,
            "key": key,
            "instrument_field": INSTRUMENT_FIELD,
            "key_field": KEY_FIELD,
        },
        status=status,
    )


@login_required
def record_questionnaire(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Choose an instrument (step 1), then answer it with the client (step 2)."""
    actor = _actor(request)
    course = course_get_for_writing(actor=actor, public_id=public_id)
    if course.status != CourseStatus.ACTIVE:
        messages.warning(request, CLOSED)
        return redirect("measures:history", public_id=course.public_id)
    instruments = selectors.instruments_for_practice(
        course.practice, language=course.client.language
    )
    choices, waiting = _instrument_choices(instruments)
    sessions = list(Session.objects.filter(course=course).order_by("number"))
    step = request.POST.get("step") if request.method == "POST" else None
    code = request.POST.get(INSTRUMENT_FIELD, "") if request.method == "POST" else ""
    instrument = instruments.get(code)

    if step in ("choose", "submit") and instrument is not None:
        if not selectors.is_administrable(instrument):
            message = (
                f"The {instrument.short_title} cannot be given yet: its wording is licensed, "
                "and a practice admin must load the licensed text first."
            )
            return _render_chooser(
                request,
                course,
                InstrumentChoiceForm(choices=choices),
                waiting,
                status=400,
                error=message,
            )
        if step == "choose":
            details = AdministrationDetailsForm(sessions=sessions, auto_id="id_details_%s")
            return _render_questionnaire(
                request,
                course,
                instrument,
                QuestionnaireForm(instrument),
                details,
                new_submission_key(),
            )
        form = QuestionnaireForm(instrument, request.POST)
        details = AdministrationDetailsForm(
            request.POST, sessions=sessions, auto_id="id_details_%s"
        )
        key = request.POST.get(KEY_FIELD, "")[:64] or new_submission_key()
        if not details.is_valid():
            form.non_item_errors.append("Choose a session of this course, or none.")
            return _render_questionnaire(
                request, course, instrument, form, details, key, status=400
            )
        session_id = details.cleaned_data.get("session") or ""
        session = next((s for s in sessions if str(s.public_id) == session_id), None)
        try:
            administration = services.measure_submit(
                actor=actor,
                course=course,
                instrument_code=instrument.code,
                answers=form.answers(),
                mode=AdministrationMode.IN_SESSION,
                session=session,
                idempotency_key=key,
            )
        except InvalidAnswers as exc:
            form.add_errors(exc.errors)
            return _render_questionnaire(
                request, course, instrument, form, details, key, status=UNPROCESSABLE
            )
        except ValidationError as exc:
            form.non_item_errors.extend(exc.messages)
            return _render_questionnaire(
                request, course, instrument, form, details, key, status=400
            )
        return redirect("measures:result", public_id=administration.public_id)

    chooser = InstrumentChoiceForm(choices=choices)
    if step is not None:
        return _render_chooser(
            request, course, chooser, waiting, status=400, error="Choose a questionnaire."
        )
    return _render_chooser(request, course, chooser, waiting, status=200)


def _render_chooser(
    request: HttpRequest,
    course: Course,
    chooser: InstrumentChoiceForm,
    waiting: list[Instrument],
    *,
    status: int,
    error: str = "",
) -> HttpResponse:
    return render(
        request,
        "measures/choose.html",
        {
            "course": course,
            "client": course.client,
            "chooser": chooser,
            "error": error,
            "waiting": waiting,
            "due": selectors.measures_due(course),
        },
        status=status,
    )


# --- a stored questionnaire ---------------------------------------------------------------------


def _alerts_for(actor: User, administration: MeasureAdministration) -> list[Any]:
    """Risk alerts raised by this questionnaire or the versions it corrects, that the actor sees."""
    source_ids = [administration.public_id]
    current = administration
    while current.supersedes_id is not None and len(source_ids) < 20:
        current = MeasureAdministration.objects.only("public_id", "supersedes_id").get(
            pk=current.supersedes_id
        )
        source_ids.append(current.public_id)
    return list(
        alerts_visible_to(actor=actor).filter(
            source_type=services.RISK_SOURCE_TYPE, source_public_id__in=source_ids
        )
    )


@login_required
def result(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One questionnaire: total, band, change since the previous one, any alert raised."""
    actor = _actor(request)
    administration = selectors.administration_get_for_actor(actor=actor, public_id=public_id)
    course = administration.course
    instruments = selectors.instruments_for_practice(course.practice)
    instrument = instruments.get(administration.instrument_code)
    previous = selectors.previous_administration(administration)
    rows = []
    if instrument is not None:
        answers = selectors.as_answer_map(administration)
        number = 0
        for item in instrument.items:
            if item.scored:
                number += 1
            ordinal = answers.get(item.link_id)
            option = item.option_for_ordinal(ordinal) if isinstance(ordinal, int) else None
            rows.append(
                {
                    "number": number if item.scored else None,
                    "text": item.text,
                    "answer": option.display if option is not None else "",
                    "value": item.value_of(ordinal) if isinstance(ordinal, int) else None,
                    "risk": item.link_id in (administration.risk_link_ids or []),
                }
            )
    _audit_read(request, course, "measure_administration", administration.public_id)
    return render(
        request,
        "measures/result.html",
        {
            "course": course,
            "client": course.client,
            "administration": administration,
            "instrument": instrument,
            "label": selectors.instrument_label(administration.instrument_code, instruments),
            "band_label": _band_label(instrument, administration.band_code),
            "max_total": instrument.max_total if instrument is not None else None,
            "previous": previous,
            "change": administration.total - previous.total if previous is not None else None,
            "alerts": _alerts_for(actor, administration),
            "rows": rows,
            "can_correct": can_write_course(actor=actor, course=course)
            and course.status == CourseStatus.ACTIVE
            and not administration.superseded,
        },
    )


@login_required
def correct(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Correct a stored questionnaire: a new version with a reason; the old one stays."""
    actor = _actor(request)
    administration = selectors.administration_get_for_actor(actor=actor, public_id=public_id)
    course = administration.course
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    if course.status != CourseStatus.ACTIVE:
        messages.warning(request, CLOSED)
        return redirect("measures:result", public_id=administration.public_id)
    if administration.superseded:
        messages.warning(
            request, "This questionnaire has already been corrected; this is the newer version."
        )
        return redirect("measures:result", public_id=administration.superseded_by.public_id)
    try:
        instrument = selectors.instrument_for_practice(
            course.practice, administration.instrument_code, language=course.client.language
        )
    except selectors.UnknownInstrument as exc:
        raise PermissionDenied from exc
    status = 200
    if request.method == "POST":
        form = QuestionnaireForm(instrument, request.POST)
        reason_form = CorrectionReasonForm(request.POST)
        status = 400
        if reason_form.is_valid():
            try:
                new = services.measure_correct(
                    actor=actor,
                    administration=administration,
                    answers=form.answers(),
                    reason=reason_form.cleaned_data["reason"],
                )
            except InvalidAnswers as exc:
                form.add_errors(exc.errors)
                status = UNPROCESSABLE
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "reason" in exc.error_dict:
                    reason_form.add_error("reason", exc.error_dict["reason"])
                else:
                    form.non_item_errors.extend(exc.messages)
            else:
                messages.success(request, "Correction saved. The original stays in the record.")
                return redirect("measures:result", public_id=new.public_id)
        else:
            # Also check the answers, so every problem is shown at once.
            try:
                score_answers(instrument, form.answers())
            except InvalidAnswers as exc:
                form.add_errors(exc.errors)
    else:
        form = QuestionnaireForm(instrument, initial=selectors.as_answer_map(administration))
        reason_form = CorrectionReasonForm()
    return render(
        request,
        "measures/correct.html",
        {
            "course": course,
            "client": course.client,
            "administration": administration,
            "instrument": instrument,
            "form": form,
            "rows": form.rows(),
            "summary": form.error_summary(),
            "reason_form": reason_form,
        },
        status=status,
    )


# --- the course's questionnaires -------------------------------------------------------------


@dataclass
class HistoryRow:
    administration: MeasureAdministration
    band_label: str
    change: int | None


@dataclass
class HistoryTable:
    code: str
    label: str
    rows: list[HistoryRow]
    max_total: int | None


@login_required
def history(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Every questionnaire of the course, a table per instrument, corrections marked."""
    actor = _actor(request)
    course = course_get_for_actor(actor=actor, public_id=public_id)
    instruments = selectors.instruments_for_practice(course.practice)
    tables: dict[str, HistoryTable] = {}
    last_current: dict[str, int] = {}
    for administration in selectors.administrations_for_course(actor=actor, course=course):
        code = administration.instrument_code
        instrument = instruments.get(code)
        table = tables.setdefault(
            code,
            HistoryTable(
                code=code,
                label=selectors.instrument_label(code, instruments),
                rows=[],
                max_total=instrument.max_total if instrument is not None else None,
            ),
        )
        change = None
        if not administration.superseded:
            if code in last_current:
                change = administration.total - last_current[code]
            last_current[code] = administration.total
        table.rows.append(
            HistoryRow(
                administration=administration,
                band_label=_band_label(instrument, administration.band_code),
                change=change,
            )
        )
    requests = list(selectors.requests_for_course(course)[:20])
    _audit_read(request, course, "measure_history", action=AuditAction.LIST)
    writable = can_write_course(actor=actor, course=course) and course.status == CourseStatus.ACTIVE
    return render(
        request,
        "measures/history.html",
        {
            "course": course,
            "client": course.client,
            "tables": sorted(tables.values(), key=lambda t: t.label),
            "due": selectors.measures_due(course),
            "requests": [
                {
                    "request": r,
                    "label": selectors.instrument_label(r.instrument_code, instruments),
                    "open": selectors.request_is_open(r),
                }
                for r in requests
            ],
            "can_write": writable,
        },
    )


# --- schedule ------------------------------------------------------------------------------------


@login_required
def schedule(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The course's questionnaire schedule: care team edits, supervisors read."""
    actor = _actor(request)
    if request.method == "POST":
        course = course_get_for_writing(actor=actor, public_id=public_id)
    else:
        course = course_get_for_actor(actor=actor, public_id=public_id)
    instruments = selectors.instruments_for_practice(
        course.practice, language=course.client.language
    )
    entries = selectors.schedule_for_course(course, instruments=instruments)
    current = {e.instrument_code: (e.every_n_sessions, e.active) for e in entries}
    administrable = {code: selectors.is_administrable(i) for code, i in instruments.items()}
    can_write = (
        can_write_course(actor=actor, course=course) and course.status == CourseStatus.ACTIVE
    )
    form = ScheduleForm(
        instruments, current, administrable, request.POST if request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        if course.status != CourseStatus.ACTIVE:
            messages.warning(request, CLOSED)
            return redirect("measures:schedule", public_id=course.public_id)
        status = 400
        parsed = form.parse()
        if parsed is not None:
            try:
                services.measure_schedule_set(
                    actor=actor,
                    course=course,
                    items=[
                        services.ScheduleItem(code, every, active) for code, every, active in parsed
                    ],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for code, errors in exc.error_dict.items():
                        form.errors[code] = " ".join(e.messages[0] for e in errors)
                else:
                    form.non_field_errors.extend(exc.messages)
            else:
                messages.success(request, "Schedule saved.")
                return redirect("measures:schedule", public_id=course.public_id)
    else:
        _audit_read(request, course, "measure_schedule")
    return render(
        request,
        "measures/schedule.html",
        {
            "course": course,
            "client": course.client,
            "form": form,
            "rows": form.rows(),
            "entries": [
                (e, selectors.instrument_label(e.instrument_code, instruments)) for e in entries
            ],
            "is_default": bool(entries) and not entries[0].stored,
            "due": selectors.measures_due(course),
            "can_write": can_write,
            "waiting": [i for i in instruments.values() if not administrable[i.code]],
        },
        status=status,
    )


# --- sending to the portal -----------------------------------------------------------------------


@login_required
def send(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Send a questionnaire to the client's portal, open for a number of days."""
    actor = _actor(request)
    course = course_get_for_writing(actor=actor, public_id=public_id)
    if course.status != CourseStatus.ACTIVE:
        messages.warning(request, CLOSED)
        return redirect("measures:history", public_id=course.public_id)
    instruments = selectors.instruments_for_practice(
        course.practice, language=course.client.language
    )
    choices, waiting = _instrument_choices(instruments)
    due_codes = [d.instrument_code for d in selectors.measures_due(course) if d.due_now]
    initial = {
        "valid_days": services.request_valid_days(),
        "instrument": due_codes[0] if due_codes else None,
    }
    form = SendRequestForm(request.POST or None, choices=choices, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.measure_request_create(
                    actor=actor,
                    course=course,
                    instrument_code=form.cleaned_data["instrument"],
                    valid_days=form.cleaned_data["valid_days"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request, "Sent. The questionnaire is waiting in the client's portal."
                )
                return redirect("measures:history", public_id=course.public_id)
    return render(
        request,
        "measures/send.html",
        {
            "course": course,
            "client": course.client,
            "form": form,
            "waiting": waiting,
            "has_portal": course.client.user_id is not None,
        },
        status=status,
    )


@login_required
@require_POST
def request_cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Withdraw a questionnaire still waiting in the client's portal."""
    actor = _actor(request)
    try:
        measure_request = MeasureRequest.objects.select_related("course").get(public_id=public_id)
    except (MeasureRequest.DoesNotExist, ValueError) as exc:
        raise Http404("No such questionnaire.") from exc
    # 404 for anyone who cannot see the course, 403 for readers who cannot write.
    course = course_get_for_writing(actor=actor, public_id=measure_request.course.public_id)
    try:
        services.measure_request_cancel(actor=actor, request=measure_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Withdrawn from the client's portal.")
    return redirect("measures:history", public_id=course.public_id)


# --- practice administration: instruments ---------------------------------------------------------


def _admin_practice(request: HttpRequest) -> Practice:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    if practice is None or not practice_policies.can_manage_members(
        request.roles.in_practice(practice.pk)  # type: ignore[attr-defined]
    ):
        raise PermissionDenied
    return practice


def _practice_audit(request: HttpRequest, practice: Practice, what: str) -> None:
    record(
        actor=_actor(request),
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=practice.public_id,
        practice=practice,
    )


# The checkbox on the instruments page that lets clients see their own scores.
CLIENT_SCORES_FIELD = "clients_see_own_scores"


@login_required
def instrument_list(request: HttpRequest) -> HttpResponse:
    """Shipped instruments, the practice's own, and where licensed text stands."""
    practice = _admin_practice(request)
    _practice_audit(request, practice, "practice_instruments")
    return render(
        request,
        "measures/admin/instruments.html",
        {
            "practice": practice,
            "rows": selectors.instrument_catalogue_for_admin(practice),
            "scores_field": CLIENT_SCORES_FIELD,
        },
    )


@login_required
@require_POST
def client_scores_setting(request: HttpRequest) -> HttpResponse:
    """Turn the clients' view of their own score history on or off (a checkbox)."""
    practice = _admin_practice(request)
    allowed = request.POST.get(CLIENT_SCORES_FIELD) == "on"
    services.practice_client_scores_set(actor=_actor(request), practice=practice, allowed=allowed)
    if allowed:
        messages.success(request, "Clients now see their own score history in the portal.")
    else:
        messages.success(request, "Clients no longer see their score history in the portal.")
    return redirect("measures:instruments")


@login_required
def instrument_upload(request: HttpRequest) -> HttpResponse:
    """Add the practice's own instrument from a JSON definition; every problem listed."""
    practice = _admin_practice(request)
    form = DefinitionUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = services.practice_instrument_upload(
                    actor=_actor(request), practice=practice, definition_json=form.payload()
                )
            except ValidationError as exc:
                problems = list(exc.messages)
            else:
                messages.success(request, f"Instrument “{row.code}” version {row.version} added.")
                return redirect("measures:instruments")
    return render(
        request,
        "measures/admin/upload.html",
        {"practice": practice, "form": form, "problems": problems},
        status=status,
    )


@login_required
def licensed_text(request: HttpRequest) -> HttpResponse:
    """Load the licensed wording of EPDS or PHQ-A for this practice."""
    practice = _admin_practice(request)
    choices = [(i.code, f"{i.short_title} — {i.title}") for i in selectors.unlicensed_instruments()]
    form = LicensedTextForm(request.POST or None, choices=choices)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = services.licensed_text_load(
                    actor=_actor(request),
                    practice=practice,
                    instrument_code=form.cleaned_data["instrument"],
                    texts_json=form.cleaned_data["texts"],
                )
            except ValidationError as exc:
                problems = list(exc.messages)
            else:
                label = selectors.instrument_label(row.instrument_code)
                messages.success(request, f"Licensed text for the {label} loaded.")
                return redirect("measures:instruments")
    templates = {i.code: selectors.missing_text_keys(i) for i in selectors.unlicensed_instruments()}
    return render(
        request,
        "measures/admin/licensed_text.html",
        {"practice": practice, "form": form, "problems": problems, "keys": templates},
        status=status,
    )
