"""Screening a person for a group programme: eligibility, referral, the safety loop, idempotency."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openipt.audit.models import AuditEvent
from openipt.groups.models import (
    GroupMember,
    MemberScore,
    MemberStatus,
    Programme,
    Screening,
    ScreeningOutcome,
)
from openipt.groups.services import screening as screening_module
from openipt.groups.services.scoring import SCREENING_SOURCE
from openipt.groups.services.screening import age_on, screening_record
from openipt.measures.engine import InvalidAnswers
from openipt.practice.models import Client
from openipt.safety.models import AlertNotification, NotificationKind, RiskAlert
from openipt.safety.selectors import alerts_visible_to
from tests.groups.world import GroupWorld, phq9_answers

pytestmark = pytest.mark.django_db

TOTAL_9 = phq9_answers(1, 1, 1, 1, 1, 1, 1, 2, 0)
TOTAL_10 = phq9_answers(1, 1, 1, 1, 1, 1, 1, 3, 0)
RISK = phq9_answers(2, 2, 2, 2, 1, 1, 1, 1, 1)


def _years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


def screen(gw: GroupWorld, answers: dict[str, int], **overrides: Any) -> Screening:
    fields: dict[str, Any] = {
        "actor": gw.facilitator,
        "programme": gw.programme,
        "practice": gw.world.practice_a,
        "given_name": "Nia",
        "family_name": "Moyo",
        "date_of_birth": datetime.date(1988, 3, 9),
        "gender": "woman",
        "phone": "0700 000 000",
        "answers": answers,
    }
    fields.update(overrides)
    return screening_record(**fields)


def test_phq9_of_10_is_eligible_at_a_threshold_of_10(group_world: GroupWorld) -> None:
    """GIVEN a programme that takes PHQ-9 ≥ 10 WHEN a person scores exactly 10
    THEN they are eligible: a client record, the screening and a waiting member
    whose first score is the screening PHQ-9."""
    gw = group_world
    screening = screen(gw, TOTAL_10)
    assert screening.outcome == ScreeningOutcome.ELIGIBLE
    assert screening.phq9_total == 10
    assert screening.phq9_answers == TOTAL_10
    client = screening.client
    assert (client.given_name, client.family_name, client.phone) == ("Nia", "Moyo", "0700 000 000")
    assert client.practice == gw.world.practice_a and client.language == "en"
    member = GroupMember.objects.get(screening=screening)
    assert member.status == MemberStatus.WAITING
    assert member.facilitator == gw.facilitator and member.gender == "woman"
    assert member.group is None
    baseline = MemberScore.objects.get(member=member)
    assert baseline.session is None and baseline.total == 10
    assert not RiskAlert.objects.exists()


def test_phq9_of_9_is_below_the_threshold_and_nobody_waits(group_world: GroupWorld) -> None:
    """GIVEN a threshold of 10 WHEN a person scores 9 THEN below threshold, no member row."""
    gw = group_world
    screening = screen(gw, TOTAL_9)
    assert screening.outcome == ScreeningOutcome.BELOW_THRESHOLD
    assert not GroupMember.objects.filter(screening=screening).exists()


def test_a_changed_threshold_is_the_programmes_own(group_world: GroupWorld) -> None:
    gw = group_world
    Programme.objects.filter(pk=gw.programme.pk).update(min_phq9=5)
    gw.programme.refresh_from_db()
    assert screen(gw, TOTAL_9).outcome == ScreeningOutcome.ELIGIBLE


def test_positive_item_9_refers_and_tells_fays_supervisor_only(group_world: GroupWorld) -> None:
    """GIVEN Sam supervises Fay and Sue supervises Finn WHEN Fay screens someone who
    answers item 9 above zero THEN the outcome is REFER, no member is created, and an
    alert is raised in the same save whose first e-mail goes to Sam alone."""
    gw = group_world
    screening = screen(gw, RISK)
    assert screening.outcome == ScreeningOutcome.REFER
    assert screening.risk_link_ids == ["phq9-9"]
    assert not GroupMember.objects.filter(screening=screening).exists()
    alert = RiskAlert.objects.get()
    assert alert.source_type == SCREENING_SOURCE
    assert alert.source_public_id == screening.public_id
    assert alert.client == screening.client and alert.course is None
    recipients = {
        n.recipient
        for n in AlertNotification.objects.filter(alert=alert, kind=NotificationKind.INITIAL)
    }
    assert recipients == {gw.supervisor}
    assert alert in set(alerts_visible_to(actor=gw.supervisor))


def test_a_referred_persons_alert_is_not_shown_to_another_facilitators_supervisor(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    screen(gw, RISK)
    alert = RiskAlert.objects.get()
    assert alert not in set(alerts_visible_to(actor=gw.supervisor_2))


def test_an_exclusion_refers_without_an_alert(group_world: GroupWorld) -> None:
    gw = group_world
    screening = screen(gw, TOTAL_10, exclusions=["psychosis"], referral_note="Sent to Dr K.")
    assert screening.outcome == ScreeningOutcome.REFER
    assert screening.exclusions == ["psychosis"]
    assert not RiskAlert.objects.exists()
    screening.refresh_from_db()
    assert screening.referral_note == "Sent to Dr K."


def test_age_outside_the_programmes_range(group_world: GroupWorld) -> None:
    """GIVEN a programme for adults (18 and over) WHEN a 17-year-old is screened
    THEN the outcome is out of the age range; at 18 exactly they can join."""
    gw = group_world
    young = screen(gw, TOTAL_10, date_of_birth=_years_ago(18, days=-1))
    assert young.outcome == ScreeningOutcome.OUT_OF_AGE_RANGE
    adult = screen(gw, TOTAL_10, date_of_birth=_years_ago(18))
    assert adult.outcome == ScreeningOutcome.ELIGIBLE


def test_age_on_counts_whole_years() -> None:
    birthday = datetime.date(2000, 6, 15)
    assert age_on(birthday, datetime.date(2018, 6, 14)) == 17
    assert age_on(birthday, datetime.date(2018, 6, 15)) == 18


def test_same_key_twice_stores_one_person_and_one_screening(group_world: GroupWorld) -> None:
    """GIVEN a screening form submitted twice (a dropped connection, a double tap)
    WHEN both carry the same key THEN one client, one screening, one member exist."""
    gw = group_world
    clients_before = Client.objects.count()
    first = screen(gw, TOTAL_10, idempotency_key="key-1")
    second = screen(gw, TOTAL_10, idempotency_key="key-1")
    assert first.pk == second.pk
    assert Client.objects.count() == clients_before + 1
    assert Screening.objects.filter(idempotency_key="key-1").count() == 1
    assert GroupMember.objects.filter(screening=first).count() == 1


def test_a_key_lost_in_a_race_returns_the_stored_screening(
    group_world: GroupWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request passed the first look-up before the first one committed:
    the unique constraint catches it and the stored screening is returned, with no
    second client left behind."""
    gw = group_world
    first = screen(gw, TOTAL_10, idempotency_key="race")
    clients = Client.objects.count()
    real = screening_module._existing
    calls: list[int] = []

    def miss_once(*args: Any) -> Screening | None:
        calls.append(1)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(screening_module, "_existing", miss_once)
    again = screen(gw, TOTAL_10, idempotency_key="race")
    assert again.pk == first.pk
    assert len(calls) == 2
    assert Client.objects.count() == clients


def test_someone_elses_key_is_refused(group_world: GroupWorld) -> None:
    """A key belongs to the form one facilitator opened; Finn cannot fetch Fay's screening."""
    gw = group_world
    screen(gw, TOTAL_10, idempotency_key="shared")
    with pytest.raises(ValidationError):
        screen(gw, TOTAL_10, idempotency_key="shared", actor=gw.facilitator_2)


def test_invalid_answers_store_nothing(group_world: GroupWorld) -> None:
    gw = group_world
    clients = Client.objects.count()
    answers: dict[str, Any] = dict(TOTAL_10)
    del answers["phq9-3"]
    answers["phq9-4"] = 7
    with pytest.raises(InvalidAnswers) as caught:
        screen(gw, answers)
    assert {"phq9-3", "phq9-4"} <= set(caught.value.errors)
    assert Client.objects.count() == clients
    assert not Screening.objects.exclude(pk__in=GroupMember.objects.values("screening")).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", "  "),
        ("family_name", "x" * 101),
        ("date_of_birth", datetime.date(2999, 1, 1)),
        ("gender", "robot"),
        ("exclusions", ["not_a_code"]),
    ],
)
def test_bad_details_are_refused_by_field(group_world: GroupWorld, field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        screen(group_world, TOTAL_10, **{field: value})
    assert field in caught.value.message_dict


def test_only_a_facilitator_at_the_site_screens(group_world: GroupWorld) -> None:
    gw = group_world
    for actor in (gw.supervisor, gw.world.clinician, gw.world.clinician_b):
        with pytest.raises(PermissionDenied):
            screen(gw, TOTAL_10, actor=actor)


def test_a_programme_that_does_not_run_at_the_site_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    elsewhere = Programme.objects.create(organisation=gw.world.organisation, name="Elsewhere")
    with pytest.raises(ValidationError) as caught:
        screen(gw, TOTAL_10, programme=elsewhere)
    assert "programme" in caught.value.message_dict


def test_screening_is_audited_with_field_names_only(group_world: GroupWorld) -> None:
    gw = group_world
    screening = screen(gw, TOTAL_10)
    events = AuditEvent.objects.filter(subject_client_public_id=screening.client.public_id)
    types = {e.object_type for e in events}
    assert {"client", "group_screening", "group_member"} <= types
    for event in events:
        assert "Moyo" not in str(event.changed_fields)
        assert "10" not in str(event.changed_fields)


def test_the_active_suicidality_prompt_raises_an_alert_even_with_item_9_at_zero(
    group_world: GroupWorld, client_for: Any
) -> None:
    """GIVEN a person whose PHQ-9 item 9 is 0 WHEN the facilitator ticks "thinking of ending
    their life now" THEN they are referred and the safety loop starts, told to Fay's
    supervisor only, and the alert page names the screening question."""
    gw = group_world
    screening = screen(gw, TOTAL_10, exclusions=["active_suicidality"])
    assert screening.outcome == ScreeningOutcome.REFER
    alert = RiskAlert.objects.get()
    assert (alert.source_type, alert.source_public_id) == (SCREENING_SOURCE, screening.public_id)
    assert (alert.instrument_code, alert.risk_link_ids) == (
        "screening_prompt",
        ["active_suicidality"],
    )
    told = set(
        AlertNotification.objects.filter(alert=alert, kind=NotificationKind.INITIAL).values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {gw.supervisor.email}
    page = client_for(gw.supervisor).get(f"/safety/alerts/{alert.public_id}/")
    assert page.status_code == 200
    assert "Group screening question" in page.content.decode()
    assert "thinking of ending their life now" in page.content.decode()


def test_another_exclusion_refers_without_an_alert(group_world: GroupWorld) -> None:
    gw = group_world
    screening = screen(gw, TOTAL_10, exclusions=["psychosis"])
    assert screening.outcome == ScreeningOutcome.REFER
    assert not RiskAlert.objects.exists()
