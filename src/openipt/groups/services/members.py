"""Forming groups and placing members: the pre-group session, placing, starting, dropping.

Rules, in the words a programme would write them:

- only a facilitator at the site forms a group, for a programme that runs there;
  the group copies the programme's session plan and size limit when it is formed;
- a person screened eligible waits for a group; their facilitator records the
  pre-group individual session and places them in one of their own groups of
  the same programme and site, while it has a free place and matches the
  programme's composition rule (see `composition_refusal`);
- when the programme offers it (adolescent groups), the facilitator also
  records the joint session with a parent or caregiver;
- a group starts with at least the programme's smallest group size;
- a waiting or placed member can leave (dropped), with the reason kept encrypted.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.models import (
    Gender,
    Group,
    GroupComposition,
    GroupMember,
    GroupStatus,
    MemberStatus,
    Programme,
    ProgrammeSite,
)
from openipt.groups.selectors.access import can_run_group, can_write_member
from openipt.groups.services.screening import age_on
from openipt.practice.models import Role
from openipt.practice.roles import roles_for
from openipt.protocol.errors import ProtocolError
from openipt.protocol.group import get_group_variant
from openipt.protocol.problem_areas import ProblemAreaCode

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

MAX_TEXT_LENGTH = 4000
MAX_WHO_CAME_LENGTH = 80
MAX_GROUP_NAME_LENGTH = 120
# Phones and servers disagree a little about the time.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
OPEN_GROUP_STATUSES = (GroupStatus.FORMING, GroupStatus.RUNNING)
STALE_MESSAGE = (
    "Someone else saved this member's record while you were writing. Your text is still in "
    "the form: compare it with the saved record, then save again."
)

# Composition labels are stored in one spelling: "woman" / "man" for gender
# groups, "18-29" or "60+" for age bands.
GENDER_LABELS = {"woman": Gender.WOMAN, "women": Gender.WOMAN, "man": Gender.MAN, "men": Gender.MAN}
_AGE_BAND = re.compile(r"^\s*(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})\s*$")
_AGE_FROM = re.compile(r"^\s*(\d{1,3})\s*\+\s*$")


class StaleMemberEdit(ValidationError):
    """The edit was based on an older version of the member's record (409 in the view)."""


def age_band(label: str) -> tuple[int, int | None] | None:
    """(youngest, oldest or None) for "18-29", "18 to 29" or "60+"; None if unreadable."""
    match = _AGE_BAND.match(label)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        return (low, high) if low <= high else None
    match = _AGE_FROM.match(label)
    return (int(match.group(1)), None) if match else None


def normalised_composition_label(composition: str, label: str) -> str:
    """The label in its stored spelling; ValidationError if it does not fit the rule."""
    label = label.strip()
    if composition == GroupComposition.BY_GENDER:
        gender = GENDER_LABELS.get(label.lower())
        if gender is None:
            raise ValidationError(
                {
                    "composition_label": "This programme keeps women and men in separate "
                    "groups: choose whether this group is for women or for men."
                }
            )
        return str(gender)
    if composition == GroupComposition.BY_AGE:
        band = age_band(label)
        if band is None:
            raise ValidationError(
                {
                    "composition_label": "This programme groups people by age: write the age "
                    "band, for example 18-29, or 60+ for 60 and older."
                }
            )
        low, high = band
        return f"{low}-{high}" if high is not None else f"{low}+"
    # Mixed groups: the rule does not use a label.
    return ""


def composition_refusal(*, composition: str, label: str, gender: str, age: int) -> str | None:
    """Why a member cannot join a group under the programme's composition rule, or None.

    - Mixed groups: anyone.
    - Separate groups for women and men: a woman joins a women's group and a man
      a men's group. A person who gave another gender or preferred not to say
      chooses, with the facilitator, the group they feel safe in: either is allowed.
    - Groups by age band: the member's age today lies within the group's band.
    A group without a valid label under a separating rule takes nobody.
    """
    if composition == GroupComposition.BY_GENDER:
        group_gender = GENDER_LABELS.get(label.strip().lower())
        if group_gender is None:
            return "This group is not marked as a women's or a men's group."
        if gender in (Gender.WOMAN, Gender.MAN) and gender != group_gender:
            words = "women" if group_gender == Gender.WOMAN else "men"
            return f"This group is for {words} only, as the programme keeps them separate."
        return None
    if composition == GroupComposition.BY_AGE:
        band = age_band(label)
        if band is None:
            return "This group has no age band."
        low, high = band
        if age < low or (high is not None and age > high):
            return f"This group is for ages {label}; this member is {age}."
        return None
    return None


def _enrolled_count(group: Group) -> int:
    return GroupMember.objects.filter(group=group, status=MemberStatus.ENROLLED).count()


def _audit_member(actor: User, member: GroupMember, fields: list[str]) -> None:
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="group_member",
        object_public_id=member.public_id,
        practice=member.practice,
        subject_client_public_id=member.client.public_id,
        changed_fields=fields,
    )


def _audit_group(actor: User, group: Group, action: AuditAction, fields: list[str]) -> None:
    record(
        actor=actor,
        action=action,
        object_type="group",
        object_public_id=group.public_id,
        practice=group.practice,
        changed_fields=fields,
    )


@transaction.atomic
def member_pre_group_record(
    *,
    actor: User,
    member: GroupMember,
    held_at: datetime.datetime,
    symptoms: str,
    onset: str,
    hopes: str,
    problem_area: str,
    version: int,
) -> GroupMember:
    """Record (or correct) the pre-group individual session of a member.

    `problem_area` is a code of `openipt.protocol.problem_areas`, or "" while it
    is not decided yet (the middle phase's agenda asks for it then). An edit
    based on an older `version` raises StaleMemberEdit and saves nothing.
    """
    if not can_write_member(actor=actor, member=member):
        raise PermissionDenied
    locked = GroupMember.objects.select_for_update().select_related("client").get(pk=member.pk)
    if locked.status not in (MemberStatus.WAITING, MemberStatus.ENROLLED):
        raise ValidationError("This member has left or finished the group: nothing can be added.")
    if locked.version != version:
        raise StaleMemberEdit(STALE_MESSAGE, code="stale")
    texts = {"symptoms": symptoms.strip(), "onset": onset.strip(), "hopes": hopes.strip()}
    errors: dict[str, str] = {
        name: f"Keep this under {MAX_TEXT_LENGTH} characters."
        for name, text in texts.items()
        if len(text) > MAX_TEXT_LENGTH
    }
    if problem_area and problem_area not in set(ProblemAreaCode):
        errors["problem_area"] = "Choose one of the problem areas, or 'not decided yet'."
    if held_at > timezone.now() + FUTURE_TOLERANCE:
        errors["held_at"] = "The session cannot be in the future."
    if errors:
        raise ValidationError(errors)
    new_values = {
        "pre_group_at": held_at,
        "pre_group_symptoms": texts["symptoms"],
        "pre_group_onset": texts["onset"],
        "pre_group_hopes": texts["hopes"],
        "problem_area": problem_area,
    }
    changed = [name for name, value in new_values.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, new_values[name])
    locked.version += 1
    locked.save(update_fields=[*changed, "version", "updated_at"])
    _audit_member(actor, locked, changed)
    return locked


@transaction.atomic
def member_caregiver_session_record(
    *,
    actor: User,
    member: GroupMember,
    held_at: datetime.datetime,
    who_came: str,
    notes: str,
    version: int,
) -> GroupMember:
    """Record (or correct) the joint session with a member's parent or caregiver.

    GIVEN a member of a programme that offers the caregiver session (adolescent
    groups) WHEN their facilitator records who came and what was talked about
    THEN both are kept encrypted with the moment of the session and audited
    (field names only). Refused when the programme offers no such session, when
    the member has left or finished, or (StaleMemberEdit) when the edit was
    based on an older `version`; nothing is saved then.
    """
    if not can_write_member(actor=actor, member=member):
        raise PermissionDenied
    locked = GroupMember.objects.select_for_update().select_related("client").get(pk=member.pk)
    # Read apart from the lock: the programme's row is not the member's to lock.
    if not Programme.objects.filter(pk=locked.programme_id, caregiver_session=True).exists():
        raise ValidationError(
            "This member's programme does not offer a joint session with a parent or "
            "caregiver. The programme manager can switch it on in the programme's settings.",
            code="no_caregiver_session",
        )
    if locked.status not in (MemberStatus.WAITING, MemberStatus.ENROLLED):
        raise ValidationError("This member has left or finished the group: nothing can be added.")
    if locked.version != version:
        raise StaleMemberEdit(STALE_MESSAGE, code="stale")
    who_came, notes = who_came.strip(), notes.strip()
    errors: dict[str, str] = {}
    if not who_came:
        errors["who_came"] = "Say who came with the member, for example 'mother'."
    elif len(who_came) > MAX_WHO_CAME_LENGTH:
        errors["who_came"] = f"Keep this under {MAX_WHO_CAME_LENGTH} characters."
    if len(notes) > MAX_TEXT_LENGTH:
        errors["notes"] = f"Keep this under {MAX_TEXT_LENGTH} characters."
    if held_at > timezone.now() + FUTURE_TOLERANCE:
        errors["held_at"] = "The session cannot be in the future."
    if errors:
        raise ValidationError(errors)
    new_values = {
        "caregiver_session_at": held_at,
        "caregiver_session_who": who_came,
        "caregiver_session_notes": notes,
    }
    changed = [name for name, value in new_values.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, new_values[name])
    locked.version += 1
    locked.save(update_fields=[*changed, "version", "updated_at"])
    _audit_member(actor, locked, changed)
    return locked


@transaction.atomic
def group_create(
    *, actor: User, programme: Programme, practice: Practice, name: str, composition_label: str = ""
) -> Group:
    """Form a new group (status forming) led by the actor, with the programme's plan."""
    if Role.FACILITATOR not in roles_for(actor).in_practice(practice.pk):
        raise PermissionDenied
    if not ProgrammeSite.objects.filter(
        programme=programme, practice=practice, programme__is_active=True
    ).exists():
        raise ValidationError({"programme": "This programme does not run at this site."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the group a name you and the members recognise."})
    if len(name) > MAX_GROUP_NAME_LENGTH:
        raise ValidationError({"name": f"Keep the name under {MAX_GROUP_NAME_LENGTH} characters."})
    label = normalised_composition_label(programme.composition, composition_label)
    try:
        plan = get_group_variant(programme.variant_code).plan_for(
            programme.group_sessions,
            initial_last=programme.initial_last,
            middle_last=programme.middle_last,
        )
    except ProtocolError as exc:
        raise ValidationError(
            f"This programme's session plan cannot be used: {exc} Ask the programme manager."
        ) from exc
    group = Group.objects.create(
        programme=programme,
        practice=practice,
        facilitator=actor,
        name=name,
        planned_sessions=programme.group_sessions,
        initial_last=plan.initial_last,
        middle_last=plan.middle_last,
        max_size=programme.max_group_size,
        composition_label=label,
        status=GroupStatus.FORMING,
    )
    _audit_group(
        actor,
        group,
        AuditAction.CREATE,
        ["name", "programme", "planned_sessions", "max_size"]
        + (["composition_label"] if label else []),
    )
    return group


@transaction.atomic
def member_place(*, actor: User, member: GroupMember, group: Group) -> GroupMember:
    """Place a waiting member in one of the actor's groups.

    GIVEN a member waiting for a group WHEN their facilitator places them in a
    group THEN it must be the facilitator's own group, of the same programme and
    site, forming or running, with a free place (enrolled members < the group's
    size limit) and matching the programme's composition rule; the member is
    then enrolled. Otherwise nothing changes and the refusal says why.
    """
    if not can_run_group(actor=actor, group=group) or not can_write_member(
        actor=actor, member=member
    ):
        raise PermissionDenied
    # Lock the group first: two placements racing for its last place go one by one.
    locked_group = Group.objects.select_for_update().select_related("programme").get(pk=group.pk)
    locked = GroupMember.objects.select_for_update().select_related("client").get(pk=member.pk)
    if locked.programme_id != locked_group.programme_id or (
        locked.practice_id != locked_group.practice_id
    ):
        raise ValidationError({"group": "This group belongs to another programme or site."})
    if locked_group.status not in OPEN_GROUP_STATUSES:
        raise ValidationError(
            {"group": "This group has finished: choose a forming or running group."}
        )
    if locked.status != MemberStatus.WAITING:
        raise ValidationError({"group": "Only someone waiting for a group can be placed."})
    enrolled = _enrolled_count(locked_group)
    if enrolled >= locked_group.max_size:
        raise ValidationError(
            {
                "group": f"This group is full: {enrolled} of {locked_group.max_size} places are "
                "taken. Choose another group or form a new one."
            }
        )
    refusal = composition_refusal(
        composition=locked_group.programme.composition,
        label=locked_group.composition_label,
        gender=locked.gender,
        age=age_on(locked.client.date_of_birth, timezone.localdate()),
    )
    if refusal is not None:
        raise ValidationError({"group": refusal})
    locked.group = locked_group
    locked.status = MemberStatus.ENROLLED
    locked.enrolled_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["group", "status", "enrolled_at", "version", "updated_at"])
    _audit_member(actor, locked, ["group", "status", "enrolled_at"])
    return locked


@transaction.atomic
def group_start(*, actor: User, group: Group, started_on: datetime.date) -> Group:
    """Start a forming group, once it has at least the programme's smallest group size."""
    if not can_run_group(actor=actor, group=group):
        raise PermissionDenied
    locked = Group.objects.select_for_update().select_related("programme").get(pk=group.pk)
    if locked.status != GroupStatus.FORMING:
        raise ValidationError("This group has already started or has finished.")
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": "Start the group on the day of its first meeting."})
    needed = locked.programme.min_group_size
    enrolled = _enrolled_count(locked)
    if enrolled < needed:
        raise ValidationError(
            f"A group of this programme starts with at least {needed} members; "
            f"{enrolled} {'is' if enrolled == 1 else 'are'} placed so far."
        )
    locked.status = GroupStatus.RUNNING
    locked.started_on = started_on
    locked.save(update_fields=["status", "started_on", "updated_at"])
    _audit_group(actor, locked, AuditAction.UPDATE, ["status", "started_on"])
    return locked


@transaction.atomic
def member_drop(*, actor: User, member: GroupMember, reason: str) -> GroupMember:
    """A waiting or placed member leaves the programme; the reason is kept encrypted."""
    if not can_write_member(actor=actor, member=member):
        raise PermissionDenied
    locked = GroupMember.objects.select_for_update().select_related("client").get(pk=member.pk)
    if locked.status not in (MemberStatus.WAITING, MemberStatus.ENROLLED):
        raise ValidationError("This member has already left or finished the group.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say briefly why the member is leaving."})
    if len(reason) > MAX_TEXT_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {MAX_TEXT_LENGTH} characters."})
    locked.status = MemberStatus.DROPPED
    locked.ended_at = timezone.now()
    locked.drop_reason = reason
    locked.version += 1
    locked.save(update_fields=["status", "ended_at", "drop_reason", "version", "updated_at"])
    _audit_member(actor, locked, ["status", "ended_at", "drop_reason"])
    return locked
