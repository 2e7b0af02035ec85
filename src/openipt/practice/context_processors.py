from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from openipt.practice.models import Role


def practice_context(request: HttpRequest) -> dict[str, Any]:
    roles = getattr(request, "roles", None)
    practice = getattr(request, "practice", None)
    current_roles = roles.in_practice(practice.pk if practice else None) if roles else frozenset()
    return {
        "current_practice": practice,
        "my_practices": getattr(request, "practices", []),
        "current_roles": current_roles,
        "is_programme_manager": bool(roles and roles.managed_organisations),
        "Role": Role,
    }
