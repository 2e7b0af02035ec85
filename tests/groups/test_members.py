"""Forming groups and placing members: pre-group session, size, composition, start, drop."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openipt.audit.models import AuditEvent
from openipt.groups.models import (
    Gender,
    Group,
    GroupComposition,
    GroupMember,
    GroupStatus,
    MemberStatus,
    Programme,
)
from openipt.groups.services.members import (
    StaleMemberEdit,
    age_band,
    composition_refusal,
    group_create,
    group_start,
    member_drop,
    member_place,
    member_pre_group_record,
    normalised_composition_label,
)
from tests.groups.world import GroupWorld, make_member

pytestmark = pytest.mark.django_db


def _waiting(gw: GroupWorld, *, gender: str = Gender.WOMAN, given: str = "Zara") -> GroupMember:
    return make_member(
        programme=gw.programme,
        practice=gw.world.practice_a,
        facilitator=gw.facilitator,
        given=given,
        family="Waits",
        group=None,
        gender=gender,
    )


def _forming(gw: GroupWorld, *, label: str = "", max_size: int = 8) -> Group:
    return Group.objects.create(
        programme=gw.programme,
        practice=gw.world.practice_a,
        facilitator=gw.facilitator,
        name="New group",
        planned_sessions=8,
        initial_last=1,
        middle_last=7,
        max_size=max_size,
        composition_label=label,
        status=GroupStatus.FORMING,
    )


def _set_composition(gw: GroupWorld, composition: str) -> None:
    Programme.objects.filter(pk=gw.programme.pk).update(composition=composition)
    gw.programme.refresh_from_db()


# --------------------------------------------------------------------------- pre-group


def _pre_group(gw: GroupWorld, member: GroupMember, **overrides: object) -> GroupMember:
    fields: dict[str, object] = {
        "actor": gw.facilitator,
        "member": member,
        "held_at": timezone.now() - datetime.timedelta(hours=1),
        "symptoms": "Low for months, not sleeping.",
        "onset": "Since her husband left in March.",
        "hopes": "To sleep and to talk to her sister again.",
        "problem_area": "role_transition",
        "version": member.version,
    }
    fields.update(overrides)
    return member_pre_group_record(**fields)  # type: ignore[arg-type]


def test_pre_group_session_is_recorded_encrypted_and_audited(group_world: GroupWorld) -> None:
    gw = group_world
    member = _pre_group(gw, gw.waiting)
    member.refresh_from_db()
    assert member.problem_area == "role_transition"
    assert member.pre_group_onset == "Since her husband left in March."
    assert member.version == 2
    event = AuditEvent.objects.filter(object_type="group_member").latest("id")
    assert "pre_group_onset" in event.changed_fields
    assert "March" not in str(event.changed_fields)


def test_stale_pre_group_edit_is_refused(group_world: GroupWorld) -> None:
    """GIVEN two edits started from version 1 WHEN the second is saved after the first
    THEN it is refused (StaleMemberEdit, a ValidationError) and nothing of it is saved."""
    gw = group_world
    _pre_group(gw, gw.waiting, version=1)
    with pytest.raises(StaleMemberEdit):
        _pre_group(gw, gw.waiting, version=1, hopes="Overwritten?")
    gw.waiting.refresh_from_db()
    assert gw.waiting.pre_group_hopes == "To sleep and to talk to her sister again."
    assert issubclass(StaleMemberEdit, ValidationError)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("problem_area", "bad_luck"),
        ("held_at", timezone.now() + datetime.timedelta(days=2)),
        ("symptoms", "x" * 4001),
    ],
)
def test_pre_group_bad_values_are_refused(
    group_world: GroupWorld, field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        _pre_group(group_world, group_world.waiting, **{field: value})
    key = "held_at" if field == "held_at" else field
    assert key in caught.value.message_dict


def test_problem_area_may_wait(group_world: GroupWorld) -> None:
    member = _pre_group(group_world, group_world.waiting, problem_area="")
    assert member.problem_area == ""


def test_a_supervisor_cannot_write_the_pre_group_session(group_world: GroupWorld) -> None:
    with pytest.raises(PermissionDenied):
        _pre_group(group_world, group_world.waiting, actor=group_world.supervisor)


# --------------------------------------------------------------------------- forming


def test_group_create_copies_the_programmes_plan(group_world: GroupWorld) -> None:
    gw = group_world
    group = group_create(
        actor=gw.facilitator, programme=gw.programme, practice=gw.world.practice_a, name=" Wed "
    )
    assert group.status == GroupStatus.FORMING
    assert (group.name, group.facilitator) == ("Wed", gw.facilitator)
    assert (group.planned_sessions, group.initial_last, group.middle_last) == (8, 1, 7)
    assert group.max_size == 8


def test_group_create_refuses_other_roles_and_bad_plans(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(PermissionDenied):
        group_create(
            actor=gw.supervisor, programme=gw.programme, practice=gw.world.practice_a, name="X"
        )
    with pytest.raises(ValidationError):
        group_create(
            actor=gw.facilitator, programme=gw.programme, practice=gw.world.practice_a, name=" "
        )
    Programme.objects.filter(pk=gw.programme.pk).update(group_sessions=30, middle_last=20)
    gw.programme.refresh_from_db()
    with pytest.raises(ValidationError, match="12 group sessions"):
        group_create(
            actor=gw.facilitator, programme=gw.programme, practice=gw.world.practice_a, name="X"
        )


def test_gender_groups_need_a_women_or_men_label(group_world: GroupWorld) -> None:
    gw = group_world
    _set_composition(gw, GroupComposition.BY_GENDER)
    with pytest.raises(ValidationError) as caught:
        group_create(
            actor=gw.facilitator, programme=gw.programme, practice=gw.world.practice_a, name="X"
        )
    assert "composition_label" in caught.value.message_dict
    group = group_create(
        actor=gw.facilitator,
        programme=gw.programme,
        practice=gw.world.practice_a,
        name="X",
        composition_label="Women",
    )
    assert group.composition_label == "woman"


@pytest.mark.parametrize(
    ("composition", "label", "stored"),
    [
        (GroupComposition.MIXED, "anything", ""),
        (GroupComposition.BY_GENDER, "men", "man"),
        (GroupComposition.BY_AGE, " 18 - 29 ", "18-29"),
        (GroupComposition.BY_AGE, "18 to 29", "18-29"),
        (GroupComposition.BY_AGE, "60+", "60+"),
    ],
)
def test_composition_labels_are_stored_in_one_spelling(
    composition: str, label: str, stored: str
) -> None:
    assert normalised_composition_label(composition, label) == stored


@pytest.mark.parametrize("label", ["", "old", "29-18", "18-"])
def test_unreadable_age_bands_are_refused(label: str) -> None:
    assert age_band(label) is None
    with pytest.raises(ValidationError):
        normalised_composition_label(GroupComposition.BY_AGE, label)


@pytest.mark.parametrize(
    ("composition", "label", "gender", "age", "allowed"),
    [
        (GroupComposition.MIXED, "", Gender.MAN, 40, True),
        (GroupComposition.BY_GENDER, "woman", Gender.WOMAN, 40, True),
        (GroupComposition.BY_GENDER, "woman", Gender.MAN, 40, False),
        (GroupComposition.BY_GENDER, "man", Gender.WOMAN, 40, False),
        (GroupComposition.BY_GENDER, "woman", Gender.OTHER, 40, True),
        (GroupComposition.BY_GENDER, "man", Gender.NOT_SAID, 40, True),
        (GroupComposition.BY_GENDER, "", Gender.WOMAN, 40, False),
        (GroupComposition.BY_AGE, "18-29", Gender.WOMAN, 29, True),
        (GroupComposition.BY_AGE, "18-29", Gender.WOMAN, 30, False),
        (GroupComposition.BY_AGE, "18-29", Gender.WOMAN, 17, False),
        (GroupComposition.BY_AGE, "60+", Gender.WOMAN, 84, True),
        (GroupComposition.BY_AGE, "", Gender.WOMAN, 40, False),
    ],
)
def test_composition_rule(
    composition: str, label: str, gender: str, age: int, allowed: bool
) -> None:
    """GIVEN a programme's composition rule WHEN a member of this gender and age
    is matched with a group of this label THEN they may join only if the rule allows."""
    refusal = composition_refusal(composition=composition, label=label, gender=gender, age=age)
    assert (refusal is None) is allowed


# --------------------------------------------------------------------------- placing


def test_placing_a_waiting_member_enrols_them(group_world: GroupWorld) -> None:
    gw = group_world
    member = member_place(actor=gw.facilitator, member=gw.waiting, group=gw.group)
    assert member.status == MemberStatus.ENROLLED
    assert member.group == gw.group and member.enrolled_at is not None
    assert AuditEvent.objects.filter(
        object_type="group_member", object_public_id=member.public_id, action="update"
    ).exists()


def test_a_full_group_takes_nobody_more(group_world: GroupWorld) -> None:
    """GIVEN a group whose enrolled members fill its size limit WHEN another is placed
    THEN the placement is refused and the person keeps waiting; a member who dropped
    out frees a place."""
    gw = group_world
    Group.objects.filter(pk=gw.group.pk).update(max_size=3)
    gw.group.refresh_from_db()
    with pytest.raises(ValidationError, match="full: 3 of 3"):
        member_place(actor=gw.facilitator, member=gw.waiting, group=gw.group)
    gw.waiting.refresh_from_db()
    assert gw.waiting.status == MemberStatus.WAITING
    member_drop(actor=gw.facilitator, member=gw.members[0], reason="Moved away.")
    member_place(actor=gw.facilitator, member=gw.waiting, group=gw.group)


def test_gender_groups_take_only_their_gender(group_world: GroupWorld) -> None:
    """GIVEN a programme with separate groups for women and men WHEN a man is placed
    in the women's group THEN it is refused; a woman is placed."""
    gw = group_world
    _set_composition(gw, GroupComposition.BY_GENDER)
    women = _forming(gw, label="woman")
    man = _waiting(gw, gender=Gender.MAN, given="Tom")
    with pytest.raises(ValidationError, match="for women only"):
        member_place(actor=gw.facilitator, member=man, group=women)
    member_place(actor=gw.facilitator, member=gw.waiting, group=women)


def test_age_groups_take_only_their_band(group_world: GroupWorld) -> None:
    gw = group_world
    _set_composition(gw, GroupComposition.BY_AGE)
    young = _forming(gw, label="18-29")
    # The world's clients were born in 1990: over 29 from 2020 on.
    with pytest.raises(ValidationError, match="ages 18-29"):
        member_place(actor=gw.facilitator, member=gw.waiting, group=young)


def test_placing_someone_elses_member_is_refused(group_world: GroupWorld) -> None:
    """GIVEN Finn screened a person WHEN Fay places them in her group THEN refused;
    nor can Fay place her own waiting member in Finn's group."""
    gw = group_world
    finns = make_member(
        programme=gw.programme,
        practice=gw.world.practice_a,
        facilitator=gw.facilitator_2,
        given="Kofi",
        family="Finnsperson",
        group=None,
    )
    with pytest.raises(PermissionDenied):
        member_place(actor=gw.facilitator, member=finns, group=gw.group)
    with pytest.raises(PermissionDenied):
        member_place(actor=gw.facilitator, member=gw.waiting, group=gw.group_2)
    with pytest.raises(PermissionDenied):
        member_place(actor=gw.supervisor, member=gw.waiting, group=gw.group)


def test_only_waiting_members_go_into_open_groups(group_world: GroupWorld) -> None:
    gw = group_world
    other = _forming(gw)
    with pytest.raises(ValidationError, match="Only someone waiting"):
        member_place(actor=gw.facilitator, member=gw.members[0], group=other)
    Group.objects.filter(pk=other.pk).update(status=GroupStatus.COMPLETED)
    other.refresh_from_db()
    with pytest.raises(ValidationError, match="finished"):
        member_place(actor=gw.facilitator, member=gw.waiting, group=other)


def test_a_group_of_another_programme_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    other_programme = Programme.objects.create(organisation=gw.world.organisation, name="Other")
    group = _forming(gw)
    Group.objects.filter(pk=group.pk).update(programme=other_programme)
    group.refresh_from_db()
    with pytest.raises(ValidationError, match="another programme"):
        member_place(actor=gw.facilitator, member=gw.waiting, group=group)


# --------------------------------------------------------------------------- starting


def test_a_group_starts_only_with_the_smallest_size(group_world: GroupWorld) -> None:
    """GIVEN a programme whose groups start with at least 4 members WHEN a forming group
    with 3 is started THEN refused with the numbers; with a 4th member it starts."""
    gw = group_world
    group = _forming(gw)
    for n in range(3):
        make_member(
            programme=gw.programme,
            practice=gw.world.practice_a,
            facilitator=gw.facilitator,
            given=f"P{n}",
            family="Start",
            group=group,
        )
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="at least 4 members; 3 are placed"):
        group_start(actor=gw.facilitator, group=group, started_on=today)
    member_place(actor=gw.facilitator, member=gw.waiting, group=group)
    started = group_start(actor=gw.facilitator, group=group, started_on=today)
    assert started.status == GroupStatus.RUNNING and started.started_on == today
    with pytest.raises(ValidationError, match="already started"):
        group_start(actor=gw.facilitator, group=group, started_on=today)


def test_start_refuses_other_people_and_future_dates(group_world: GroupWorld) -> None:
    gw = group_world
    group = _forming(gw)
    with pytest.raises(PermissionDenied):
        group_start(actor=gw.supervisor, group=group, started_on=timezone.localdate())
    with pytest.raises(ValidationError):
        group_start(
            actor=gw.facilitator,
            group=group,
            started_on=timezone.localdate() + datetime.timedelta(days=3),
        )


# --------------------------------------------------------------------------- dropping


def test_drop_keeps_the_reason_encrypted_and_ends_membership(group_world: GroupWorld) -> None:
    gw = group_world
    member = member_drop(actor=gw.facilitator, member=gw.members[1], reason="Found work.")
    member.refresh_from_db()
    assert member.status == MemberStatus.DROPPED
    assert member.ended_at is not None and member.drop_reason == "Found work."
    with pytest.raises(ValidationError, match="already left"):
        member_drop(actor=gw.facilitator, member=member, reason="Again")


def test_drop_needs_a_reason_and_the_members_facilitator(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(ValidationError):
        member_drop(actor=gw.facilitator, member=gw.waiting, reason="  ")
    with pytest.raises(PermissionDenied):
        member_drop(actor=gw.supervisor, member=gw.waiting, reason="No")
    with pytest.raises(PermissionDenied):
        member_drop(actor=gw.facilitator, member=gw.member_2, reason="Not mine")
