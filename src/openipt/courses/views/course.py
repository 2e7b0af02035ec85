"""Course pages: caseload, start, overview, plan, tasks, phases, formulation, focus,
goals, contract, close. Thin: selectors read, services write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import selectors
from openipt.courses.forms import (
    AdvanceForm,
    ContractForm,
    CourseStartForm,
    FocusFormSet,
    FocusReasonForm,
    FormulationForm,
    GoalForm,
    PlanForm,
)
from openipt.courses.models import Contract, Course, CourseStatus, FocusArea, Goal
from openipt.courses.overdue import overdue_items
from openipt.courses.policies import can_start_course
from openipt.courses.selectors.caseload import caseload_for_actor
from openipt.courses.selectors.sessions import drafts_for
from openipt.courses.services import course as course_services
from openipt.courses.services import formulation as formulation_services
from openipt.courses.services.drafts import drafts_discard
from openipt.courses.state import course_state, latest_measure_session
from openipt.measures.chart_data import (
    CaseloadScore,
    caseload_score,
    course_progress,
    recovery_parameters_for,
)
from openipt.measures.selectors import instruments_for_practice, measures_due
from openipt.practice import selectors as practice_selectors
from openipt.practice.models import CareTeamRole, Practice, Role
from openipt.protocol.engine import advance_decision, agenda_for, gate_status
from openipt.protocol.phases import Phase
from openipt.protocol.problem_areas import label_for
from openipt.protocol.tasks import TaskCode, tasks_for
from openipt.protocol.variants import Variant, get_variant
from openipt.safety.selectors import open_alerts_for_home, unacknowledged_alerts_for_client


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _viewed(request: HttpRequest, course: Course, what: str) -> None:
    record(
        actor=_actor(request),
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def area_label(course: Course, code: str) -> str:
    return label_for(code, course.practice.problem_area_labels or None)


# --- caseload -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    course: Course
    overdue: list[str]
    days_since: int | None
    variant: Variant
    score: CaseloadScore | None


def _caseload_scores(courses: list[Course], practice: Practice) -> dict[int, CaseloadScore]:
    """Latest score, change and on-track status per course, from the numbers
    `caseload_for_actor` annotated.

    Three queries whatever the number of courses (the practice's instruments and
    calibrations); a course without scores, or with an instrument the practice
    no longer has, gets none.
    """
    instruments = instruments_for_practice(practice)

    def annotated(course: Course, name: str) -> Any:
        return getattr(course, name, None)

    used = {annotated(c, "score_instrument") for c in courses} & set(instruments)
    parameters = recovery_parameters_for(practice, [instruments[code] for code in sorted(used)])
    scores: dict[int, CaseloadScore] = {}
    for course in courses:
        code = annotated(course, "score_instrument")
        if code not in used or annotated(course, "latest_total") is None:
            continue
        scores[course.pk] = caseload_score(
            instruments[code],
            parameters[code],
            baseline=annotated(course, "baseline_total"),
            baseline_session=annotated(course, "baseline_session"),
            latest=annotated(course, "latest_total"),
            latest_session=annotated(course, "latest_session"),
            count=annotated(course, "score_count") or 0,
        )
    return scores


@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    if practice is None or not roles & {Role.CLINICIAN, Role.SUPERVISOR}:
        raise PermissionDenied
    courses = list(caseload_for_actor(actor=_actor(request), practice=practice))
    scores = _caseload_scores(courses, practice)
    today = timezone.localdate()
    phase_filter = request.GET.get("phase", "")
    only_overdue = request.GET.get("overdue") == "1"
    rows: list[CaseloadRow] = []
    for course in courses:
        items = overdue_items(course, today=today)
        if phase_filter and course.phase != phase_filter:
            continue
        if only_overdue and not items:
            continue
        last_date = getattr(course, "last_session_date", None)
        rows.append(
            CaseloadRow(
                course=course,
                overdue=items,
                days_since=(today - last_date).days if last_date else None,
                variant=get_variant(course.variant),
                score=scores.get(course.pk),
            )
        )
    sort = request.GET.get("sort", "")
    order = {Phase.INITIAL: 0, Phase.MIDDLE: 1, Phase.TERMINATION: 2}
    if sort == "name":
        rows.sort(key=lambda r: (r.course.client.family_name, r.course.client.given_name))
    elif sort == "overdue":
        rows.sort(key=lambda r: -len(r.overdue))
    elif sort == "phase":
        rows.sort(key=lambda r: order[Phase(r.course.phase)])
    record(
        actor=_actor(request), action=AuditAction.LIST, object_type="caseload", practice=practice
    )
    return render(
        request,
        "courses/caseload.html",
        {
            "rows": rows,
            "phase_filter": phase_filter,
            "only_overdue": only_overdue,
            "sort": sort,
            "phases": list(Phase),
            # The safety loop's promise: an open alert is on the home page at once.
            "open_alerts": open_alerts_for_home(actor=_actor(request), practice=practice),
        },
    )


# --- start and overview ----------------------------------------------------------------


@login_required
def course_start(request: HttpRequest, client_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = practice_selectors.client_get_for_actor(actor=actor, public_id=client_id)
    roles = request.roles.in_practice(client.practice_id)  # type: ignore[attr-defined]
    if not (
        can_start_course(roles)
        and client.care_team.filter(user=actor, role=CareTeamRole.CLINICIAN).exists()
    ):
        raise PermissionDenied
    form = CourseStartForm(
        request.POST or None,
        initial={
            "variant": "ipt16",
            "planned_sessions": 16,
            "frequency": "weekly",
            "session_minutes": 50,
            "start_date": timezone.localdate(),
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                course = course_services.course_start(
                    actor=actor, client=client, **form.course_start_arguments()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Course started. Begin with the initial phase tasks.")
                return redirect("courses:overview", public_id=course.public_id)
    variants = [get_variant(code) for code, _ in form.fields["variant"].choices]  # type: ignore[attr-defined]
    return render(
        request,
        "courses/start.html",
        {"form": form, "client": client, "variants": variants},
        status=status,
    )


# Pages of the course record kept by other modules, linked from the overview when
# they exist: (label, URL name). The first one found for each label is used.
COURSE_RECORD_LINKS = (
    ("sessions_new", ("courses:session_new", "courses:session_create")),
    ("Sessions", ("courses:sessions", "courses:session_list")),
    ("Interpersonal inventory", ("courses:inventory", "courses:inventory_list")),
    ("Closeness circle", ("courses:circle",)),
    ("Timeline", ("courses:timeline",)),
    ("Experiments", ("courses:experiments", "courses:experiment_list")),
    ("Medication", ("courses:medication", "courses:medication_list")),
    ("Questionnaires", ("measures:history",)),
    ("Mood diary", ("diary:course",)),
    ("Progress review", ("courses:termination", "courses:review")),
)
# The progress review belongs to the termination phase; it is not offered before.
LINKS_FOR_TERMINATION_ONLY = frozenset({"Progress review"})
# Pages that exist only to write: a reader (a supervisor) reads what they hold
# elsewhere (the progress review on the course summary).
LINKS_FOR_WRITERS_ONLY = frozenset({"sessions_new", "Progress review"})


def _course_links(course: Course, *, can_write: bool) -> dict[str, str]:
    links: dict[str, str] = {}
    for label, names in COURSE_RECORD_LINKS:
        if label in LINKS_FOR_TERMINATION_ONLY and course.phase != Phase.TERMINATION:
            continue
        if label in LINKS_FOR_WRITERS_ONLY and not can_write:
            continue
        for name in names:
            try:
                links[label] = reverse(name, kwargs={"public_id": course.public_id})
            except NoReverseMatch:
                continue
            break
    # The safety plan belongs to the client, not the course, but is read from here.
    links["Safety plan"] = reverse("safety:plan", kwargs={"client_id": course.client.public_id})
    return links


def _overview_context(course: Course, *, can_write: bool) -> dict[str, Any]:
    state = course_state(course)
    variant = get_variant(course.variant)
    next_number = state.last_session_number + 1
    tasks = tasks_for(Phase(course.phase), variant.features)
    # The ending is raised in the middle phase, 2–4 sessions before it ends:
    # offer that termination task on the overview as soon as it is due.
    ending_due = (
        course.phase == Phase.MIDDLE
        and course.planned_sessions is not None
        and course.middle_last - state.last_session_number <= 4
    )
    if ending_due:
        tasks = tuple(
            t
            for t in tasks_for(Phase.TERMINATION, variant.features)
            if t.code == TaskCode.ENDING_RAISED
        )
    total = course.planned_sessions
    agenda = agenda_for(state, next_number) if not total or next_number <= total else ()
    focus = list(
        FocusArea.objects.filter(course=course, ended_at=None).select_related(
            "dispute_person", "grief_person"
        )
    )
    goals = list(Goal.objects.filter(course=course, ended_at=None).select_related("focus_area"))
    contract = course.contracts.order_by("-number").first()
    # A questionnaire in the record is the baseline: that tick is no longer the clinician's.
    measured = latest_measure_session(course) is not None
    links = _course_links(course, can_write=can_write)
    segments = []
    if total:
        for phase, first, last in (
            (Phase.INITIAL, 1, course.initial_last),
            (Phase.MIDDLE, course.initial_last + 1, course.middle_last),
            (Phase.TERMINATION, course.middle_last + 1, total),
        ):
            segments.append(
                {
                    "phase": phase,
                    "first": first,
                    "last": last,
                    "sessions": [
                        {"n": n, "held": n <= state.last_session_number}
                        for n in range(first, last + 1)
                    ],
                }
            )
    return {
        "course": course,
        "client": course.client,
        "variant": variant,
        "state": state,
        "phase": Phase(course.phase),
        "segments": segments,
        "tasks": [
            {
                "task": t,
                "done": t.code in state.done,
                "markable": t.code not in course_services.DERIVED_TASKS
                and not (t.code == TaskCode.BASELINE_MEASURE and measured),
            }
            for t in tasks
        ],
        "gate": gate_status(state),
        "decision": advance_decision(state),
        # Leaving the middle phase before the plan says so is possible (a
        # client may end early) but should not be the page's main button.
        "advance_is_early": course.phase == Phase.MIDDLE
        and course.planned_sessions is not None
        and state.last_session_number < course.middle_last,
        "agenda": agenda,
        "next_number": next_number,
        "focus": [{"row": f, "label": area_label(course, f.area)} for f in focus],
        "goals": goals,
        "formulation": course.formulations.order_by("-number").first(),
        "contract": contract,
        "transitions": course.transitions.select_related("by"),
        "plan_changes": course.boundary_changes.select_related("changed_by"),
        "is_closed": course.status == CourseStatus.CLOSED,
        "course_links": links,
        "progress": course_progress(course),
        "questionnaires_url": links.get("Questionnaires", ""),
        "due_measures": []
        if course.status == CourseStatus.CLOSED
        else [d for d in measures_due(course) if d.due_now],
    }


@login_required
def overview(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    _viewed(request, course, "course")
    can_write = selectors.can_write_course(actor=actor, course=course)
    context = _overview_context(course, can_write=can_write)
    context["can_write"] = can_write
    context["open_alerts"] = unacknowledged_alerts_for_client(actor=actor, client=course.client)
    return render(request, "courses/overview.html", context)


# --- plan, tasks, phases ------------------------------------------------------------------


@login_required
def change_plan(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    form = PlanForm(
        request.POST or None,
        initial={
            "planned_sessions": course.planned_sessions,
            "initial_last": course.initial_last,
            "middle_last": course.middle_last,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                course_services.course_change_plan(
                    actor=actor,
                    course=course,
                    planned_sessions=data["planned_sessions"],
                    initial_last=data["initial_last"],
                    middle_last=data["middle_last"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Plan changed. The reason is kept with the course.")
                return redirect("courses:overview", public_id=course.public_id)
    return render(
        request,
        "courses/plan.html",
        {"form": form, "course": course, "client": course.client},
        status=status,
    )


@login_required
@require_POST
def mark_task(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    try:
        course_services.course_mark_task(
            actor=actor,
            course=course,
            task=request.POST.get("task", ""),
            done=request.POST.get("done", "1") == "1",
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("courses:overview", public_id=course.public_id)
    return redirect("courses:overview", public_id=course.public_id)


@login_required
def advance(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    state = course_state(course)
    decision = advance_decision(state)
    form = AdvanceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                course = course_services.course_advance_phase(
                    actor=actor,
                    course=course,
                    override_reason=form.cleaned_data["override_reason"],
                )
            except ValidationError as exc:
                form.add_error("override_reason", exc)
            else:
                messages.success(
                    request, f"The course is now in the {Phase(course.phase).label.lower()}."
                )
                return redirect("courses:overview", public_id=course.public_id)
    return render(
        request,
        "courses/advance.html",
        {
            "form": form,
            "course": course,
            "client": course.client,
            "decision": decision,
            "gate": gate_status(state),
            "phase": Phase(course.phase),
        },
        status=status,
    )


# --- formulation, focus, goals, contract ---------------------------------------------------


FORMULATION_DRAFT_KEY = "formulation"


@login_required
def formulation(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The formulation, versioned; what is typed is autosaved as the author's draft."""
    actor = _actor(request)
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    can_write = selectors.can_write_course(actor=actor, course=course)
    versions = list(course.formulations.select_related("written_by"))
    latest = versions[0] if versions else None
    draft = drafts_for(actor=actor, course=course, prefix=FORMULATION_DRAFT_KEY).get(
        FORMULATION_DRAFT_KEY
    )
    # A draft counts only when it was typed after the newest saved version.
    if draft is not None and (
        not draft.text.strip() or (latest is not None and draft.updated_at <= latest.created_at)
    ):
        draft = None
    initial_text = draft.text if draft is not None else (latest.text if latest else "")
    form = FormulationForm(request.POST or None, initial={"text": initial_text})
    status = 200
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                formulation_services.formulation_save(
                    actor=actor, course=course, text=form.cleaned_data["text"]
                )
            except ValidationError as exc:
                form.add_error("text", exc)
            else:
                drafts_discard(actor=actor, course=course, prefix=FORMULATION_DRAFT_KEY)
                messages.success(request, "Formulation saved as a new version.")
                return redirect("courses:overview", public_id=course.public_id)
    else:
        _viewed(request, course, "formulation")
    return render(
        request,
        "courses/formulation.html",
        {
            "form": form,
            "course": course,
            "client": course.client,
            "versions": versions,
            "can_write": can_write,
            "restored": [draft] if draft is not None else [],
            "restored_at": draft.updated_at if draft is not None else None,
            "draft_prefix": FORMULATION_DRAFT_KEY,
        },
        status=status,
    )


def _people_choices(course: Course) -> list[tuple[str, str]]:
    return [(str(p.public_id), p.name) for p in course.inventory.filter(removed_at__isnull=True)]


@login_required
def focus(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    people = _people_choices(course)
    people_by_id = {p.public_id: p for p in course.inventory.filter(removed_at__isnull=True)}
    current = list(FocusArea.objects.filter(course=course, ended_at=None))
    initial = [
        {
            "area": f.area,
            "detail": f.detail,
            "dispute_stage": f.dispute_stage,
            "dispute_person": str(f.dispute_person.public_id) if f.dispute_person else "",
            "old_role": f.old_role,
            "new_role": f.new_role,
            "loss_date": f.loss_date,
            "grief_person": str(f.grief_person.public_id) if f.grief_person else "",
            "loss_is_death": f.loss_is_death,
        }
        for f in current
    ]
    formset = FocusFormSet(request.POST or None, initial=initial, form_kwargs={"people": people})
    reason_form = FocusReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if formset.is_valid() and reason_form.is_valid():
            choices = []
            for data in formset.cleaned_data:
                if not data.get("area"):
                    continue

                def person(key: str, data: dict[str, Any] = data) -> Any:
                    value = data.get(key)
                    return people_by_id.get(UUID(value)) if value else None

                choices.append(
                    formulation_services.FocusChoice(
                        area=data["area"],
                        detail=data.get("detail", ""),
                        dispute_person=person("dispute_person"),
                        dispute_stage=data.get("dispute_stage", ""),
                        old_role=data.get("old_role", ""),
                        new_role=data.get("new_role", ""),
                        grief_person=person("grief_person"),
                        loss_date=data.get("loss_date"),
                        loss_is_death=bool(data.get("loss_is_death")),
                    )
                )
            try:
                formulation_services.focus_set(
                    actor=actor,
                    course=course,
                    choices=choices,
                    reason=reason_form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                reason_form.add_error(None, exc)
            else:
                messages.success(request, "Focus saved.")
                return redirect("courses:overview", public_id=course.public_id)
    history = FocusArea.objects.filter(course=course, ended_at__isnull=False).order_by("-ended_at")
    return render(
        request,
        "courses/focus.html",
        {
            "formset": formset,
            "reason_form": reason_form,
            "course": course,
            "client": course.client,
            "needs_reason": bool(current) and course.phase != Phase.INITIAL,
            "history": [{"row": f, "label": area_label(course, f.area)} for f in history],
        },
        status=status,
    )


@login_required
def goals(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    current = list(FocusArea.objects.filter(course=course, ended_at=None))
    areas = [(str(f.public_id), area_label(course, f.area)) for f in current]
    form = GoalForm(request.POST or None, areas=areas)
    status = 200
    if request.method == "POST":
        if "end_goal" in request.POST:
            # A malformed id is "no such goal", never a server error.
            try:
                goal_id = UUID(request.POST["end_goal"])
            except ValueError:
                goal_id = None
            goal = (
                Goal.objects.filter(course=course, public_id=goal_id).first() if goal_id else None
            )
            if goal is not None:
                formulation_services.goal_end(actor=actor, goal=goal)
                messages.success(request, "Goal retired. It stays in the course record.")
            return redirect("courses:goals", public_id=course.public_id)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            area = next((f for f in current if str(f.public_id) == data["focus_area"]), None)
            try:
                formulation_services.goal_add(
                    actor=actor,
                    course=course,
                    text=data["text"],
                    focus_area=area,
                    rating_at_start=data["rating_at_start"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Goal added.")
                return redirect("courses:goals", public_id=course.public_id)
    goal_rows = Goal.objects.filter(course=course, ended_at=None).select_related("focus_area")
    return render(
        request,
        "courses/goals.html",
        {
            "form": form,
            "course": course,
            "client": course.client,
            "goals": [
                {"goal": g, "area": area_label(course, g.focus_area.area) if g.focus_area else ""}
                for g in goal_rows
            ],
        },
        status=status,
    )


@login_required
def contract(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    latest: Contract | None = course.contracts.order_by("-number").first()
    if request.method == "POST" and "agree" in request.POST:
        if latest is None:
            messages.error(request, "Write the contract first.")
        else:
            try:
                formulation_services.contract_record_agreement(actor=actor, contract=latest)
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, "The client's agreement is recorded.")
        return redirect("courses:contract", public_id=course.public_id)
    form = ContractForm(
        request.POST or None,
        initial={
            "sessions": latest.sessions if latest else course.planned_sessions,
            "frequency": latest.frequency if latest else course.frequency,
            "session_minutes": latest.session_minutes if latest else course.session_minutes,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                formulation_services.contract_propose(
                    actor=actor,
                    course=course,
                    sessions=data["sessions"],
                    frequency=data["frequency"],
                    session_minutes=data["session_minutes"],
                    notes=data["notes"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    "Contract written. Record the client's agreement when they have agreed to it.",
                )
                return redirect("courses:contract", public_id=course.public_id)
    focus = [
        area_label(course, code)
        for code in FocusArea.objects.filter(course=course, ended_at=None).values_list(
            "area", flat=True
        )
    ]
    return render(
        request,
        "courses/contract.html",
        {
            "form": form,
            "course": course,
            "client": course.client,
            "latest": latest,
            "versions": course.contracts.select_related("proposed_by", "agreement_recorded_by"),
            "focus": focus,
            "renegotiating": latest is not None and latest.is_agreed,
        },
        status=status,
    )


@login_required
@require_POST
def close(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    try:
        course_services.course_close(actor=actor, course=course)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Course closed. The record is kept in full.")
    return redirect("courses:overview", public_id=course.public_id)
