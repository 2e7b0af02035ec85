"""The facilitator's home and group pages: their groups, the waiting list, forming and starting.

The home page and forming a group belong to facilitators at the site they are
working in (403 for every other role). A group page is read by its facilitator
and their supervisors; anyone else gets the same 404 as for a missing group.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.forms_members import GroupForm, StartForm
from openipt.groups.models import Group, GroupStatus, Programme
from openipt.groups.selectors.access import can_run_group, group_get_for_actor
from openipt.groups.selectors.members import facilitator_home as home_page
from openipt.groups.selectors.members import group_page
from openipt.groups.services.members import group_create as create_group
from openipt.groups.services.members import group_start as start_group
from openipt.groups.views._common import actor_of, current_practice, current_roles
from openipt.groups.views.members import UNPROCESSABLE, add_service_errors
from openipt.groups.views.supervision import group_notes_context
from openipt.practice.models import Practice, Role


def _facilitator_site(request: HttpRequest) -> Practice:
    practice = current_practice(request)
    if practice is None or Role.FACILITATOR not in current_roles(request):
        raise PermissionDenied
    return practice


@login_required
def facilitator_home(request: HttpRequest) -> HttpResponse:
    """The facilitator's groups at this site and the people waiting for a group."""
    practice = _facilitator_site(request)
    actor = actor_of(request)
    page = home_page(actor=actor, practice=practice)
    record(
        actor=actor,
        action=AuditAction.LIST,
        object_type="group_facilitator_home",
        practice=practice,
    )
    return render(request, "groups/facilitator_home.html", {"page": page})


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    """Form a new group: the programme, a name, and who it is for when groups are separated."""
    practice = _facilitator_site(request)
    actor = actor_of(request)
    programmes = list(Programme.objects.filter(is_active=True, sites__practice=practice))
    if request.method != "POST":
        return _render_group_form(request, GroupForm(programmes=programmes), programmes)
    form = GroupForm(request.POST, programmes=programmes)
    if not programmes:
        return _render_group_form(request, form, programmes, status=400)
    if not form.is_valid():
        return _render_group_form(request, form, programmes, status=UNPROCESSABLE)
    try:
        group = create_group(
            actor=actor,
            programme=form.chosen_programme(),
            practice=practice,
            name=form.cleaned_data["name"],
            composition_label=form.cleaned_data.get("composition_label") or "",
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_group_form(request, form, programmes, status=UNPROCESSABLE)
    messages.success(request, "The group is formed. Place members in it from their pages.")
    return redirect("groups:group_detail", public_id=group.public_id)


def _render_group_form(
    request: HttpRequest, form: GroupForm, programmes: list[Programme], *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "groups/group_form.html",
        {"form": form, "programmes": programmes},
        status=status,
    )


def _render_group(
    request: HttpRequest,
    group: Group,
    *,
    start_form: StartForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    page = group_page(group=group)
    can_run = can_run_group(actor=actor, group=group)
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="group",
        object_public_id=group.public_id,
        practice=group.practice,
    )
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            "page": page,
            "row": page.row,
            "can_run": can_run,
            "can_record": can_run
            and group.status == GroupStatus.RUNNING
            and page.row.next_number is not None,
            "can_start": can_run and group.status == GroupStatus.FORMING,
            "start_form": start_form or StartForm(initial={"started_on": timezone.localdate()}),
            "error": error,
            **group_notes_context(request, group),
        },
        status=status,
    )


@login_required
def group_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    group = group_get_for_actor(actor=actor_of(request), public_id=public_id)
    return _render_group(request, group)


@login_required
@require_POST
def group_start(request: HttpRequest, public_id: str) -> HttpResponse:
    """Start a forming group once it has enough members."""
    actor = actor_of(request)
    group = group_get_for_actor(actor=actor, public_id=public_id)
    if not can_run_group(actor=actor, group=group):
        raise PermissionDenied
    form = StartForm(request.POST)
    if not form.is_valid():
        return _render_group(request, group, start_form=form, status=UNPROCESSABLE)
    try:
        start_group(actor=actor, group=group, started_on=form.cleaned_data["started_on"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_group(request, group, start_form=form, status=400)
    messages.success(request, "The group has started. Record each meeting from this page.")
    return redirect("groups:group_detail", public_id=group.public_id)
