"""The settings page for personal access tokens: list, create (shown once) and revoke.

Staff only: a client gets 403 (the API serves clinical staff; clients have the
portal). Staff reach these pages only with MFA set up (the MFA middleware), so
every token is made by a signed-in, two-step-verified person.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.api import selectors, services
from openipt.api.forms import TokenCreateForm


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not services.may_have_tokens(user):
        raise PermissionDenied
    return user


def _end_of_day(day: datetime.date) -> datetime.datetime:
    start_next = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start_next)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = TokenCreateForm()
    new_token: str | None = None
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            day = form.cleaned_data["expires_on"]
            try:
                _row, new_token = services.api_token_create(
                    actor=user,
                    name=form.cleaned_data["name"],
                    expires_at=_end_of_day(day) if day else None,
                )
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    name = "expires_on" if field == "expires_at" else field
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                form = TokenCreateForm()
    response = render(
        request,
        "api/tokens.html",
        {
            "tokens": selectors.tokens_for_user(user=user),
            "form": form,
            "new_token": new_token,
            "now": timezone.now(),
        },
    )
    # The new token is in this page only: never cached, never kept in history.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user = _staff(request)
    token = selectors.token_get_for_owner(user=user, public_id=public_id)
    services.api_token_revoke(actor=user, token=token)
    messages.success(request, f"The token “{token.name}” was revoked: it no longer works.")
    return redirect("tokens:list")
