"""Invitations: the only way a person joins a practice (accounts.services and accounts.views)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts import services
from openipt.accounts.models import Invitation, InvitationStatus, User
from openipt.accounts.views import SESSION_INVITATION_TOKEN
from openipt.audit.models import AuditAction, AuditEvent
from openipt.practice.models import Client, Membership, Role
from openipt.practice.services import client_archive, client_create
from tests.factories import CareTeamMemberFactory, ClientFactory
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]
Capture = Any  # pytest-django's django_capture_on_commit_callbacks

GOOD_PASSWORD = "a long and unusual passphrase 9"
LINK = re.compile(r"http://testserver/invitation/([A-Za-z0-9_\-]+)/")


def invite_staff(
    http: HttpClient, capture: Capture, *, email: str, role: str = Role.CLINICIAN
) -> str:
    """Send a staff invitation through the page; return the raw token from the e-mail."""
    with capture(execute=True):
        response = http.post(
            reverse("manage:invite"), {"full_name": "Nina New", "email": email, "role": role}
        )
    assert response.status_code == 302, response.content.decode()
    message = mail.outbox[-1]
    assert message.to == [email]
    match = LINK.search(str(message.body))
    assert match, message.body
    return match.group(1)


def open_link(http: HttpClient, token: str) -> Any:
    return http.get(reverse("invitation_open", kwargs={"token": token}))


def accept(http: HttpClient, token: str, password: str = GOOD_PASSWORD) -> Any:
    response = open_link(http, token)
    assert response.status_code == 302
    return http.post(
        reverse("invitation_accept"),
        {"full_name": "Nina New", "password1": password, "password2": password},
    )


# --- Sending ---------------------------------------------------------------


def test_admin_invites_staff_and_the_email_names_neither_practice_nor_role(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN a practice admin WHEN they invite a clinician through the page
    THEN one e-mail goes out with a link, and neither the practice name nor the role
    appears in its subject or body (promise 10: no PHI in e-mails)."""
    http = client_for(world.admin)
    token = invite_staff(http, django_capture_on_commit_callbacks, email="nina@example.test")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    text = f"{message.subject}\n{message.body}".lower()
    for secret in ("riverside", "hillside", "clinician", "clinic", "therapy", "nina new"):
        assert secret not in text, secret
    invitation = Invitation.objects.get(email="nina@example.test")
    assert invitation.role == Role.CLINICIAN
    assert invitation.practice == world.practice_a
    assert invitation.status == InvitationStatus.PENDING
    assert token
    assert AuditEvent.objects.filter(action=AuditAction.INVITE, actor=world.admin).exists()


def test_only_a_digest_of_the_token_is_stored(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an invitation just sent WHEN the database is searched for the raw token
    THEN it is found nowhere; the row holds its SHA-256 digest only."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    invitation = Invitation.objects.get(email="nina@example.test")
    assert invitation.token_digest == services.token_digest(token)
    assert invitation.token_digest != token
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    assert token not in str(value), f"raw token found in {table}.{column}"


def test_a_new_invitation_replaces_the_pending_one(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    http = client_for(world.admin)
    first = invite_staff(http, django_capture_on_commit_callbacks, email="nina@example.test")
    second = invite_staff(http, django_capture_on_commit_callbacks, email="nina@example.test")
    assert open_link(HttpClient(), first).status_code == 404
    assert open_link(HttpClient(), second).status_code == 302


def test_clinician_cannot_invite_staff(world: World, client_for: ClientFor) -> None:
    """GIVEN a clinician (not an admin) WHEN they open or post the staff invitation page
    THEN they get 403 and nothing is sent."""
    http = client_for(world.clinician)
    assert http.get(reverse("manage:invite")).status_code == 403
    response = http.post(
        reverse("manage:invite"),
        {"full_name": "Eve", "email": "eve@example.test", "role": Role.PRACTICE_ADMIN},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_clinician_cannot_invite_a_client_they_cannot_see(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN Alice, whose care team does not include the colleague clinician
    WHEN the colleague tries to invite Alice to the portal THEN 404, as for a missing id."""
    url = reverse("manage:invite_client", kwargs={"client_id": world.client_1.public_id})
    http = client_for(world.colleague)
    assert http.get(url).status_code == 404
    assert http.post(url, {"email": "alice.new@example.test"}).status_code == 404
    other_practice = reverse("manage:invite_client", kwargs={"client_id": world.client_b.public_id})
    assert client_for(world.clinician).get(other_practice).status_code == 404
    assert not Invitation.objects.exists()


def test_service_refuses_staff_invitation_from_a_clinician(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=world.clinician,
            practice=world.practice_a,
            email="x@example.test",
            role=Role.SUPERVISOR,
            base_url="http://testserver/",
        )


# --- Opening and accepting ---------------------------------------------------


def test_opening_the_link_moves_the_token_into_the_session(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an invitation link WHEN it is opened THEN the token goes into the session and
    the browser continues on a URL without it (no token in Referer headers or history)."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    http = HttpClient()
    response = open_link(http, token)
    assert response.status_code == 302
    assert response["Location"] == reverse("invitation_accept")
    assert token not in response["Location"]
    assert http.session[SESSION_INVITATION_TOKEN] == token
    page = http.get(reverse("invitation_accept"))
    assert page.status_code == 200
    assert token not in page.content.decode()


def test_accepting_creates_the_account_and_sends_staff_to_mfa_setup(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN a clinician invitation WHEN it is accepted with a good password
    THEN the user, the membership and a verified e-mail address exist, the person is
    signed in and sent straight to authenticator setup, and client data stays hidden."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    http = HttpClient()
    response = accept(http, token)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")

    user = User.objects.get(email="nina@example.test")
    assert user.full_name == "Nina New"
    assert user.check_password(GOOD_PASSWORD)
    assert Membership.objects.filter(
        user=user, practice=world.practice_a, role=Role.CLINICIAN, is_active=True
    ).exists()
    address = EmailAddress.objects.get(user=user)
    assert address.verified
    assert address.primary
    invitation = Invitation.objects.get(email="nina@example.test")
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == user
    assert SESSION_INVITATION_TOKEN not in http.session
    assert http.session["_auth_user_id"] == str(user.pk)

    # The setup page opens at once (no second password prompt) ...
    setup = http.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    assert "Set up an authenticator app" in setup.content.decode()
    # ... and nothing else does until it is done.
    assert http.get(reverse("clients:list"))["Location"] == reverse("mfa_required")


def test_a_link_works_only_once(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an accepted invitation WHEN its link is opened again THEN it is refused."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    accept(HttpClient(), token)
    again = open_link(HttpClient(), token)
    assert again.status_code == 404
    assert "no longer works" in again.content.decode()
    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept_new_account(
            token=token, full_name="Mallory", password=GOOD_PASSWORD
        )
    assert User.objects.filter(email="nina@example.test").count() == 1


def test_token_kept_in_a_second_browser_session_cannot_be_used_after_acceptance(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    slow = HttpClient()
    open_link(slow, token)
    accept(HttpClient(), token)
    response = slow.post(
        reverse("invitation_accept"),
        {"full_name": "Nina Again", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 404
    assert User.objects.filter(email="nina@example.test").count() == 1


def test_expired_link_fails(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an invitation past its expiry WHEN its link is opened THEN it is refused."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    Invitation.objects.filter(email="nina@example.test").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = open_link(HttpClient(), token)
    assert response.status_code == 404
    assert not User.objects.filter(email="nina@example.test").exists()


def test_expiry_between_opening_and_submitting_is_enforced(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    http = HttpClient()
    open_link(http, token)
    Invitation.objects.filter(email="nina@example.test").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = http.post(
        reverse("invitation_accept"),
        {"full_name": "Nina", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="nina@example.test").exists()


def test_revoked_link_fails(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an invitation revoked by the admin WHEN its link is opened THEN it is refused."""
    admin = client_for(world.admin)
    token = invite_staff(admin, django_capture_on_commit_callbacks, email="nina@example.test")
    invitation = Invitation.objects.get(email="nina@example.test")
    response = admin.post(
        reverse("manage:invitation_revoke", kwargs={"public_id": invitation.public_id})
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert open_link(HttpClient(), token).status_code == 404


def test_unknown_token_looks_like_any_unusable_link(db: None) -> None:
    response = open_link(HttpClient(), "made-up-token")
    assert response.status_code == 404
    assert "no longer works" in response.content.decode()
    assert HttpClient().get(reverse("invitation_accept")).status_code == 404


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1pass", "too short"),
        ("qwerty123456", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_on_acceptance(
    world: World,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: Capture,
    password: str,
    message: str,
) -> None:
    """GIVEN an invitation WHEN it is accepted with a password under 12 characters, a common
    password, or a numeric one THEN no account is created and the reason is shown."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    http = HttpClient()
    response = accept(http, token, password=password)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(email="nina@example.test").exists()
    assert Invitation.objects.get(email="nina@example.test").status == InvitationStatus.PENDING
    # The link still works for a second, better attempt.
    assert accept(http, token).status_code == 302


def test_accepted_password_is_hashed_with_argon2(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="nina@example.test"
    )
    accept(HttpClient(), token)
    assert User.objects.get(email="nina@example.test").password.startswith("argon2$")


# --- Client invitations --------------------------------------------------------


def test_client_invitation_links_the_record_and_opens_the_portal(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN Dana, a client of the clinician without a portal account
    WHEN the clinician invites her and she accepts THEN her Client record is linked to the
    new account and she lands on her portal home, with no MFA demanded."""
    dana: Client = ClientFactory(  # type: ignore[no-untyped-call,assignment]
        practice=world.practice_a, given_name="Dana", family_name="Doe", user=None
    )
    CareTeamMemberFactory(client=dana, user=world.clinician)  # type: ignore[no-untyped-call]
    clinician = client_for(world.clinician)
    url = reverse("manage:invite_client", kwargs={"client_id": dana.public_id})
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.post(url, {"email": "Dana.Doe@Example.test"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["dana.doe@example.test"]
    body = f"{message.subject}\n{message.body}"
    for secret in ("Dana", "Doe", "Riverside", "Clara", "client", "therapy"):
        assert secret not in body, secret
    match = LINK.search(str(message.body))
    assert match

    http = HttpClient()
    response = accept(http, match.group(1))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="dana.doe@example.test")
    dana.refresh_from_db()
    assert dana.user == user
    assert Membership.objects.filter(
        user=user, practice=world.practice_a, role=Role.CLIENT
    ).exists()

    landed = http.get(response["Location"], follow=True)
    assert landed.redirect_chain[-1][0] == reverse("portal:home")
    assert landed.status_code == 200
    assert "Dana" in landed.content.decode()


def test_client_who_already_has_an_account_cannot_be_invited_twice(
    world: World, client_for: ClientFor
) -> None:
    url = reverse("manage:invite_client", kwargs={"client_id": world.client_1.public_id})
    response = client_for(world.clinician).post(url, {"email": "alice.2@example.test"})
    assert response.status_code == 400
    assert "already has a portal account" in response.content.decode()
    assert not Invitation.objects.exists()


# --- Existing accounts ---------------------------------------------------------


def test_an_existing_account_must_sign_in_to_accept(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an invitation to practice A for the address of an existing account (Bea, of B)
    WHEN the link is opened without signing in THEN no account is made and no membership
    is added; the page asks her to sign in. Once signed in as Bea she can join."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email=world.clinician_b.email
    )
    anonymous = HttpClient()
    open_link(anonymous, token)
    page = anonymous.get(reverse("invitation_accept"))
    assert page.status_code == 200
    assert "Sign in to accept" in page.content.decode()
    response = anonymous.post(
        reverse("invitation_accept"),
        {"full_name": "Impostor", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert "Sign in to accept" in response.content.decode()
    assert User.objects.filter(email=world.clinician_b.email).count() == 1
    assert not Membership.objects.filter(user=world.clinician_b, practice=world.practice_a).exists()
    world.clinician_b.refresh_from_db()
    assert world.clinician_b.check_password("correct horse battery staple 42")

    bea = client_for(world.clinician_b)
    open_link(bea, token)
    assert "Join" in bea.get(reverse("invitation_accept")).content.decode()
    response = bea.post(reverse("invitation_accept"))
    assert response.status_code == 302
    assert Membership.objects.filter(
        user=world.clinician_b, practice=world.practice_a, role=Role.CLINICIAN, is_active=True
    ).exists()
    assert Invitation.objects.get(token_digest=services.token_digest(token)).accepted_by == (
        world.clinician_b
    )


def test_someone_else_signed_in_cannot_accept(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Capture
) -> None:
    """GIVEN an invitation for Bea's address WHEN another signed-in person opens it and
    posts THEN nothing is joined; for a brand-new address, no account is created either."""
    token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email=world.clinician_b.email
    )
    memberships_before = set(Membership.objects.values_list("pk", "user_id", "role", "is_active"))
    other = client_for(world.colleague)
    open_link(other, token)
    response = other.post(reverse("invitation_accept"))
    assert response.status_code == 200
    assert "for someone else" in response.content.decode()
    assert set(Membership.objects.values_list("pk", "user_id", "role", "is_active")) == (
        memberships_before
    )
    assert Invitation.objects.get(email=world.clinician_b.email).status == InvitationStatus.PENDING

    new_token = invite_staff(
        client_for(world.admin), django_capture_on_commit_callbacks, email="new.one@example.test"
    )
    open_link(other, new_token)
    response = other.post(
        reverse("invitation_accept"),
        {"full_name": "New One", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert "for someone else" in response.content.decode()
    assert not User.objects.filter(email="new.one@example.test").exists()
    assert other.session["_auth_user_id"] == str(world.colleague.pk)


def test_an_archived_client_cannot_be_invited_to_the_portal(world: World) -> None:
    """GIVEN an archived client record without a portal account
    WHEN their clinician tries to invite them to the portal
    THEN the invitation is refused: the record must be restored first."""
    client = client_create(
        actor=world.clinician,
        practice=world.practice_a,
        data={"given_name": "Ida", "family_name": "Ives", "date_of_birth": "1970-01-01"},
    )
    client_archive(actor=world.clinician, client=client)
    with pytest.raises(ValidationError, match="Restore this client record"):
        services.invitation_create(
            actor=world.clinician,
            practice=world.practice_a,
            email="ida@example.test",
            role=Role.CLIENT,
            client=client,
            base_url="http://testserver/",
        )
