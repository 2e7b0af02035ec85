"""Invitation pages (send, list, revoke, accept) and the MFA-required page."""

from __future__ import annotations

from uuid import UUID

from allauth.account.internal.flows.login import record_authentication
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from openipt.accounts import services
from openipt.accounts.forms import AcceptInvitationForm, ClientInvitationForm, StaffInvitationForm
from openipt.accounts.mfa import has_active_second_factor
from openipt.accounts.models import Invitation, User
from openipt.practice import policies, selectors
from openipt.practice.models import Practice, Role

SESSION_INVITATION_TOKEN = "openipt_invitation_token"  # noqa: S105 - a session key name


def _practice_for(request: HttpRequest, *, allowed: bool) -> Practice:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    if practice is None or not allowed:
        raise PermissionDenied
    return practice


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    practice = _practice_for(request, allowed=policies.can_manage_members(roles))
    invitations = (
        Invitation.objects.filter(practice=practice)
        .select_related("created_by", "accepted_by")
        .order_by("-created_at")[:200]
    )
    return render(
        request,
        "accounts/invitation_list.html",
        {"invitations": invitations, "practice": practice},
    )


@login_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    practice = _practice_for(request, allowed=policies.can_manage_members(roles))
    form = StaffInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_create(
            actor=request.user,  # type: ignore[arg-type]
            practice=practice,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            full_name=form.cleaned_data["full_name"],
            base_url=_base_url(request),
        )
        messages.success(request, "Invitation sent. The link works once and expires in a week.")
        return redirect("manage:invitations")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation_form.html", {"form": form}, status=status)


@login_required
def invitation_create_for_client(request: HttpRequest, client_id: UUID) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    client = selectors.client_get_for_actor(actor=actor, public_id=client_id)
    roles = request.roles.in_practice(client.practice_id)  # type: ignore[attr-defined]
    if not policies.can_invite_client(roles):
        raise PermissionDenied
    form = ClientInvitationForm(request.POST or None, initial={"email": client.email})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.invitation_create(
                    actor=actor,
                    practice=client.practice,
                    email=form.cleaned_data["email"],
                    role=Role.CLIENT,
                    client=client,
                    base_url=_base_url(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Portal invitation sent.")
                return redirect("clients:detail", public_id=client.public_id)
    return render(
        request,
        "accounts/invitation_client_form.html",
        {"form": form, "client": client},
        status=status,
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    if practice is None:
        raise Http404
    invitation = Invitation.objects.filter(practice=practice, public_id=public_id).first()
    if invitation is None:
        raise Http404
    services.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
    messages.success(request, "Invitation revoked.")
    return redirect("manage:invitations")


@never_cache
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """Move the token from the URL into the session, then continue on a token-free URL.

    Like Django's password reset, this keeps the secret out of the Referer
    header and out of any later request line.
    """
    try:
        services.invitation_for_token(token)
    except services.InvitationUnusable:
        return render(request, "accounts/invitation_unusable.html", status=404)
    request.session[SESSION_INVITATION_TOKEN] = token
    return redirect("invitation_accept")


@never_cache
def invitation_accept(request: HttpRequest) -> HttpResponse:
    token = request.session.get(SESSION_INVITATION_TOKEN, "")
    try:
        invitation = services.invitation_for_token(token) if token else None
    except services.InvitationUnusable:
        invitation = None
    if invitation is None:
        return render(request, "accounts/invitation_unusable.html", status=404)

    existing = User.objects.filter(email__iexact=invitation.email).exists()
    if existing:
        return _accept_with_existing_account(request, token, invitation)
    if request.user.is_authenticated:
        # Someone else is signed in on this browser: creating the invited
        # account would silently switch their session to a new person.
        return render(request, "accounts/invitation_wrong_account.html", {"invitation": invitation})

    form = AcceptInvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.invitation_accept_new_account(
                    token=token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                )
            except ValidationError as exc:
                form.add_error("password1", exc)
            except services.InvitationUnusable:
                return render(request, "accounts/invitation_unusable.html", status=404)
            else:
                request.session.pop(SESSION_INVITATION_TOKEN, None)
                login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
                messages.success(request, "Welcome to OpenIPT. Your account is ready.")
                if invitation.role == Role.CLIENT:
                    return redirect("home")
                # Staff see no client data without a second factor: go straight
                # to setting one up. The password was typed in this very request,
                # so it counts as the fresh confirmation allauth asks for first.
                record_authentication(
                    request, user, method="password", email=user.email, reauthenticated=True
                )
                return redirect("mfa_activate_totp")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation, "is_staff_role": invitation.role != Role.CLIENT},
        status=status,
    )


def _accept_with_existing_account(
    request: HttpRequest, token: str, invitation: Invitation
) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "accounts/invitation_sign_in.html", {"invitation": invitation})
    if user.email.lower() != invitation.email.lower():
        return render(request, "accounts/invitation_wrong_account.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            services.invitation_accept_existing_account(token=token, user=user)
        except services.InvitationUnusable:
            return render(request, "accounts/invitation_unusable.html", status=404)
        request.session.pop(SESSION_INVITATION_TOKEN, None)
        messages.success(request, f"You have joined {invitation.practice.name}.")
        return redirect("home")
    return render(request, "accounts/invitation_join.html", {"invitation": invitation})


@login_required
def mfa_required(request: HttpRequest) -> HttpResponse:
    if has_active_second_factor(request.user):  # type: ignore[arg-type]
        return redirect("home")
    return render(request, "accounts/mfa_required.html")
