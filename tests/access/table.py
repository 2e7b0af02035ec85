"""Who may reach each URL: the explicit table the access matrix test enforces.

Every URL pattern of the project must have an entry here; adding a page
without saying who may see it fails `test_every_url_pattern_has_an_entry`.
Outcomes are HTTP status codes, or LOGIN (redirected to sign in) / REDIRECT
(any other redirect, e.g. a successful POST).
"""

from __future__ import annotations

from typing import Any

from openipt.accounts.services import invitation_create
from openipt.practice.models import Role
from tests.access import (
    api_table,
    api_writes_records_table,
    api_writes_schedule_table,
    appointments_table,
    courses_table,
    groups_dashboard_table,
    groups_members_table,
    groups_sessions_table,
    groups_supervision_table,
    inventory_table,
    measures_table,
    messaging_table,
    portal_table,
    reports_pdf_table,
    reports_research_table,
    safety_table,
    sessions_table,
)
from tests.access.spec import (
    LOGIN,
    REDIRECT,
    ROLES,
    SIGNED_IN,
    STAFF_A,
    Entry,
    Outcome,
    outcomes,
)
from tests.world import World

__all__ = ["LOGIN", "REDIRECT", "ROLES", "SIGNED_IN", "STAFF_A", "TABLE", "Entry", "Outcome"]


def _client_1(world: World) -> dict[str, Any]:
    return {"public_id": world.client_1.public_id}


def _care_team_member(world: World) -> dict[str, Any]:
    member = world.client_1.care_team.get(user=world.clinician)
    return {"public_id": world.client_1.public_id, "member_id": member.public_id}


def _colleague_membership(world: World) -> dict[str, Any]:
    membership = world.colleague.memberships.get(practice=world.practice_a)
    return {"public_id": membership.public_id}


def _pending_invitation(world: World) -> dict[str, Any]:
    invitation, _ = invitation_create(
        actor=world.admin,
        practice=world.practice_a,
        email="new.person@example.test",
        role=Role.CLINICIAN,
        base_url="http://testserver/",
    )
    return {"public_id": invitation.public_id}


def _invitation_token(world: World) -> dict[str, Any]:
    _, token = invitation_create(
        actor=world.admin,
        practice=world.practice_a,
        email="another.person@example.test",
        role=Role.SUPERVISOR,
        base_url="http://testserver/",
    )
    return {"token": token}


# Clinical record pages: the client's care team, the practice's supervisor and
# admin see them; everyone else gets the same 404 as for a missing id.
RECORD_READERS = outcomes(404, clinician=200, supervisor=200, admin=200)
RECORD_WRITERS_POST = outcomes(404, clinician=REDIRECT, supervisor=REDIRECT, admin=REDIRECT)
ADMIN_ONLY = outcomes(403, admin=200)
# allauth pages for a signed-out visitor only: signed-in people are sent home.
SIGNED_OUT_PAGE = outcomes(REDIRECT, anonymous=200)

TABLE: dict[str, Entry] = {
    "home": Entry(outcomes(REDIRECT)),
    "healthz": Entry(outcomes(200, anonymous=200)),
    "switch_practice": Entry(
        outcomes(REDIRECT, clinician_b=404, client_b=404, programme_manager=404),
        method="POST",
        data=lambda w: {"practice": str(w.practice_a.public_id)},
    ),
    # --- client records -------------------------------------------------------
    "clients:list": Entry(
        outcomes(403, clinician=200, colleague=200, supervisor=200, admin=200, clinician_b=200)
    ),
    "clients:create": Entry(
        outcomes(403, clinician=200, colleague=200, supervisor=200, admin=200, clinician_b=200)
    ),
    "clients:detail": Entry(RECORD_READERS, args=_client_1),
    "clients:edit": Entry(RECORD_READERS, args=_client_1),
    "clients:access_log": Entry(RECORD_READERS, args=_client_1),
    "clients:archive": Entry(RECORD_WRITERS_POST, method="POST", args=_client_1),
    "clients:restore": Entry(RECORD_WRITERS_POST, method="POST", args=_client_1),
    "clients:care_team": Entry(
        outcomes(404, clinician=403, supervisor=200, admin=200), args=_client_1
    ),
    "clients:care_team_remove": Entry(
        outcomes(404, clinician=403, supervisor=REDIRECT, admin=REDIRECT),
        method="POST",
        args=_care_team_member,
    ),
    # --- practice administration -------------------------------------------------
    "manage:members": Entry(ADMIN_ONLY),
    "manage:member_toggle": Entry(
        outcomes(403, admin=REDIRECT),
        method="POST",
        args=_colleague_membership,
        data=lambda w: {"active": "0"},
    ),
    "manage:invitations": Entry(ADMIN_ONLY),
    "manage:invite": Entry(ADMIN_ONLY),
    "manage:invite_client": Entry(
        RECORD_READERS, args=lambda w: {"client_id": w.client_1.public_id}
    ),
    "manage:invitation_revoke": Entry(
        outcomes(403, admin=REDIRECT, clinician_b=404, client_b=404, programme_manager=404),
        method="POST",
        args=_pending_invitation,
    ),
    "manage:audit": Entry(ADMIN_ONLY),
    # --- role homes -----------------------------------------------------------------
    "facilitator_home": Entry(outcomes(403, facilitator=200)),
    "programme_overview": Entry(outcomes(403, programme_manager=200)),
    "portal:home": Entry(outcomes(404, client=200, client_b=200)),
    # --- joining ------------------------------------------------------------------------
    "invitation_open": Entry(outcomes(REDIRECT, anonymous=REDIRECT), args=_invitation_token),
    # Without an invitation token in the session there is nothing to accept.
    "invitation_accept": Entry(outcomes(404, anonymous=404)),
    # Staff in the world have MFA and are sent home; a client may stay.
    "mfa_required": Entry(outcomes(REDIRECT, client=200, client_b=200)),
    # --- allauth: sign-in, passwords, MFA (self-service, about one's own account) ----
    # Changing a second factor asks for the password again first (REDIRECT to
    # reauthenticate), because the test sessions are not freshly signed in.
    "account_login": Entry(SIGNED_OUT_PAGE),
    "account_logout": Entry(outcomes(200)),
    "account_inactive": Entry(outcomes(200, anonymous=200)),
    "account_signup": Entry(outcomes(REDIRECT, anonymous=200)),
    "account_reauthenticate": Entry(outcomes(200)),
    "account_request_reauthentication_code": Entry(outcomes(200)),
    "account_confirm_reauthentication_code": Entry(outcomes(REDIRECT)),
    "account_email": Entry(outcomes(200)),
    "account_email_verification_sent": Entry(outcomes(200, anonymous=200)),
    "account_confirm_email": Entry(
        outcomes(200, anonymous=200), args=lambda w: {"key": "not-a-real-key"}
    ),
    "account_change_password": Entry(outcomes(200)),
    "account_set_password": Entry(outcomes(REDIRECT)),
    "account_reset_password": Entry(outcomes(200, anonymous=200)),
    "account_reset_password_done": Entry(outcomes(200, anonymous=200)),
    "account_reset_password_from_key": Entry(
        outcomes(200, anonymous=200), args=lambda w: {"uidb36": "1", "key": "not-a-real-key"}
    ),
    "account_reset_password_from_key_done": Entry(outcomes(200, anonymous=200)),
    "account_confirm_login_code": Entry(outcomes(REDIRECT)),
    "mfa_index": Entry(outcomes(200)),
    "mfa_authenticate": Entry(outcomes(REDIRECT)),
    "mfa_reauthenticate": Entry(outcomes(200, client=REDIRECT, client_b=REDIRECT)),
    "mfa_activate_totp": Entry(outcomes(REDIRECT)),
    "mfa_deactivate_totp": Entry(outcomes(REDIRECT, client=404, client_b=404)),
    "mfa_view_recovery_codes": Entry(outcomes(404)),
    "mfa_generate_recovery_codes": Entry(outcomes(REDIRECT)),
    "mfa_download_recovery_codes": Entry(outcomes(404)),
    "mfa_list_webauthn": Entry(outcomes(200)),
    "mfa_add_webauthn": Entry(outcomes(REDIRECT)),
    "mfa_reauthenticate_webauthn": Entry(outcomes(REDIRECT)),
    "mfa_remove_webauthn": Entry(outcomes(REDIRECT), args=lambda w: {"pk": 999999}),
    "mfa_edit_webauthn": Entry(outcomes(REDIRECT), args=lambda w: {"pk": 999999}),
}

# Each area of the product keeps its entries in its own module.
for _area in (
    courses_table,
    sessions_table,
    inventory_table,
    measures_table,
    safety_table,
    appointments_table,
    messaging_table,
    portal_table,
    groups_members_table,
    groups_sessions_table,
    groups_supervision_table,
    groups_dashboard_table,
    api_table,
    api_writes_records_table,
    api_writes_schedule_table,
    reports_pdf_table,
    reports_research_table,
):
    _overlap = set(_area.ENTRIES) & set(TABLE)
    assert not _overlap, _overlap
    TABLE.update(_area.ENTRIES)
