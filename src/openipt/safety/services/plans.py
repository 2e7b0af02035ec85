"""Safety plans: every save is a new version; an edit based on an old version is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.models import Client
from openipt.safety.models import PLAN_SECTION_NAMES, SafetyPlan, SafetyPlanVersion
from openipt.safety.selectors import can_write_plan

MAX_SECTION_LENGTH = 5000


@dataclass(frozen=True)
class PlanSections:
    warning_signs: str = ""
    internal_coping: str = ""
    distraction: str = ""
    people_to_ask: str = ""
    professionals: str = ""
    safe_environment: str = ""


class StalePlanEdit(Exception):
    """Someone saved a newer version after this edit began; the caller keeps the typed text."""

    def __init__(self, latest: SafetyPlanVersion | None) -> None:
        super().__init__("The safety plan changed while it was being edited.")
        self.latest = latest


@transaction.atomic
def safety_plan_save(
    *,
    actor: User,
    client: Client,
    sections: PlanSections,
    base_version: int,
    reviewed_with_client: bool,
) -> SafetyPlanVersion:
    """Save the plan as a new version.

    GIVEN a plan at version N WHEN a care-team clinician saves an edit that began
    from version N THEN version N+1 is written and N is kept unchanged; an edit
    that began from an older version is refused (StalePlanEdit) and nothing is
    saved. Saving the same text again, not reviewed with the client, writes nothing.
    """
    if not can_write_plan(actor=actor, client=client):
        raise PermissionDenied
    plan, _ = SafetyPlan.objects.select_for_update().get_or_create(
        client=client, defaults={"practice_id": client.practice_id}
    )
    latest = plan.versions.order_by("-number").first()
    latest_number = latest.number if latest else 0
    if base_version != latest_number:
        raise StalePlanEdit(latest)
    texts = {name: getattr(sections, name).strip() for name in PLAN_SECTION_NAMES}
    too_long = {
        name: f"Keep this section under {MAX_SECTION_LENGTH} characters."
        for name, text in texts.items()
        if len(text) > MAX_SECTION_LENGTH
    }
    if too_long:
        raise ValidationError(too_long)
    if not any(texts.values()):
        raise ValidationError("Write at least one section of the plan before saving it.")
    changed = [
        name
        for name in PLAN_SECTION_NAMES
        if texts[name] != (getattr(latest, name) if latest else "")
    ]
    if latest is not None and not changed and not reviewed_with_client:
        return latest
    if reviewed_with_client:
        changed.append("reviewed_with_client")
    version = SafetyPlanVersion.objects.create(
        plan=plan,
        number=latest_number + 1,
        reviewed_with_client=reviewed_with_client,
        edited_by=actor,
        **texts,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="safety_plan_version",
        object_public_id=version.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=changed,
    )
    return version
