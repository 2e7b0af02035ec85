"""Attach the actor's roles and current practice to each request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from openipt.practice.models import Practice
from openipt.practice.roles import ActorRoles, roles_for

SESSION_PRACTICE_KEY = "openipt_practice"


class PracticeContextMiddleware:
    """Sets `request.roles`, `request.practices` and `request.practice`.

    The current practice is the one the person last switched to (kept in the
    session) if they still belong to it, otherwise their first practice. A
    removed membership therefore takes effect on the very next request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        roles = ActorRoles()
        practices: list[Practice] = []
        current: Practice | None = None
        if request.user.is_authenticated:
            roles = roles_for(request.user)
            if roles.by_practice:
                practices = list(
                    Practice.objects.filter(pk__in=roles.by_practice).select_related("organisation")
                )
                chosen = request.session.get(SESSION_PRACTICE_KEY)
                current = next((p for p in practices if str(p.public_id) == chosen), None)
                current = current or (practices[0] if practices else None)
        request.roles = roles  # type: ignore[attr-defined]
        request.practices = practices  # type: ignore[attr-defined]
        request.practice = current  # type: ignore[attr-defined]
        return self.get_response(request)
