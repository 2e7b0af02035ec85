"""Practice admin pages: the people of a practice and their roles."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.practice import policies, selectors, services
from openipt.practice.models import Practice


def _admin_practice(request: HttpRequest) -> Practice:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    if practice is None or not policies.can_manage_members(
        request.roles.in_practice(practice.pk)  # type: ignore[attr-defined]
    ):
        raise PermissionDenied
    return practice


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    practice = _admin_practice(request)
    actor: User = request.user  # type: ignore[assignment]
    memberships = list(selectors.memberships_for_admin(actor=actor, practice=practice))
    people: dict[int, dict[str, object]] = {}
    for membership in memberships:
        entry = people.setdefault(membership.user_id, {"user": membership.user, "memberships": []})
        entry["memberships"].append(membership)  # type: ignore[attr-defined]
    return render(
        request,
        "practice/manage/members.html",
        {"people": list(people.values()), "practice": practice},
    )


@login_required
@require_POST
def member_toggle(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Suspend or restore one role. Suspension takes effect on the person's next request."""
    practice = _admin_practice(request)
    actor: User = request.user  # type: ignore[assignment]
    membership = selectors.membership_get_for_admin(
        actor=actor, practice=practice, public_id=public_id
    )
    make_active = request.POST.get("active") == "1"
    try:
        services.membership_set_active(actor=actor, membership=membership, active=make_active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        verb = "restored" if make_active else "suspended"
        messages.success(
            request, f"{membership.get_role_display()} role of {membership.user} {verb}."
        )
    return redirect("manage:members")
