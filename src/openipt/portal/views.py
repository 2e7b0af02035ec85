"""Client-facing pages. Clients see their own record and nothing of anyone else's.

The home page says where the client is in their course and what is waiting
for them, and always shows the way to crisis help and their safety plan.
Blocks from the messaging and appointments apps are shown through their own
partials and selectors.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from openipt.accounts.models import User
from openipt.appointments.selectors import next_appointment_for_client
from openipt.courses.models import ExperimentStatus
from openipt.courses.selectors import client_portal as course_portal
from openipt.diary import selectors as diary_selectors
from openipt.messaging.selectors import unread_count_for_client
from openipt.portal.progress import progress_words
from openipt.practice import selectors, services


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    services.client_record_viewed(actor=user, client=client, what="portal_home")
    progress = course_portal.course_progress_for_client(client=client)
    course = progress.course if progress is not None else None
    plan = course_portal.plan_for_client(client=client, course=course) if course else None
    experiments = course_portal.experiments_for_client(client=client)
    context: dict[str, Any] = {
        "client": client,
        "care_team": selectors.care_team_for_client(client=client),
        "progress": progress_words(progress),
        "agreement_asked": plan is not None and plan.agreement_asked,
        "experiments_to_try": [
            e
            for e in experiments
            if e.status == ExperimentStatus.ASSIGNED and course_portal.experiment_is_reportable(e)
        ],
        "diary_today": diary_selectors.entry_for_day(client=client, day=timezone.localdate()),
        # For the messaging and appointments apps' own partials.
        "unread_count": unread_count_for_client(client=client),
        "next_appointment": next_appointment_for_client(client=client),
    }
    return render(request, "portal/home.html", context)
