"""Creating a programme and changing its rules: the programme manager's writes.

A programme's rules (variant, sessions and phases, eligibility, group size,
thresholds) apply to groups formed from now on: a group copies its plan and
size limit when it is formed, so a change here never renumbers or resizes a
running group. Every check of meaning lives here; the forms only check shape.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.models import (
    Group,
    GroupComposition,
    GroupMember,
    GroupStatus,
    MemberStatus,
    Programme,
    ProgrammeSite,
)
from openipt.practice.models import Organisation, Practice
from openipt.practice.roles import roles_for
from openipt.protocol.errors import ProtocolError
from openipt.protocol.group import (
    GROUP_VARIANTS,
    PHQ9_MAX,
    EligibilityRules,
    GroupFeature,
)

MAX_GROUP_SIZE = 30
MAX_AGE = 120
MAX_NAME_LENGTH = 200

# The rules a manager may change; anything else (organisation, ids) is not settable.
RULE_FIELDS = (
    "variant_code",
    "group_sessions",
    "initial_last",
    "middle_last",
    "min_phq9",
    "max_phq9",
    "min_age",
    "max_age",
    "min_group_size",
    "max_group_size",
    "composition",
    "caregiver_session",
    "low_attendance_percent",
    "low_adherence_percent",
    "is_active",
)
SETTABLE_FIELDS = frozenset({"name", "sites", *RULE_FIELDS})


class StaleProgramme(Exception):
    """Someone else saved the programme's settings after this form was opened."""


def can_manage_programmes(actor: User, organisation_id: int) -> bool:
    return organisation_id in roles_for(actor).managed_organisations


def _require_manager(actor: User, organisation_id: int) -> None:
    if not can_manage_programmes(actor, organisation_id):
        raise PermissionDenied


def _in_range(
    errors: dict[str, str], values: Mapping[str, Any], name: str, low: int, high: int, what: str
) -> None:
    value = values[name]
    if value is not None and not low <= value <= high:
        errors[name] = f"{what} must be {low} to {high}; it is {value}."


def _validate(
    values: Mapping[str, Any], *, organisation: Organisation, programme: Programme | None
) -> dict[str, str]:
    """Every rule of a programme, checked together; field name → plain message."""
    errors: dict[str, str] = {}
    name = values["name"]
    if not name:
        errors["name"] = "Give the programme a name."
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Keep the name under {MAX_NAME_LENGTH} characters."
    else:
        same = Programme.objects.filter(organisation=organisation, name__iexact=name)
        if programme is not None:
            same = same.exclude(pk=programme.pk)
        if same.exists():
            errors["name"] = "Another programme of the organisation already has this name."

    variant = GROUP_VARIANTS.get(values["variant_code"])
    if variant is None:
        errors["variant_code"] = "Choose one of the group models listed."
    else:
        try:
            variant.plan_for(
                values["group_sessions"],
                initial_last=values["initial_last"],
                middle_last=values["middle_last"],
            )
        except ProtocolError as exc:
            errors["group_sessions"] = str(exc)
        if values["caregiver_session"] and not variant.has(GroupFeature.CAREGIVER_SESSION):
            errors["caregiver_session"] = f"{variant.name} has no caregiver session."

    _in_range(errors, values, "min_phq9", 0, PHQ9_MAX, "The lowest PHQ-9 total")
    _in_range(errors, values, "max_phq9", 0, PHQ9_MAX, "The highest PHQ-9 total")
    if "min_phq9" not in errors and "max_phq9" not in errors:
        maximum = values["max_phq9"]
        if maximum is not None and maximum < values["min_phq9"]:
            errors["max_phq9"] = "The highest PHQ-9 total is below the lowest."
    _in_range(errors, values, "min_age", 0, MAX_AGE, "The youngest age")
    _in_range(errors, values, "max_age", 0, MAX_AGE, "The oldest age")
    if not errors.keys() & {"min_phq9", "max_phq9", "min_age", "max_age"}:
        try:
            EligibilityRules(
                min_phq9=values["min_phq9"],
                max_phq9=values["max_phq9"],
                min_age=values["min_age"],
                max_age=values["max_age"],
            ).validate()
        except ProtocolError as exc:
            errors["max_age"] = str(exc)

    _in_range(errors, values, "min_group_size", 1, MAX_GROUP_SIZE, "The smallest group")
    _in_range(errors, values, "max_group_size", 1, MAX_GROUP_SIZE, "The largest group")
    if not errors.keys() & {"min_group_size", "max_group_size"} and (
        values["max_group_size"] < values["min_group_size"]
    ):
        errors["max_group_size"] = "The largest group is smaller than the smallest."
    if values["composition"] not in GroupComposition.values:
        errors["composition"] = "Choose how groups are made up."
    _in_range(errors, values, "low_attendance_percent", 0, 100, "The attendance threshold")
    _in_range(errors, values, "low_adherence_percent", 0, 100, "The adherence threshold")

    sites: list[Practice] = values["sites"]
    if any(site.organisation_id != organisation.pk for site in sites):
        errors["sites"] = "Choose sites of the programme's own organisation."
    return errors


def _site_changes(
    programme: Programme, sites: Iterable[Practice]
) -> tuple[set[int], set[int], dict[str, str]]:
    """Which sites to add and remove; a site with groups or a waiting list cannot go."""
    wanted = {site.pk for site in sites}
    current = set(programme.sites.values_list("practice_id", flat=True))
    removed = current - wanted
    busy = set(
        Group.objects.filter(
            programme=programme,
            practice_id__in=removed,
            status__in=(GroupStatus.FORMING, GroupStatus.RUNNING),
        ).values_list("practice_id", flat=True)
    ) | set(
        GroupMember.objects.filter(
            programme=programme, practice_id__in=removed, status=MemberStatus.WAITING
        ).values_list("practice_id", flat=True)
    )
    errors: dict[str, str] = {}
    if busy:
        names = ", ".join(Practice.objects.filter(pk__in=busy).values_list("name", flat=True))
        errors["sites"] = (
            f"{names}: groups are forming or running there, or people are waiting for a "
            "group. Finish or move them before taking the site out of the programme."
        )
    return wanted - current, removed, errors


def _write_sites(programme: Programme, added: set[int], removed: set[int]) -> None:
    ProgrammeSite.objects.filter(programme=programme, practice_id__in=removed).delete()
    ProgrammeSite.objects.bulk_create(
        ProgrammeSite(programme=programme, practice_id=practice_id) for practice_id in added
    )


@transaction.atomic
def programme_create(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    variant_code: str,
    group_sessions: int | None = None,
    initial_last: int | None = None,
    middle_last: int | None = None,
    sites: Iterable[Practice] = (),
    **rules: Any,
) -> Programme:
    """A new programme of `organisation` with the variant's default plan unless given.

    `rules` are any of the other settable fields (min_phq9, max_group_size…);
    those not given keep the model's defaults.
    """
    _require_manager(actor, organisation.pk)
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"programme_create() got unknown fields: {sorted(unknown)}")
    # The variant's default plan fills in what is not given; _validate checks the result.
    variant = GROUP_VARIANTS.get(variant_code)
    total = group_sessions
    if total is None:
        total = variant.default_sessions if variant else 8
    if initial_last is None and variant is not None:
        initial_last = variant.default_plan.initial_last
    if middle_last is None and variant is not None:
        middle_last = total - variant.default_termination_sessions
    programme = Programme(organisation=organisation)
    values: dict[str, Any] = {f: getattr(programme, f) for f in RULE_FIELDS}
    values.update(rules)
    values.update(
        name=name.strip(),
        variant_code=variant_code,
        group_sessions=total,
        initial_last=initial_last,
        middle_last=middle_last,
        sites=list(sites),
    )
    errors = _validate(values, organisation=organisation, programme=None)
    if errors:
        raise ValidationError(errors)
    for name_, value in values.items():
        if name_ != "sites":
            setattr(programme, name_, value)
    programme.save()
    _write_sites(programme, {site.pk for site in values["sites"]}, set())
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="programme",
        object_public_id=programme.public_id,
        changed_fields=sorted(values),
    )
    return programme


@transaction.atomic
def programme_update(
    *,
    actor: User,
    programme: Programme,
    expected_updated_at: datetime.datetime | None = None,
    **fields: Any,
) -> Programme:
    """Change a programme's name, rules or sites; returns the saved programme.

    Running groups keep the plan and size they copied when they were formed.
    `expected_updated_at` (the time the form was opened with) refuses a save
    over someone else's newer one with StaleProgramme. Unknown field names are a
    programming error (TypeError): nothing outside SETTABLE_FIELDS can be set.
    """
    _require_manager(actor, programme.organisation_id)
    unknown = set(fields) - SETTABLE_FIELDS
    if unknown:
        raise TypeError(f"programme_update() got unknown fields: {sorted(unknown)}")
    current = (
        Programme.objects.select_for_update().select_related("organisation").get(pk=programme.pk)
    )
    if expected_updated_at is not None and current.updated_at != expected_updated_at:
        raise StaleProgramme
    values: dict[str, Any] = {f: getattr(current, f) for f in ("name", *RULE_FIELDS)}
    values["sites"] = list(Practice.objects.filter(programme_sites__programme=current))
    values.update(fields)
    values["name"] = str(values["name"]).strip()
    values["sites"] = list(values["sites"])
    errors = _validate(values, organisation=current.organisation, programme=current)
    added, removed, site_errors = _site_changes(current, values["sites"])
    errors = {**site_errors, **errors}
    if errors:
        raise ValidationError(errors)
    changed = [name for name in ("name", *RULE_FIELDS) if getattr(current, name) != values[name]]
    for name in changed:
        setattr(current, name, values[name])
    if added or removed:
        changed.append("sites")
        _write_sites(current, added, removed)
    if changed:
        current.save()
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="programme",
            object_public_id=current.public_id,
            changed_fields=changed,
        )
    return current


__all__ = [
    "MAX_GROUP_SIZE",
    "RULE_FIELDS",
    "SETTABLE_FIELDS",
    "StaleProgramme",
    "can_manage_programmes",
    "programme_create",
    "programme_update",
]
