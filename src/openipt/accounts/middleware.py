"""Session limits and the staff MFA requirement, enforced on every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from openipt.accounts.mfa import has_active_second_factor
from openipt.audit.models import AuditAction
from openipt.audit.services import record

SESSION_LOGIN_AT = "openipt_login_at"
SESSION_LAST_SEEN = "openipt_last_seen"
# Refreshing the idle clock costs a session write; doing it at most this often
# keeps the cost small without noticeably stretching the idle limit.
LAST_SEEN_RESOLUTION_SECONDS = 20


def idle_limit_seconds(*, is_staff: bool) -> int:
    minutes = settings.STAFF_IDLE_MINUTES if is_staff else settings.CLIENT_IDLE_MINUTES
    return int(minutes) * 60


class SessionTimeoutMiddleware:
    """Sign people out after idleness (staff 15 min, clients 30) or 12 h in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated and SESSION_KEY in request.session:
            # The session still names a user, but Django no longer accepts it:
            # the account was deactivated or deleted (a changed password is
            # already flushed by Django). Delete the session row now, so that
            # reactivating the account does not bring the old session back.
            request.session.flush()
        elif user.is_authenticated:
            now = time.time()
            login_at = float(request.session.get(SESSION_LOGIN_AT, now))
            last_seen = float(request.session.get(SESSION_LAST_SEEN, now))
            is_staff = request.roles.is_staff  # type: ignore[attr-defined]
            idle = now - last_seen > idle_limit_seconds(is_staff=is_staff)
            too_long = now - login_at > settings.SESSION_ABSOLUTE_HOURS * 3600
            if idle or too_long:
                return self._sign_out(request, idle=idle)
            request.session.setdefault(SESSION_LOGIN_AT, login_at)
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or (
                SESSION_LAST_SEEN not in request.session
            ):
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, *, idle: bool) -> HttpResponse:
        record(actor=request.user, action=AuditAction.TIMEOUT, object_type="session")  # type: ignore[arg-type]
        logout(request)
        messages.info(
            request,
            "You were signed out after a period of inactivity."
            if idle
            else "Your session reached its time limit. Please sign in again.",
        )
        return redirect_to(request, login_url_returning_to(request))


def login_url_returning_to(request: HttpRequest) -> str:
    """The sign-in URL, with `next` set to the page the person was looking at.

    For an htmx request that is the page in the address bar, not the partial
    that was fetched. POSTs are not replayed, so they get no `next`.
    """
    htmx = getattr(request, "htmx", None)
    page = htmx.current_url_abs_path if htmx else None
    if page is None and request.method == "GET" and not htmx:
        page = request.get_full_path()
    query = urlencode({"next": page}) if page else ""
    return reverse(settings.LOGIN_URL) + (f"?{query}" if query else "")


def redirect_to(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect the whole page: htmx would otherwise swap the target page into a fragment."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


# Pages a staff member without MFA may still reach: the ones needed to set it up.
MFA_SETUP_URL_NAMES = frozenset(
    {
        "account_logout",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "mfa_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_generate_recovery_codes",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_add_webauthn",
        "mfa_required",
    }
)


class StaffMfaRequiredMiddleware:
    """Staff see no client data until a second factor is active on their account."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and request.roles.is_staff  # type: ignore[attr-defined]
            and not self._is_setup_page(request)
            and not has_active_second_factor(request.user)
        ):
            return redirect_to(request, reverse("mfa_required"))
        return self.get_response(request)

    @staticmethod
    def _is_setup_page(request: HttpRequest) -> bool:
        if request.path_info.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name in MFA_SETUP_URL_NAMES
