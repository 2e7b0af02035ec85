"""Seed the fictional "Demo Health" organisation for `make demo`.

Everyone created here is invented. The command refuses to run unless demo or
debug mode is on, so it can never put demo accounts (with a published password
and a published authenticator secret) into a production database. It is
idempotent: when the demo organisation already exists it changes nothing and
only prints the logins again.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from openipt.accounts.models import User
from openipt.appointments.demo import seed_demo_appointments
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.demo import seed_demo_courses
from openipt.courses.models import Course, CourseStatus
from openipt.diary.demo import seed_demo_portal
from openipt.groups.demo import group_sites_create, seed_demo_groups
from openipt.groups.demo_text import GROUP_DEMO_STAFF
from openipt.measures.demo import seed_demo_requests
from openipt.messaging.demo import seed_demo_messages
from openipt.practice import services
from openipt.practice.models import (
    Client,
    Membership,
    Organisation,
    Practice,
    PracticeKind,
    Role,
)
from openipt.safety.demo import seed_demo_safety

DEMO_ORGANISATION = "Demo Health"
RIVERSIDE = "Riverside Clinic"
NORTHFIELD = "Northfield Group Programme"
# Published on purpose: the demo is for trying the software, not for real people.
DEMO_PASSWORD = "openipt-demo-password"  # noqa: S105
# One published base32 TOTP secret for every demo staff account, so that one
# authenticator-app entry (or `make demo-codes`) serves them all.
DEMO_TOTP_SECRET = "OPENIPTDEMOTOTPSECRETFORDEMOONLY"  # noqa: S105
# The .example top-level domain is reserved and can never receive mail.
EMAIL_DOMAIN = "demohealth.example"


@dataclass(frozen=True)
class DemoStaff:
    full_name: str
    # (practice name, role); a practice of None means the organisation.
    roles: tuple[tuple[str | None, Role], ...]
    home: str
    summary: str

    @property
    def email(self) -> str:
        return f"{self.full_name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoClient:
    practice: str
    given_name: str
    family_name: str
    date_of_birth: datetime.date
    created_by: str
    pronouns: str = ""
    preferred_name: str = ""
    language: str = "en"
    phone: str = ""
    address: str = ""
    emergency_contact: tuple[str, str, str] = ("", "", "")
    access_needs: str = ""
    supervised_by: str = ""
    portal_account: bool = False
    archived: bool = False

    @property
    def email(self) -> str:
        local = f"{self.given_name}.{self.family_name}".lower().replace("'", "").replace(" ", "")
        return f"{_ascii(local)}@{EMAIL_DOMAIN}"

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.given_name} {self.family_name}"


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff(
        "Maya Okafor",
        ((RIVERSIDE, Role.CLINICIAN),),
        "/courses/",
        f"Clinician, {RIVERSIDE}",
    ),
    DemoStaff(
        "Tom Reyes",
        ((RIVERSIDE, Role.CLINICIAN),),
        "/courses/",
        f"Clinician, {RIVERSIDE}",
    ),
    DemoStaff(
        "Sofia Lindqvist",
        ((RIVERSIDE, Role.SUPERVISOR), (NORTHFIELD, Role.SUPERVISOR)),
        "/courses/",
        "Supervisor in both practices (practice switcher)",
    ),
    DemoStaff(
        "Priya Natarajan",
        ((RIVERSIDE, Role.PRACTICE_ADMIN),),
        "/manage/members/",
        f"Practice admin, {RIVERSIDE}",
    ),
    DemoStaff(
        "Henrik Berg",
        ((None, Role.PROGRAMME_MANAGER),),
        "/organisation/",
        f"Programme manager, {DEMO_ORGANISATION}",
    ),
    # The group programme's facilitators, supervisors and site admin (groups/demo_text.py).
    *(DemoStaff(*person) for person in GROUP_DEMO_STAFF),
)

_MAYA, _TOM, _SOFIA = "Maya Okafor", "Tom Reyes", "Sofia Lindqvist"

DEMO_CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        RIVERSIDE,
        "Jordan",
        "Ellis",
        datetime.date(1994, 3, 12),
        _MAYA,
        pronouns="they/them",
        phone="+44 7700 900101",
        address="Flat 3, 14 Willow Lane, Riverside RV1 2AB",
        emergency_contact=("Sam Ellis", "Sibling", "+44 7700 900102"),
        access_needs="Prefers e-mail to phone calls. Video sessions on Tuesdays.",
        supervised_by=_SOFIA,
        portal_account=True,
    ),
    DemoClient(
        RIVERSIDE,
        "Lucía",
        "Fernández",
        datetime.date(1987, 11, 2),
        _MAYA,
        pronouns="she/her",
        language="es",
        phone="+44 7700 900103",
        address="22 Mill Street, Riverside RV2 4CD",
        emergency_contact=("Diego Fernández", "Partner", "+44 7700 900104"),
        access_needs="Spanish interpreter for sessions; reads English well.",
        portal_account=True,
    ),
    DemoClient(
        RIVERSIDE,
        "Wei",
        "Zhang",
        datetime.date(1990, 6, 21),
        _MAYA,
        preferred_name="Vivian",
        pronouns="she/her",
        language="zh-hans",
        phone="+44 7700 900105",
        access_needs="Works night shifts: late-afternoon appointments only.",
    ),
    DemoClient(
        RIVERSIDE,
        "Margaret",
        "O'Brien",
        datetime.date(1953, 1, 30),
        _MAYA,
        preferred_name="Peggy",
        pronouns="she/her",
        phone="+44 20 7946 0105",
        address="7 Orchard Close, Riverside RV3 1EF",
        emergency_contact=("Claire O'Brien", "Daughter", "+44 7700 900106"),
        access_needs="Hard of hearing: face her when speaking; captions on video calls.",
        supervised_by=_SOFIA,
        portal_account=True,
    ),
    DemoClient(
        RIVERSIDE,
        "Mohammed",
        "Al-Sayed",
        datetime.date(1979, 9, 14),
        _MAYA,
        pronouns="he/him",
        language="ar",
        phone="+44 7700 900107",
        access_needs="Arabic interpreter (he has asked for a male interpreter).",
    ),
    DemoClient(
        RIVERSIDE,
        "Tomasz",
        "Kowalski",
        datetime.date(1968, 4, 5),
        _TOM,
        pronouns="he/him",
        language="pl",
        phone="+44 7700 900108",
        address="41 Canal Road, Riverside RV2 9GH",
        emergency_contact=("Ewa Kowalska", "Wife", "+44 7700 900109"),
        access_needs="Wheelchair user: ground-floor room, step-free entrance.",
    ),
    DemoClient(
        RIVERSIDE,
        "Aisha",
        "Bello",
        datetime.date(1998, 12, 19),
        _TOM,
        pronouns="she/her",
        phone="+44 7700 900110",
        access_needs="May bring her toddler to in-person sessions.",
        supervised_by=_SOFIA,
    ),
    DemoClient(
        RIVERSIDE,
        "Samuel",
        "Whitaker",
        datetime.date(2003, 8, 8),
        _TOM,
        preferred_name="Sam",
        pronouns="he/they",
        phone="+44 7700 900111",
        access_needs="Dyslexia: plain-language written materials in a large font.",
    ),
    DemoClient(
        RIVERSIDE,
        "Derek",
        "Hughes",
        datetime.date(1972, 2, 17),
        _TOM,
        pronouns="he/him",
        phone="+44 7700 900112",
        archived=True,
    ),
    DemoClient(
        NORTHFIELD,
        "Fatuma",
        "Njeri",
        datetime.date(1985, 5, 27),
        _SOFIA,
        pronouns="she/her",
        language="sw",
        phone="+44 7700 900113",
        access_needs="Prefers text messages; Kiswahili-speaking group.",
        supervised_by=_SOFIA,
        portal_account=True,
    ),
    DemoClient(
        NORTHFIELD,
        "Kofi",
        "Boateng",
        datetime.date(1991, 10, 3),
        _SOFIA,
        pronouns="he/him",
        phone="+44 7700 900114",
        supervised_by=_SOFIA,
    ),
    DemoClient(
        NORTHFIELD,
        "Ana",
        "Sousa",
        datetime.date(1976, 7, 11),
        _SOFIA,
        pronouns="she/her",
        language="pt",
        phone="+44 7700 900115",
        emergency_contact=("João Sousa", "Brother", "+44 7700 900116"),
        access_needs="Needs childcare during evening group sessions.",
        supervised_by=_SOFIA,
    ),
    DemoClient(
        NORTHFIELD,
        "Pieter",
        "de Vries",
        datetime.date(1960, 3, 29),
        _SOFIA,
        pronouns="he/him",
        language="nl",
        phone="+44 7700 900117",
        access_needs="Uses a hearing loop.",
    ),
)


class Command(BaseCommand):
    help = "Create the fictional Demo Health organisation (demo/debug mode only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEMO or settings.DEBUG):
            raise CommandError(
                "seed_demo only runs with OPENIPT_DEMO=1 or OPENIPT_DEBUG=1: it creates "
                "accounts with a published password and must never touch a real database."
            )
        if Organisation.objects.filter(name=DEMO_ORGANISATION).exists():
            self.stdout.write(f"{DEMO_ORGANISATION} already exists; nothing was changed.")
        else:
            seed()
            self.stdout.write(self.style.SUCCESS(f"Created {DEMO_ORGANISATION}."))
        self.stdout.write(logins_text())


@transaction.atomic
def seed(*, with_groups: bool = True) -> None:
    """Create the organisation, practices, staff, clients and care teams in one transaction.

    `with_groups=False` leaves out the group programme (most of the seeding time),
    for tests that read only the individual courses.
    """
    organisation = Organisation.objects.create(name=DEMO_ORGANISATION)
    practices = {
        RIVERSIDE: Practice.objects.create(
            organisation=organisation,
            name=RIVERSIDE,
            kind=PracticeKind.CLINIC,
            contact_phone="+44 20 7946 0100",
            crisis_line="999 or 112 (emergency services)",
        ),
        NORTHFIELD: Practice.objects.create(
            organisation=organisation,
            name=NORTHFIELD,
            kind=PracticeKind.GROUP_SITE,
            contact_phone="+44 20 7946 0200",
            crisis_line="999 or 112 (emergency services)",
        ),
    }
    # The group programme's three sites (its staff hold roles there).
    practices.update(group_sites_create(organisation))
    # One argon2 hash for every account: they share the published password,
    # and hashing it once per account would only make seeding slow.
    password_hash = make_password(DEMO_PASSWORD)
    staff: dict[str, User] = {}
    memberships: dict[tuple[str, str], Membership] = {}
    for person in DEMO_STAFF:
        user = _user(person.email, person.full_name, password_hash)
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
        record(
            actor=user,
            action=AuditAction.MFA,
            object_type="authenticator",
            object_public_id=user.public_id,
            changed_fields=["totp", "recovery_codes"],
        )
        for practice_name, role in person.roles:
            practice = practices[practice_name] if practice_name else None
            membership = _grant(user, organisation, practice, role)
            if practice_name:
                memberships[(person.full_name, practice_name)] = membership
        staff[person.full_name] = user

    admin = staff["Priya Natarajan"]
    clients: dict[str, Client] = {}
    for spec in DEMO_CLIENTS:
        practice = practices[spec.practice]
        client = services.client_create(
            actor=staff[spec.created_by], practice=practice, data=_client_data(spec)
        )
        if spec.supervised_by:
            services.care_team_add(
                actor=staff[spec.supervised_by],
                client=client,
                membership=memberships[(spec.supervised_by, spec.practice)],
            )
        if spec.portal_account:
            _give_portal_account(client, spec, organisation, practice, password_hash)
        if spec.archived:
            services.client_archive(actor=admin, client=client)
        clients[f"{spec.given_name} {spec.family_name}"] = client
    # Crisis lines, the alert deadline and on-call, and one client's safety plan
    # (the clinician's care-team membership must exist first: it does, above).
    seed_demo_safety(
        admin=admin,
        practice=practices[RIVERSIDE],
        on_call=memberships[("Sofia Lindqvist", RIVERSIDE)],
        clinician=staff["Maya Okafor"],
        plan_client=clients["Jordan Ellis"],
    )
    # A living caseload: courses in every phase and several IPT variants, with
    # questionnaires at every session (one of them raising a risk alert).
    seed_demo_courses(staff=staff, clients=clients)
    # The portal between sessions: appointments held and booked, and a secure
    # conversation with the last reply still unread.
    seed_demo_appointments(clients=clients.values())
    jordan = clients["Jordan Ellis"]
    if jordan.user is None:
        raise CommandError("The demo client Jordan Ellis needs a portal account for messages.")
    seed_demo_messages(client=jordan, client_user=jordan.user, clinician=staff["Maya Okafor"])
    # A few weeks of mood diary and an experiment report from each portal client.
    seed_demo_portal(clients=clients)
    # Jordan's questionnaires for the next session are waiting in the portal.
    seed_demo_requests(
        actor=staff["Maya Okafor"],
        course=Course.objects.get(client=jordan, status=CourseStatus.ACTIVE),
    )
    # Group IPT at programme scale: 3 sites, 6 facilitators, 2 supervisors, 20 groups.
    if not with_groups:
        return
    seed_demo_groups(
        organisation=organisation,
        practices=practices,
        staff=staff,
        manager=staff["Henrik Berg"],
    )


def _user(email: str, full_name: str, password_hash: str) -> User:
    if User.objects.filter(email=email).exists():
        raise CommandError(f"An account {email} already exists outside {DEMO_ORGANISATION}.")
    user = User.objects.create(email=email, full_name=full_name, password=password_hash)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _grant(
    user: User, organisation: Organisation, practice: Practice | None, role: Role
) -> Membership:
    membership = Membership.objects.create(
        user=user, organisation=organisation, practice=practice, role=role
    )
    record(
        actor=None,
        action=AuditAction.GRANT,
        object_type="membership",
        object_public_id=membership.public_id,
        practice=practice,
        changed_fields=["role"],
    )
    return membership


def _client_data(spec: DemoClient) -> dict[str, Any]:
    contact_name, relationship, contact_phone = spec.emergency_contact
    return {
        "given_name": spec.given_name,
        "family_name": spec.family_name,
        "preferred_name": spec.preferred_name,
        "pronouns": spec.pronouns,
        "date_of_birth": spec.date_of_birth,
        "language": spec.language,
        "email": spec.email,
        "phone": spec.phone,
        "address": spec.address,
        "emergency_contact_name": contact_name,
        "emergency_contact_relationship": relationship,
        "emergency_contact_phone": contact_phone,
        "access_needs": spec.access_needs,
    }


def _give_portal_account(
    client: Client,
    spec: DemoClient,
    organisation: Organisation,
    practice: Practice,
    password_hash: str,
) -> None:
    user = _user(spec.email, f"{spec.given_name} {spec.family_name}", password_hash)
    _grant(user, organisation, practice, Role.CLIENT)
    client.user = user
    client.save(update_fields=["user", "updated_at"])
    record(
        actor=None,
        action=AuditAction.UPDATE,
        object_type="client",
        object_public_id=client.public_id,
        practice=practice,
        subject_client_public_id=client.public_id,
        changed_fields=["user"],
    )


def portal_clients() -> list[DemoClient]:
    return [c for c in DEMO_CLIENTS if c.portal_account]


def logins_text() -> str:
    """The table of demo logins and how to pass the second step, as plain text."""
    rows = [(p.email, p.summary, p.home) for p in DEMO_STAFF]
    rows += [
        (c.email, f"Client ({c.display_name}), {c.practice}", "/me/") for c in portal_clients()
    ]
    headers = ("E-MAIL", "ROLE", "HOME PAGE")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(3)]

    def line(cells: tuple[str, str, str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    table = [line(headers), line(("-" * widths[0], "-" * widths[1], "-" * widths[2]))]
    table += [line(r) for r in rows]
    return "\n".join(
        [
            "",
            f"Demo logins ({DEMO_ORGANISATION}; every person is fictional).",
            f"Password for every account: {DEMO_PASSWORD}",
            "",
            *table,
            "",
            "Staff accounts ask for a 6-digit authenticator code after the password:",
            "  * run `make demo-codes` in another terminal to print the current code, or",
            f"  * add the demo secret {DEMO_TOTP_SECRET} to an authenticator app",
            "    (time-based, SHA-1, 6 digits, 30 seconds).",
            "  Every staff account uses the same secret. A code is accepted once, so the",
            "  next sign-in within 30 seconds needs the next code; `make demo-codes` also",
            "  lists each account's recovery codes.",
            "Client accounts (the portal at /me/) have no second step.",
            "Sign in at http://127.0.0.1:8000/accounts/login/",
            "",
        ]
    )
