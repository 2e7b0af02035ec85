"""What a client writes to their own course from the portal.

Two things: agreeing to the treatment contract the clinician proposed, and
reporting how an interpersonal experiment went. Only the client whose course
it is may do either (anyone else is refused); both are idempotent, so a
double press stores once, and both are audited without their content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openipt.audit.models import AuditAction
from openipt.courses.models import (
    AgreementChannel,
    Contract,
    Course,
    CourseStatus,
    Experiment,
    ExperimentStatus,
)
from openipt.courses.selectors.client_portal import REPORTABLE_STATUSES
from openipt.courses.services.course import _audit
from openipt.courses.services.formulation import _sync_plan_with_contract
from openipt.courses.services.sessions import MAX_TEXT_LENGTH

if TYPE_CHECKING:
    from openipt.accounts.models import User

CLIENT_OUTCOMES = (ExperimentStatus.DONE, ExperimentStatus.NOT_DONE)


def _require_own_open_course(actor: User, course: Course) -> None:
    client = course.client
    if client.user_id is None or client.user_id != actor.pk:
        raise PermissionDenied
    if course.status != CourseStatus.ACTIVE:
        raise ValidationError(_("This course has ended."))


@transaction.atomic
def contract_agree_by_client(*, actor: User, contract: Contract) -> Contract:
    """The client agrees to the contract from the portal.

    GIVEN the latest contract of the client's running course, not yet agreed
    WHEN the client agrees THEN it is agreed through the portal, by them, and
    the course plan follows it. A second press changes nothing; an older
    version of the contract cannot be agreed.
    """
    course = contract.course
    _require_own_open_course(actor, course)
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.is_agreed:
        return locked
    latest = course.contracts.order_by("-number").first()
    if latest is None or latest.pk != locked.pk:
        raise ValidationError(
            _("Your clinician has changed this agreement since; please look at the new one.")
        )
    locked.agreed_at = timezone.now()
    locked.agreed_via = AgreementChannel.PORTAL
    locked.agreement_recorded_by = actor
    locked.save(update_fields=["agreed_at", "agreed_via", "agreement_recorded_by", "updated_at"])
    _sync_plan_with_contract(actor, course, locked)
    _audit(
        actor, course, AuditAction.UPDATE, "contract", ["agreed_at", "agreed_via"], locked.public_id
    )
    return locked


@transaction.atomic
def experiment_report(
    *,
    actor: User,
    experiment: Experiment,
    outcome: str,
    what_happened: str = "",
    what_was_said: str = "",
    how_it_felt: str = "",
) -> Experiment:
    """The client writes how an experiment went and marks it done or not done.

    GIVEN an experiment the clinician has not yet gone through with the client
    WHEN the client reports THEN the report is stored (replacing an earlier
    one) for the next session's page; once the clinician has reviewed it the
    report is closed.
    """
    course = experiment.course
    _require_own_open_course(actor, course)
    texts = {
        "report_what_happened": what_happened.strip(),
        "report_what_was_said": what_was_said.strip(),
        "report_how_it_felt": how_it_felt.strip(),
    }
    errors: dict[str, str] = {}
    if outcome not in CLIENT_OUTCOMES:
        errors["outcome"] = _("Say whether you tried it.")
    for name, text in texts.items():
        if len(text) > MAX_TEXT_LENGTH:
            errors[name] = _("Keep this under %(n)s characters.") % {"n": f"{MAX_TEXT_LENGTH:,}"}
    if errors:
        raise ValidationError(errors)
    locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if locked.status not in REPORTABLE_STATUSES:
        raise ValidationError(
            _("You have already talked this one through with your clinician; it is closed.")
        )
    changed = []
    if locked.status != outcome:
        locked.status = outcome
        changed.append("status")
    for name, text in texts.items():
        if getattr(locked, name) != text:
            setattr(locked, name, text)
            changed.append(name)
    if changed:
        locked.reported_at = timezone.now()
        locked.save()
        _audit(actor, course, AuditAction.UPDATE, "experiment", changed, locked.public_id)
    return locked
