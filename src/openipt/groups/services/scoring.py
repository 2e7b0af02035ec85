"""Scoring a member's PHQ-9 with the measures engine, and the safety loop for members.

Group members are scored from the same instrument definitions and by the same
pure engine as individual clients (`openipt.measures.engine`), never a copy;
a positive risk item raises the same `RiskAlert` in the same transaction,
routed first to the supervisors of the member's facilitator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from openipt.accounts.models import User
from openipt.groups.models import (
    ALERT_INSTRUMENT_SCREENING_PROMPT,
    ALERT_SOURCE_SCREENING,
    ALERT_SOURCE_SESSION_SCORE,
)
from openipt.measures.engine.scoring import Score, score_answers
from openipt.measures.selectors import instrument_for_practice
from openipt.practice.models import Role
from openipt.protocol.group import Exclusion
from openipt.safety.models import RiskAlert
from openipt.safety.services import risk_alert_raise

if TYPE_CHECKING:
    from openipt.practice.models import Client, Practice

# The questionnaire every group member answers at screening and every session.
GROUP_INSTRUMENT = "phq9"
# RiskAlert.source_type values for alerts raised from the groups app.
SCREENING_SOURCE = ALERT_SOURCE_SCREENING
SESSION_SCORE_SOURCE = ALERT_SOURCE_SESSION_SCORE


def score_member_answers(
    *, practice: Practice, answers: Mapping[str, object], language: str = "en"
) -> Score:
    """Score a PHQ-9 as the practice gives it. Raises InvalidAnswers (every problem at once)."""
    instrument = instrument_for_practice(practice, GROUP_INSTRUMENT, language=language)
    return score_answers(instrument, answers)


def supervisors_of(*, practice: Practice, facilitator: User) -> list[User]:
    """The active supervisors of `facilitator` at `practice`, by name (who is told first)."""
    return list(
        User.objects.filter(
            is_active=True,
            supervisees__facilitator=facilitator,
            supervisees__practice=practice,
            supervisees__is_active=True,
            memberships__practice=practice,
            memberships__role=Role.SUPERVISOR,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )


def member_risk_alert_raise(
    *,
    practice: Practice,
    client: Client,
    facilitator: User,
    source_type: str,
    source_public_id: UUID,
    score: Score,
    raised_by: User,
) -> RiskAlert | None:
    """Raise the safety loop's alert for a positive risk item, inside the caller's transaction.

    GIVEN a member's PHQ-9 with item 9 at or above its threshold WHEN the
    facilitator saves it THEN an alert commits with the answers, told first to
    the facilitator's supervisors (and the on-call person); with no supervisor
    assigned, every supervisor of the site is told at once.
    """
    if not score.risk_link_ids:
        return None
    return risk_alert_raise(
        practice=practice,
        client=client,
        course=None,
        source_type=source_type,
        source_public_id=source_public_id,
        instrument_code=score.instrument_code,
        risk_link_ids=list(score.risk_link_ids),
        raised_by=raised_by,
        notify=supervisors_of(practice=practice, facilitator=facilitator),
    )


def screening_prompt_alert_raise(
    *,
    practice: Practice,
    client: Client,
    facilitator: User,
    source_public_id: UUID,
    raised_by: User,
) -> RiskAlert:
    """The safety loop for a person the facilitator found thinking of ending their life now.

    GIVEN a screening where the facilitator ticked the active-suicidality prompt
    WHEN it is saved (whatever the PHQ-9 said) THEN an alert commits with it,
    told first to the facilitator's supervisors, exactly like a positive item 9.
    """
    return risk_alert_raise(
        practice=practice,
        client=client,
        course=None,
        source_type=SCREENING_SOURCE,
        source_public_id=source_public_id,
        instrument_code=ALERT_INSTRUMENT_SCREENING_PROMPT,
        risk_link_ids=[Exclusion.ACTIVE_SUICIDALITY.value],
        raised_by=raised_by,
        notify=supervisors_of(practice=practice, facilitator=facilitator),
    )
