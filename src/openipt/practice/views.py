"""Staff pages for client records and the practice switcher (selectors read, services write)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.policies import can_start_course
from openipt.courses.selectors import courses_visible_to
from openipt.groups.selectors.supervision import has_supervisees
from openipt.practice import policies, selectors, services
from openipt.practice.forms import CareTeamAddForm, ClientForm, ClientSearchForm
from openipt.practice.middleware import SESSION_PRACTICE_KEY
from openipt.practice.models import (
    CareTeamMember,
    Client,
    Practice,
    PracticeKind,
    Role,
)
from openipt.safety.selectors import can_read_plan

CLIENTS_PER_PAGE = 25


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _current_roles(request: HttpRequest) -> frozenset[str]:
    practice = request.practice  # type: ignore[attr-defined]
    return request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined,no-any-return]


def _practice_roles(request: HttpRequest, practice_id: int) -> frozenset[str]:
    return request.roles.in_practice(practice_id)  # type: ignore[attr-defined,no-any-return]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the home of their main role in the current practice."""
    roles = _current_roles(request)
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    if (
        practice is not None
        and practice.kind == PracticeKind.GROUP_SITE
        and has_supervisees(actor=_actor(request), practice=practice)
    ):
        # At a group programme site a supervisor's work is their facilitators' groups.
        return redirect("groups:supervision_queue")
    if policies.can_list_clients(roles):
        if Role.PRACTICE_ADMIN in roles and not roles & {Role.CLINICIAN, Role.SUPERVISOR}:
            return redirect("manage:members")
        # Clinicians and supervisors start from the caseload of active courses.
        return redirect("courses:caseload")
    if Role.FACILITATOR in roles:
        return redirect("facilitator_home")
    if request.roles.managed_organisations:  # type: ignore[attr-defined]
        return redirect("programme_overview")
    if Role.CLIENT in roles:
        return redirect("portal:home")
    return render(request, "practice/no_role.html", status=403)


@login_required
@require_POST
def switch_practice(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("practice", "")
    practice = next((p for p in request.practices if str(p.public_id) == chosen), None)  # type: ignore[attr-defined]
    if practice is None:
        raise Http404("No such practice.")
    request.session[SESSION_PRACTICE_KEY] = str(practice.public_id)
    messages.success(request, f"You are now working in {practice.name}.")
    return redirect("home")


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = _current_roles(request)
    if practice is None or not policies.can_list_clients(roles):
        raise PermissionDenied
    form = ClientSearchForm(request.GET or None)
    search, include_archived = "", False
    if form.is_valid():
        search = form.cleaned_data["q"]
        include_archived = form.cleaned_data["archived"]
    clients = selectors.client_list_for_actor(
        actor=_actor(request), practice=practice, search=search, include_archived=include_archived
    )
    page = Paginator(clients, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    record(
        actor=_actor(request),
        action=AuditAction.LIST,
        object_type="client_list",
        practice=practice,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "practice/client_list.html",
        {
            "form": form,
            "page": page,
            "query_string": query.urlencode(),
            "can_create": policies.can_create_client(roles),
            "searching": bool(search),
        },
    )


@login_required
def client_create(request: HttpRequest) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    if practice is None or not policies.can_create_client(_current_roles(request)):
        raise PermissionDenied
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = services.client_create(
            actor=_actor(request), practice=practice, data=form.cleaned_data
        )
        messages.success(request, "Client record created.")
        return redirect("clients:detail", public_id=client.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "practice/client_form.html", {"form": form, "creating": True}, status=status
    )


@login_required
def client_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.client_get_for_actor(actor=actor, public_id=public_id)
    services.client_record_viewed(actor=actor, client=client)
    roles = _practice_roles(request, client.practice_id)
    courses = list(courses_visible_to(actor=actor).filter(client=client).order_by("-start_date"))
    return render(
        request,
        "practice/client_detail.html",
        {
            "client": client,
            "courses": courses,
            "can_start_course": can_start_course(roles)
            and not client.is_archived
            and not any(c.status == "active" for c in courses)
            and client.care_team.filter(user=actor, role="clinician").exists(),
            "care_team": selectors.care_team_for_client(client=client),
            "can_read_safety_plan": can_read_plan(actor=actor, client=client),
            "can_manage_care_team": policies.can_manage_care_team(roles),
            "can_archive": policies.can_archive_client(roles),
            "can_invite": policies.can_invite_client(roles)
            and client.user_id is None
            and not client.is_archived,
        },
    )


@login_required
def client_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.client_get_for_actor(actor=actor, public_id=public_id)
    if client.is_archived:
        messages.warning(request, "Restore this record before editing it.")
        return redirect("clients:detail", public_id=client.public_id)
    form = ClientForm(request.POST or None, instance=client, initial={"version": client.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            expected = form.cleaned_data.get("version") or client.version
            data = {name: form.cleaned_data[name] for name in services.CLIENT_EDITABLE_FIELDS}
            try:
                # The form has already written its values onto `client`;
                # the service re-reads the row, so it compares with the truth.
                services.client_update(
                    actor=actor, client=client, data=data, expected_version=expected
                )
            except services.StaleEditError:
                status = 409
                form.add_error(
                    None,
                    "Someone else saved this record while you were editing. Your changes "
                    "are still in the form below: compare them with the saved record, "
                    "then save again.",
                )
                # Offer the newest version so that a deliberate second save can succeed.
                refreshed = request.POST.copy()
                refreshed["version"] = str(Client.objects.get(pk=client.pk).version)
                form.data = refreshed
            else:
                messages.success(request, "Changes saved.")
                return redirect("clients:detail", public_id=client.public_id)
    return render(
        request,
        "practice/client_form.html",
        {"form": form, "client": client, "creating": False},
        status=status,
    )


@login_required
@require_POST
def client_archive(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.client_get_for_actor(actor=actor, public_id=public_id)
    services.client_archive(actor=actor, client=client)
    messages.success(request, "Client record archived. It is kept in full and can be restored.")
    return redirect("clients:detail", public_id=client.public_id)


@login_required
@require_POST
def client_restore(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.client_get_for_actor(actor=actor, public_id=public_id)
    services.client_restore(actor=actor, client=client)
    messages.success(request, "Client record restored.")
    return redirect("clients:detail", public_id=client.public_id)


@login_required
def client_care_team(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.client_get_for_actor(actor=actor, public_id=public_id)
    if not policies.can_manage_care_team(_practice_roles(request, client.practice_id)):
        raise PermissionDenied
    form = CareTeamAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            membership = (
                selectors.care_team_candidates(practice=client.practice)
                .filter(public_id=form.cleaned_data["membership"])
                .first()
            )
            if membership is None:
                form.add_error("membership", "Choose a clinician or supervisor of this practice.")
            else:
                try:
                    services.care_team_add(actor=actor, client=client, membership=membership)
                except ValidationError as exc:
                    form.add_error("membership", exc)
                else:
                    messages.success(request, f"{membership.user} joined the care team.")
                    return redirect("clients:care_team", public_id=client.public_id)
    team = selectors.care_team_for_client(client=client)
    on_team = {m.user_id for m in team}
    candidates = [
        m
        for m in selectors.care_team_candidates(practice=client.practice)
        if m.user_id not in on_team
    ]
    return render(
        request,
        "practice/care_team.html",
        {"client": client, "team": team, "candidates": candidates, "form": form},
        status=status,
    )


@login_required
@require_POST
def client_care_team_remove(request: HttpRequest, public_id: UUID, member_id: UUID) -> HttpResponse:
    actor = _actor(request)
    client = selectors.client_get_for_actor(actor=actor, public_id=public_id)
    if not policies.can_manage_care_team(_practice_roles(request, client.practice_id)):
        raise PermissionDenied
    member = CareTeamMember.objects.filter(client=client, public_id=member_id).first()
    if member is None:
        raise Http404("Not found.")
    services.care_team_remove(actor=actor, member=member)
    messages.success(request, "Removed from the care team. Their access ended immediately.")
    return redirect("clients:care_team", public_id=client.public_id)
