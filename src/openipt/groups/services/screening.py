"""Screening a person for a group programme: the PHQ-9, the exclusion prompts, the decision.

A facilitator screens someone at their site. The answers are scored by the
measures engine (the same PHQ-9 as individual care), the programme's rules and
the pure `protocol.group.screening_decision` decide, and everything is written
in one transaction: the person's `Client` record, the `Screening`, for an
eligible person a waiting `GroupMember` with their screening score, and for a
positive self-harm answer the safety loop's alert (whatever the outcome).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.models import (
    Gender,
    GroupMember,
    MemberScore,
    MemberStatus,
    Programme,
    ProgrammeSite,
    Screening,
    ScreeningOutcome,
)
from openipt.groups.services.scoring import (
    GROUP_INSTRUMENT,
    SCREENING_SOURCE,
    member_risk_alert_raise,
    score_member_answers,
    screening_prompt_alert_raise,
)
from openipt.practice.models import Client, Role
from openipt.practice.roles import roles_for
from openipt.protocol.errors import ProtocolError
from openipt.protocol.group import (
    EligibilityDecision,
    EligibilityRules,
    Exclusion,
    screening_decision,
)

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

MAX_NAME_LENGTH = 100
MAX_PHONE_LENGTH = 50
MAX_NOTE_LENGTH = 4000
OLDEST_BIRTH_YEAR = 1900


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Whole years between a birth date and `day` (a birthday on `day` counts)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def eligibility_rules(programme: Programme) -> EligibilityRules:
    """The programme's entry rules as the protocol engine reads them.

    Every programme refers a positive self-harm answer on (the engine's default):
    a group is no place to start for someone thinking of ending their life.
    """
    return EligibilityRules(
        min_phq9=programme.min_phq9,
        max_phq9=programme.max_phq9,
        min_age=programme.min_age,
        max_age=programme.max_age,
    )


def screening_reasons(screening: Screening, *, date_of_birth: datetime.date) -> EligibilityDecision:
    """The decision again, with its plain-words reasons, from what the screening stored."""
    exclusions = [Exclusion(code) for code in screening.exclusions if code in set(Exclusion)]
    return screening_decision(
        eligibility_rules(screening.programme),
        phq9_total=screening.phq9_total,
        risk_positive=bool(screening.risk_link_ids),
        age=age_on(date_of_birth, timezone.localdate(screening.screened_at)),
        exclusions=exclusions,
    )


def _require_facilitator_at_site(actor: User, programme: Programme, practice: Practice) -> None:
    if Role.FACILITATOR not in roles_for(actor).in_practice(practice.pk):
        raise PermissionDenied
    runs_here = ProgrammeSite.objects.filter(
        programme=programme, practice=practice, programme__is_active=True
    ).exists()
    if not runs_here:
        raise ValidationError({"programme": "This programme does not run at this site."})


def _person_errors(
    *,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date,
    gender: str,
    phone: str,
    exclusions: Sequence[str],
    referral_note: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not given_name:
        errors["given_name"] = "Write the person's first name."
    elif len(given_name) > MAX_NAME_LENGTH:
        errors["given_name"] = f"Keep the first name under {MAX_NAME_LENGTH} characters."
    if not family_name:
        errors["family_name"] = "Write the person's family name."
    elif len(family_name) > MAX_NAME_LENGTH:
        errors["family_name"] = f"Keep the family name under {MAX_NAME_LENGTH} characters."
    if date_of_birth > timezone.localdate():
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    elif date_of_birth.year < OLDEST_BIRTH_YEAR:
        errors["date_of_birth"] = "Check the year of birth."
    if gender not in Gender.values:
        errors["gender"] = "Choose one of the answers."
    if len(phone) > MAX_PHONE_LENGTH:
        errors["phone"] = f"Keep the phone number under {MAX_PHONE_LENGTH} characters."
    if any(code not in set(Exclusion) for code in exclusions):
        errors["exclusions"] = "Tick only the questions listed."
    if len(referral_note) > MAX_NOTE_LENGTH:
        errors["referral_note"] = f"Keep the note under {MAX_NOTE_LENGTH} characters."
    return errors


def _existing(practice: Practice, key: str, actor: User) -> Screening | None:
    screening = Screening.objects.filter(practice=practice, idempotency_key=key).first()
    if screening is not None and screening.screened_by_id != actor.pk:
        # Keys are random per form; someone else's key is never a resubmission of ours.
        raise ValidationError("This form was already used. Open a new screening form.")
    return screening


@transaction.atomic
def screening_record(
    *,
    actor: User,
    programme: Programme,
    practice: Practice,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date,
    gender: str,
    phone: str = "",
    answers: Mapping[str, object],
    exclusions: Sequence[str] = (),
    referral_note: str = "",
    idempotency_key: str | None = None,
) -> Screening:
    """Screen one person for `programme` at `practice` and store the decision.

    GIVEN a facilitator at a site of the programme WHEN they save the person's
    details, PHQ-9 and exclusion answers THEN the person's record and the
    screening are stored with the engine's decision; an eligible person joins
    the waiting list (a `GroupMember`, with the screening score as their first
    PHQ-9); a positive self-harm answer raises the safety alert, told to the
    facilitator's supervisors, in the same transaction.

    The same idempotency key (per practice) returns the screening already
    stored. Raises PermissionDenied, ValidationError (field → message) or
    InvalidAnswers (per PHQ-9 item; nothing stored).
    """
    _require_facilitator_at_site(actor, programme, practice)
    key = (idempotency_key or "").strip()[:64] or None
    if key is not None:
        existing = _existing(practice, key, actor)
        if existing is not None:
            return existing
    given_name, family_name = given_name.strip(), family_name.strip()
    phone, referral_note = phone.strip(), referral_note.strip()
    errors = _person_errors(
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        gender=gender,
        phone=phone,
        exclusions=exclusions,
        referral_note=referral_note,
    )
    if errors:
        raise ValidationError(errors)
    # Raises InvalidAnswers with a message per item; nothing has been written yet.
    score = score_member_answers(practice=practice, answers=answers)
    try:
        decision = screening_decision(
            eligibility_rules(programme),
            phq9_total=score.total,
            risk_positive=bool(score.risk_link_ids),
            age=age_on(date_of_birth, timezone.localdate()),
            exclusions=[Exclusion(code) for code in exclusions],
        )
    except ProtocolError as exc:
        raise ValidationError(
            f"This programme's entry rules cannot be applied: {exc} Ask the programme manager."
        ) from exc
    now = timezone.now()
    try:
        with transaction.atomic():
            client = Client.objects.create(
                practice=practice,
                given_name=given_name,
                family_name=family_name,
                date_of_birth=date_of_birth,
                phone=phone,
                language="en",
            )
            screening = Screening.objects.create(
                programme=programme,
                practice=practice,
                client=client,
                screened_by=actor,
                screened_at=now,
                gender=gender,
                phq9_answers=dict(score.ordinals),
                phq9_total=score.total,
                phq9_band=score.band.code,
                risk_link_ids=list(score.risk_link_ids),
                exclusions=[code.value for code in Exclusion if code in set(exclusions)],
                outcome=ScreeningOutcome(decision.outcome.value),
                referral_note=referral_note,
                idempotency_key=key,
            )
    except IntegrityError:
        # Lost a race with the same key: the other submission stored it; hand it back.
        if key is not None:
            existing = _existing(practice, key, actor)
            if existing is not None:
                return existing
        raise
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="client",
        object_public_id=client.public_id,
        practice=practice,
        subject_client_public_id=client.public_id,
        changed_fields=["given_name", "family_name", "date_of_birth"]
        + (["phone"] if phone else []),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="group_screening",
        object_public_id=screening.public_id,
        practice=practice,
        subject_client_public_id=client.public_id,
        changed_fields=["gender", "phq9_answers", "phq9_total", "exclusions", "outcome"]
        + (["referral_note"] if referral_note else []),
    )
    if screening.outcome == ScreeningOutcome.ELIGIBLE:
        _waiting_member(actor=actor, screening=screening, score_version=score.version, at=now)
    # Whatever the outcome: a positive self-harm answer is never stored without its alert.
    alert = member_risk_alert_raise(
        practice=practice,
        client=client,
        facilitator=actor,
        source_type=SCREENING_SOURCE,
        source_public_id=screening.public_id,
        score=score,
        raised_by=actor,
    )
    if alert is None and Exclusion.ACTIVE_SUICIDALITY in screening.exclusions:
        # What the facilitator saw counts as much as what the questionnaire says.
        screening_prompt_alert_raise(
            practice=practice,
            client=client,
            facilitator=actor,
            source_public_id=screening.public_id,
            raised_by=actor,
        )
    return screening


def _waiting_member(
    *, actor: User, screening: Screening, score_version: str, at: datetime.datetime
) -> GroupMember:
    member = GroupMember.objects.create(
        programme=screening.programme,
        practice=screening.practice,
        client=screening.client,
        screening=screening,
        facilitator=actor,
        gender=screening.gender,
        status=MemberStatus.WAITING,
    )
    # The screening PHQ-9 is the member's first score (no session): the baseline
    # their group scores are compared with.
    MemberScore.objects.create(
        member=member,
        session=None,
        practice=screening.practice,
        instrument_code=GROUP_INSTRUMENT,
        instrument_version=score_version,
        answers=screening.phq9_answers,
        total=screening.phq9_total,
        band_code=screening.phq9_band,
        risk_link_ids=screening.risk_link_ids,
        administered_at=at,
        entered_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="group_member",
        object_public_id=member.public_id,
        practice=screening.practice,
        subject_client_public_id=screening.client.public_id,
        changed_fields=["status", "gender", "screening"],
    )
    return member
