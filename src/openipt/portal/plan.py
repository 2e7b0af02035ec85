"""My plan: the formulation, focus, goals and contract, and agreeing to the contract.

What the client reads here is what the clinician wrote for them; nothing
written for the clinical team (process notes, session write-ups) is read.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.courses.selectors import client_portal as course_portal
from openipt.courses.services import client_portal as course_portal_services
from openipt.portal.progress import focus_phrase, progress_words
from openipt.practice import selectors, services


@login_required
def my_plan(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    services.client_record_viewed(actor=user, client=client, what="portal_plan")
    progress = course_portal.course_progress_for_client(client=client)
    plan = (
        course_portal.plan_for_client(client=client, course=progress.course)
        if progress is not None
        else None
    )
    return render(
        request,
        "portal/plan.html",
        {
            "client": client,
            "progress": progress_words(progress),
            "plan": plan,
            "focus": [focus_phrase(f) for f in plan.focus] if plan else [],
        },
    )


@login_required
@require_POST
def contract_agree(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    contract = course_portal.contract_get_for_client(client=client, public_id=public_id)
    try:
        course_portal_services.contract_agree_by_client(actor=user, contract=contract)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Thank you. Your agreement is recorded."))
    return redirect("portal:plan")
