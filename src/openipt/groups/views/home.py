"""The facilitator's home: their groups and the people waiting for one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openipt.groups.views._common import current_roles
from openipt.practice.models import Role


@login_required
def facilitator_home(request: HttpRequest) -> HttpResponse:
    if Role.FACILITATOR not in current_roles(request):
        raise PermissionDenied
    return render(request, "groups/facilitator_home.html")
