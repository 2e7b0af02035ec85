"""The demo seed (`make demo`): what it creates and the stories it tells, seeded once per module.

Seeding the whole demo takes seconds, so this module seeds it once inside a
transaction that is rolled back at the end, and every test runs in a
savepoint inside it (pytest-django's own per-test rollback). The checks that
need an empty database are in test_seed_demo.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.db import transaction
from django.test import Client as HttpClient
from django.test import override_settings
from pytest_django import DjangoDbBlocker

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.core.management.commands.demo_codes import totp_code
from openipt.core.management.commands.seed_demo import (
    DEMO_CLIENTS,
    DEMO_ORGANISATION,
    DEMO_PASSWORD,
    DEMO_STAFF,
    NORTHFIELD,
    RIVERSIDE,
)
from openipt.courses.models import Course
from openipt.groups.demo_text import GROUP_SITES
from openipt.groups.models import Screening
from openipt.measures.chart_data import course_progress
from openipt.measures.engine import TrackStatus
from openipt.practice.models import Client, Membership, Organisation, PracticeKind, Role
from openipt.safety.models import AlertStatus, RiskAlert

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The whole demo, seeded once for this module and rolled back after it."""
    with django_db_blocker.unblock(), override_settings(DEMO=True), transaction.atomic():
        yield _seed()
        transaction.set_rollback(True)


def test_seed_creates_the_demo_organisation_with_every_role(seeded: str) -> None:
    organisation = Organisation.objects.get(name=DEMO_ORGANISATION)
    kinds = dict(organisation.practices.values_list("name", "kind"))
    assert kinds == {
        RIVERSIDE: PracticeKind.CLINIC,
        NORTHFIELD: PracticeKind.GROUP_SITE,
        **dict.fromkeys(GROUP_SITES, PracticeKind.GROUP_SITE),
    }
    staff_roles = set(Membership.objects.exclude(role=Role.CLIENT).values_list("role", flat=True))
    assert staff_roles == set(Role) - {Role.CLIENT}
    switcher = [p for p in DEMO_STAFF if len({practice for practice, _ in p.roles}) > 1]
    assert switcher, "someone must work in both practices so the switcher shows"
    assert Client.objects.exclude(practice__name__in=GROUP_SITES).count() == len(DEMO_CLIENTS) >= 12
    # Every other client is someone screened for the group programme (tests/groups/test_demo.py).
    assert Client.objects.count() == len(DEMO_CLIENTS) + Screening.objects.count()
    assert "Created Demo Health." in seeded
    assert DEMO_PASSWORD in seeded


def test_every_demo_account_can_sign_in_and_staff_have_totp_and_recovery_codes() -> None:
    for person in DEMO_STAFF:
        user = User.objects.get(email=person.email)
        assert user.check_password(DEMO_PASSWORD)
        types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
        assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    portal = [c for c in DEMO_CLIENTS if c.portal_account]
    assert len(portal) >= 3
    for spec in portal:
        client = Client.objects.select_related("user").get(email=spec.email)
        assert client.user is not None
        assert client.user.check_password(DEMO_PASSWORD)
        assert Membership.objects.filter(
            user=client.user, practice=client.practice, role=Role.CLIENT, is_active=True
        ).exists()
        assert not Authenticator.objects.filter(user=client.user).exists()
    emails = EmailAddress.objects.filter(verified=True, primary=True)
    assert emails.count() == User.objects.count() == len(DEMO_STAFF) + len(portal)


def test_seeded_clients_are_audited_and_the_chain_verifies() -> None:
    created = set(
        AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="client").values_list(
            "object_public_id", flat=True
        )
    )
    assert created == set(Client.objects.values_list("public_id", flat=True))
    call_command("audit_verify", stdout=StringIO())


def test_seeded_clients_have_varied_details_and_encrypted_text_reads_back() -> None:
    clients = list(Client.objects.all())
    assert len({c.language for c in clients}) >= 5
    assert len({c.pronouns for c in clients}) >= 3
    assert sum(bool(c.preferred_name) for c in clients) >= 3
    peggy = Client.objects.get(given_name="Margaret")
    assert peggy.access_needs.startswith("Hard of hearing")
    assert all(c.care_team.exists() for c in clients if c.practice.name == RIVERSIDE)


def test_seed_twice_changes_nothing_and_still_prints_the_logins() -> None:
    """The module's seed was the first run; this is the second."""
    counts = (User.objects.count(), Client.objects.count(), AuditEvent.objects.count())

    output = _seed()

    assert (User.objects.count(), Client.objects.count(), AuditEvent.objects.count()) == counts
    assert "already exists; nothing was changed" in output
    for person in DEMO_STAFF:
        assert person.email in output


def test_printed_home_pages_are_where_each_account_lands(client_for: ClientFor) -> None:
    """The login table promises a home page per account; "/" must send each person there."""
    accounts = [(p.email, p.home) for p in DEMO_STAFF]
    accounts += [(c.email, "/me/") for c in DEMO_CLIENTS if c.portal_account]

    for email, home in accounts:
        response = client_for(User.objects.get(email=email)).get("/")
        assert (email, response.status_code, response["Location"]) == (email, 302, home)


def test_demo_codes_prints_the_current_code() -> None:
    out = StringIO()
    before = totp_code(at=time.time())

    call_command("demo_codes", stdout=out)

    after = totp_code(at=time.time())
    assert before in out.getvalue() or after in out.getvalue()
    assert DEMO_STAFF[0].email in out.getvalue()


def test_demo_scores_tell_each_measurement_story_and_one_alert_is_open() -> None:
    """GIVEN the seeded demo WHEN each course's progress is computed from its
    scores THEN Jordan is on track, Aisha is not on track, Margaret and Wei are in
    remission, and Lucía's first PHQ-9 raised the one open risk alert on a course
    (the group programme's open alert is in tests/groups/test_demo.py)."""
    progress = {
        f"{course.client.given_name} {course.client.family_name}": {
            p.instrument.code: p for p in course_progress(course).instruments
        }
        for course in Course.objects.select_related("client", "practice")
    }
    assert progress["Jordan Ellis"]["phq9"].status == TrackStatus.ON_TRACK
    assert progress["Aisha Bello"]["phq9"].status == TrackStatus.NOT_ON_TRACK
    for name in ("Margaret O'Brien", "Wei Zhang"):
        assert progress[name]["phq9"].outcome.remission is True, name
    assert progress["Margaret O'Brien"]["gds15"].outcome.n_scores == 15
    alerts = RiskAlert.objects.filter(status=AlertStatus.OPEN, course__isnull=False)
    assert [a.client.family_name for a in alerts] == ["Fernández"]
    assert alerts[0].risk_link_ids == ["phq9-9"]
