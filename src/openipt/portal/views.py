"""Client-facing pages. Clients see their own record and nothing of anyone else's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openipt.accounts.models import User
from openipt.practice import selectors, services


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    services.client_record_viewed(actor=user, client=client, what="portal_home")
    return render(
        request,
        "portal/home.html",
        {"client": client, "care_team": selectors.care_team_for_client(client=client)},
    )
