"""Group members' PHQ-9 scores (MemberScore) in FHIR: the member's $everything bundle
and the bulk export. Recorded through the groups services (screening, placing,
sessions), so the rows are the ones the pages write."""

from __future__ import annotations

import datetime
import json
import math
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.api.services import api_token_create
from openipt.fhir import sources
from openipt.fhir.codes import (
    EXT_ATTENDANCE,
    EXT_SCORE_CONTEXT,
    EXT_SESSION_NUMBER,
    EXT_SESSION_PHASE,
    INSTRUMENT_TOTAL_SYSTEM,
    ITEM_SYSTEM,
    LOINC,
    OBSERVATION_CATEGORY,
    SCORE_CONTEXT_SYSTEM,
)
from openipt.fhir.mappers import groups as group_map
from openipt.fhir.mappers import measures as measure_map
from openipt.groups.models import (
    Attendance,
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberStatus,
    MemberTask,
    Screening,
    ScreeningOutcome,
)
from openipt.groups.services.members import member_drop, member_place, member_pre_group_record
from openipt.groups.services.screening import screening_record
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from openipt.measures.engine import shipped
from openipt.practice.models import Client
from tests.factories import CareTeamMemberFactory
from tests.fhir.support import Json, check_status, codes, of_type, unresolved, validate
from tests.groups.world import GroupWorld, build_group_world, phq9_answers
from tests.world import World

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PHQ9_URL = "https://openipt.org/fhir/Questionnaire/phq9|1.0"

# Typed text about members that must never leave: each one is written below.
SESSION_NOTES = "GROUP-NOTES-Qa1 Nia cried when talking about her sister"
TASK_TEXT = "MEMBER-TASK-Wb2 call her sister on Sunday"
REFERRAL_NOTE = "REFERRAL-NOTE-Ec3 seen by the nurse"
PRE_GROUP = (
    "PRE-GROUP-SYMPTOMS-Rd4 no sleep",
    "PRE-GROUP-ONSET-Tf5 after the move",
    "PRE-GROUP-HOPES-Yg6 to feel less alone",
)
DROP_REASON = "DROP-REASON-Uh7 moved to another town"
SECRETS = (SESSION_NOTES, TASK_TEXT, REFERRAL_NOTE, *PRE_GROUP, DROP_REASON)

SCREENING_ANSWERS = phq9_answers(2, 2, 2, 2, 2, 1, 1, 1, 0)  # 13, moderate
SESSION_1_ANSWERS = phq9_answers(2, 1, 1, 1, 1, 1, 1, 1, 0)  # 9, mild
SESSION_2_ANSWERS = phq9_answers(1, 1, 1, 0, 0, 0, 0, 0, 0)  # 3, minimal
OTHERS = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)  # 8


@dataclass
class ScoreWorld:
    gw: GroupWorld
    nia: GroupMember  # screened, pre-group session, placed in Fay's group
    session_1: GroupSession  # Ivy absent
    session_2: GroupSession


def _entries(
    gw: GroupWorld, nia: GroupMember, nia_answers: dict[str, int], absent: set[int]
) -> list[MemberEntry]:
    found = [
        MemberEntry(
            member_public_id=m.public_id,
            present=m.pk not in absent,
            answers={} if m.pk in absent else OTHERS,
        )
        for m in gw.members
    ]
    found.append(
        MemberEntry(
            member_public_id=nia.public_id, present=True, answers=nia_answers, task_text=TASK_TEXT
        )
    )
    return found


def build_scores(world: World) -> ScoreWorld:
    gw = build_group_world(world)
    fay = gw.facilitator
    screening = screening_record(
        actor=fay,
        programme=gw.programme,
        practice=world.practice_a,
        given_name="Nia",
        family_name="Moyo",
        date_of_birth=datetime.date(1988, 3, 9),
        gender="woman",
        answers=SCREENING_ANSWERS,
        referral_note=REFERRAL_NOTE,
    )
    assert screening.outcome == ScreeningOutcome.ELIGIBLE
    nia = GroupMember.objects.get(screening=screening)
    nia = member_pre_group_record(
        actor=fay,
        member=nia,
        held_at=timezone.now() - datetime.timedelta(days=10),
        symptoms=PRE_GROUP[0],
        onset=PRE_GROUP[1],
        hopes=PRE_GROUP[2],
        problem_area="role_dispute",
        version=nia.version,
    )
    nia = member_place(actor=fay, member=nia, group=gw.group)
    ivy = gw.members[2]
    session_1 = group_session_record(
        actor=fay,
        group=gw.group,
        number=1,
        held_on=TODAY - datetime.timedelta(days=7),
        entries=_entries(gw, nia, SESSION_1_ANSWERS, absent={ivy.pk}),
        notes=SESSION_NOTES,
    ).session
    session_2 = group_session_record(
        actor=fay,
        group=gw.group,
        number=2,
        held_on=TODAY,
        entries=_entries(gw, nia, SESSION_2_ANSWERS, absent=set()),
        notes=SESSION_NOTES,
    ).session
    member_drop(actor=fay, member=gw.members[1], reason=DROP_REASON)
    return ScoreWorld(gw=gw, nia=nia, session_1=session_1, session_2=session_2)


@pytest.fixture
def sw(world: World) -> ScoreWorld:
    return build_scores(world)


def get(user: User, client: Client) -> Any:
    _, token = api_token_create(actor=user, name="fhir")
    return HttpClient().get(
        reverse("api:fhir_patient_everything", kwargs={"patient_id": client.public_id}),
        headers={"Authorization": f"Bearer {token}"},
    )


def everything(user: User, client: Client) -> tuple[Json, list[Json]]:
    response = get(user, client)
    assert response.status_code == 200, response.content
    bundle = json.loads(response.content)
    return bundle, [e["resource"] for e in bundle["entry"]]


def by_id(resources: list[Json], kind: str) -> dict[str, Json]:
    return {r["id"]: r for r in of_type(resources, kind)}


def resolve(resources: list[Json], reference: Json) -> Json:
    kind, _, rid = reference["reference"].partition("/")
    (found,) = [r for r in resources if r["resourceType"] == kind and r["id"] == rid]
    return found


def nia_scores(sw: ScoreWorld) -> list[MemberScore]:
    """Nia's scores: the screening's first, then by session."""
    rows = MemberScore.objects.filter(member=sw.nia).select_related("session")
    return sorted(rows, key=lambda s: s.session.number if s.session else 0)


# --- the member's bundle -----------------------------------------------------------------------


def test_the_supervisor_gets_every_score_valid_and_resolving(sw: ScoreWorld) -> None:
    bundle, resources = everything(sw.gw.supervisor, sw.nia.client)
    Bundle.model_validate(bundle)
    for resource in resources:
        validate(resource)
        check_status(resource)
    assert unresolved(resources) == []
    scores = nia_scores(sw)
    assert [s.session_id for s in scores] == [None, sw.session_1.pk, sw.session_2.pk]
    responses = by_id(resources, "QuestionnaireResponse")
    assert set(responses) == {str(s.public_id) for s in scores}
    phq9 = shipped("phq9")
    for score in scores:
        qr = responses[str(score.public_id)]
        assert qr["questionnaire"] == PHQ9_URL
        assert qr["status"] == "completed"
        assert qr["subject"] == {"reference": f"Patient/{sw.nia.client.public_id}"}
        assert qr["author"] == {"reference": f"Practitioner/{sw.gw.facilitator.public_id}"}
        assert qr["authored"] == score.administered_at.isoformat()
        # Answers by linkId, decoded to LOINC answer codes from the stored ordinals.
        answers = {i["linkId"]: i["answer"][0]["valueCoding"] for i in qr["item"]}
        assert set(answers) == set(score.answers) and len(answers) == 9
        for link_id, ordinal in score.answers.items():
            option = next(i for i in phq9.items if i.link_id == link_id).option_for_ordinal(ordinal)
            assert option is not None
            assert answers[link_id] == {
                "system": LOINC,
                "code": option.code,
                "display": option.display,
            }
        # The questionnaire it answers is in the bundle.
        (questionnaire,) = [
            q for q in of_type(resources, "Questionnaire") if q["url"] == PHQ9_URL.split("|")[0]
        ]
        assert questionnaire["version"] == "1.0"
    practitioner = resolve(resources, responses[str(scores[0].public_id)]["author"])
    assert practitioner["name"] == [{"text": sw.gw.facilitator.full_name}]


def test_totals_carry_loinc_band_and_items(sw: ScoreWorld) -> None:
    _, resources = everything(sw.gw.supervisor, sw.nia.client)
    observations = by_id(resources, "Observation")
    expected = {13: "Moderate", 9: "Mild", 3: "Minimal"}
    assert sorted(s.total for s in nia_scores(sw)) == sorted(expected)
    for score in nia_scores(sw):
        total = observations[str(score.public_id)]
        assert total["valueInteger"] == score.total
        assert set(codes(total["code"])) == {(LOINC, "44261-6"), (INSTRUMENT_TOTAL_SYSTEM, "phq9")}
        assert total["interpretation"] == [{"text": expected[score.total]}]
        assert total["status"] == "final"
        assert total["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{score.public_id}"}]
        assert total["effectiveDateTime"] == score.administered_at.isoformat()
        items = [resolve(resources, member) for member in total["hasMember"]]
        assert len(items) == 9  # the group form asks the nine scored items
        item_1 = next(o for o in items if (ITEM_SYSTEM, "phq9-1") in set(codes(o["code"])))
        assert (LOINC, "44250-9") in set(codes(item_1["code"]))
        assert item_1["valueCodeableConcept"]["coding"][0]["system"] == LOINC
        for observation in [total, *items]:
            assert observation["status"] == "final"
            categories = [c["coding"][0] for c in observation["category"]]
            assert categories[0] == {
                "system": OBSERVATION_CATEGORY,
                "code": "survey",
                "display": "Survey",
            }
            assert observation["subject"] == {"reference": f"Patient/{sw.nia.client.public_id}"}
            assert observation["derivedFrom"] == total["derivedFrom"]


def test_session_scores_name_the_members_encounter_within_the_group_session(
    sw: ScoreWorld,
) -> None:
    _, resources = everything(sw.gw.supervisor, sw.nia.client)
    responses = by_id(resources, "QuestionnaireResponse")
    observations = by_id(resources, "Observation")
    (group,) = of_type(resources, "Group")
    assert group["id"] == str(sw.gw.group.public_id)
    for number, session in ((1, sw.session_1), (2, sw.session_2)):
        score = MemberScore.objects.get(member=sw.nia, session=session)
        qr = responses[str(score.public_id)]
        assert qr["extension"] == [
            {
                "url": EXT_SCORE_CONTEXT,
                "valueCoding": {
                    "system": SCORE_CONTEXT_SYSTEM,
                    "code": "group-session",
                    "display": "Group IPT session",
                },
            }
        ]
        attendance = Attendance.objects.get(member=sw.nia, session=session)
        assert qr["encounter"] == {"reference": f"Encounter/{attendance.public_id}"}
        assert observations[str(score.public_id)]["encounter"] == qr["encounter"]
        mine = resolve(resources, qr["encounter"])
        assert mine["subject"] == {"reference": f"Patient/{sw.nia.client.public_id}"}
        assert mine["status"] == "finished"
        assert {"url": EXT_SESSION_NUMBER, "valuePositiveInt": number} in mine["extension"]
        assert mine["type"] == [{"text": f"Group IPT session {number}"}]
        assert mine["extension"][-1]["url"] == EXT_ATTENDANCE
        assert mine["period"]["start"] == session.held_on.isoformat()
        # The group session itself: its subject is the Group.
        meeting = resolve(resources, mine["partOf"])
        assert meeting["id"] == str(session.public_id)
        assert meeting["subject"] == {"reference": f"Group/{group['id']}"}
        assert meeting["status"] == "finished"
        phase = "initial" if number == 1 else "middle"  # the group world's plan: 1 / 2–7 / 8
        assert {"url": EXT_SESSION_PHASE, "valueCode": phase} in meeting["extension"]
        assert meeting["participant"][0]["individual"] == {
            "reference": f"Practitioner/{sw.gw.facilitator.public_id}"
        }


def test_the_screening_score_is_marked_as_screening(sw: ScoreWorld) -> None:
    _, resources = everything(sw.gw.supervisor, sw.nia.client)
    screening_score = MemberScore.objects.get(member=sw.nia, session__isnull=True)
    assert screening_score.answers == SCREENING_ANSWERS
    qr = by_id(resources, "QuestionnaireResponse")[str(screening_score.public_id)]
    screening_coding = {
        "system": SCORE_CONTEXT_SYSTEM,
        "code": "screening",
        "display": "Screening for group IPT",
    }
    assert qr["extension"] == [{"url": EXT_SCORE_CONTEXT, "valueCoding": screening_coding}]
    assert "encounter" not in qr
    total = by_id(resources, "Observation")[str(screening_score.public_id)]
    assert total["category"][1] == {"coding": [screening_coding]}
    assert "encounter" not in total
    # Session scores are not marked as screening.
    marked = [
        o
        for o in of_type(resources, "Observation")
        if {"coding": [screening_coding]} in o["category"]
    ]
    assert {o["derivedFrom"][0]["reference"] for o in marked} == {
        f"QuestionnaireResponse/{screening_score.public_id}"
    }


def test_the_bundle_names_no_other_member_and_no_typed_text(sw: ScoreWorld) -> None:
    response = get(sw.gw.supervisor, sw.nia.client)
    text = response.content.decode()
    resources = [e["resource"] for e in json.loads(text)["entry"]]
    for other in sw.gw.members:
        assert str(other.client.public_id) not in text
        for score in MemberScore.objects.filter(member=other):
            assert str(score.public_id) not in text
    for secret in SECRETS:
        assert secret not in text
    # Each of them is on the record (so the check above is not vacuous).
    stored = GroupMember.objects.get(pk=sw.nia.pk)
    assert (stored.pre_group_symptoms, stored.pre_group_onset, stored.pre_group_hopes) == PRE_GROUP
    assert stored.screening.referral_note == REFERRAL_NOTE
    assert GroupSession.objects.get(pk=sw.session_1.pk).notes == SESSION_NOTES
    assert [t.text for t in MemberTask.objects.filter(member=sw.nia)] == [TASK_TEXT] * 2
    assert GroupMember.objects.get(pk=sw.gw.members[1].pk).drop_reason == DROP_REASON
    # One Encounter per session Nia attended, plus each session's own.
    encounters = of_type(resources, "Encounter")
    assert len(encounters) == 4
    assert {e["subject"]["reference"].split("/")[0] for e in encounters} == {"Patient", "Group"}


def test_the_facilitators_supervisor_only_gets_the_scores(sw: ScoreWorld) -> None:
    """Sue supervises Finn, not Fay: at this clinic she may open Nia's record (a supervisor
    sees every client of a clinic) but not Nia's member record, so no scores. The same for
    the practice admin and for a clinician on Nia's care team."""
    gw = sw.gw
    world = gw.world
    CareTeamMemberFactory.create(client=sw.nia.client, user=world.clinician, role="clinician")
    score_ids = {str(s.public_id) for s in nia_scores(sw)}
    session_ids = {str(sw.session_1.public_id), str(sw.session_2.public_id)}
    _, allowed = everything(gw.supervisor, sw.nia.client)
    assert score_ids <= set(by_id(allowed, "QuestionnaireResponse"))
    for user in (gw.supervisor_2, world.admin, world.clinician):
        response = get(user, sw.nia.client)
        assert response.status_code == 200
        text = response.content.decode()
        resources = [e["resource"] for e in json.loads(text)["entry"]]
        assert of_type(resources, "Patient")
        assert not of_type(resources, "QuestionnaireResponse")
        assert not of_type(resources, "Observation")
        assert not of_type(resources, "Encounter")
        for public_id in score_ids | session_ids:
            assert public_id not in text
        assert unresolved(resources) == []


@pytest.mark.parametrize("role", ["facilitator", "facilitator_2", "programme_manager"])
def test_facilitators_and_managers_get_no_bundle_at_all(sw: ScoreWorld, role: str) -> None:
    """Facilitators see no individual client records (practice.policies), so the
    endpoint keeps answering 404 to them, their own members included."""
    users = {
        "facilitator": sw.gw.facilitator,
        "facilitator_2": sw.gw.facilitator_2,
        "programme_manager": sw.gw.world.programme_manager,
    }
    response = get(users[role], sw.nia.client)
    assert response.status_code == 404
    assert "Moyo" not in response.content.decode()


def test_a_member_seen_without_their_group_gets_no_dangling_part_of(sw: ScoreWorld) -> None:
    """Finn's supervisor Sue sees Nia's member record once Finn is the one who screened
    her, but not Fay's group: scores and Nia's own Encounters, no group session."""
    GroupMember.objects.filter(pk=sw.nia.pk).update(facilitator=sw.gw.facilitator_2)
    _, resources = everything(sw.gw.supervisor_2, sw.nia.client)
    assert not of_type(resources, "Group")
    assert len(of_type(resources, "QuestionnaireResponse")) == 3
    encounters = of_type(resources, "Encounter")
    assert len(encounters) == 2
    assert all(
        "partOf" not in e and e["subject"]["reference"].startswith("Patient/") for e in encounters
    )
    assert unresolved(resources) == []


# --- bulk export -----------------------------------------------------------------------------


def read_export(out: Path) -> dict[str, list[Json]]:
    return {
        path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(out.glob("*.ndjson"))
    }


def test_the_bulk_export_has_every_members_scores(sw: ScoreWorld, tmp_path: Path) -> None:
    call_command("fhir_export", practice=str(sw.gw.world.practice_a.public_id), out=str(tmp_path))
    files = read_export(tmp_path)
    everything = [r for resources in files.values() for r in resources]
    for resource in everything:
        validate(resource)
        check_status(resource)
    assert unresolved(everything) == []
    responses = {r["id"]: r for r in files["QuestionnaireResponse"]}
    all_scores = MemberScore.objects.filter(practice=sw.gw.world.practice_a)
    assert all_scores.count() == 3 + 2 + 2 + 1  # Nia 3, Grace and Hana 2 each, Ivy 1
    for score in all_scores.select_related("member__client"):
        qr = responses[str(score.public_id)]
        assert qr["subject"] == {"reference": f"Patient/{score.member.client.public_id}"}
        assert qr["questionnaire"] == PHQ9_URL
        total = next(o for o in files["Observation"] if o["id"] == str(score.public_id))
        assert (LOINC, "44261-6") in set(codes(total["code"]))
        assert total["valueInteger"] == score.total
    # A group session Encounter per session, one per member present; Ivy missed session 1.
    encounters = {e["id"]: e for e in files["Encounter"]}
    for session in (sw.session_1, sw.session_2):
        assert encounters[str(session.public_id)]["subject"] == {
            "reference": f"Group/{sw.gw.group.public_id}"
        }
    present = Attendance.objects.filter(present=True)
    assert present.count() == 3 + 4
    for attendance in present:
        assert encounters[str(attendance.public_id)]["partOf"] == {
            "reference": f"Encounter/{attendance.session.public_id}"
        }
    absent = Attendance.objects.get(present=False)
    assert absent.member == sw.gw.members[2]
    assert str(absent.public_id) not in encounters
    text = "".join(p.read_text() for p in tmp_path.glob("*.ndjson"))
    for secret in SECRETS:
        assert secret not in text


# --- streaming -------------------------------------------------------------------------------

BULK_ANSWERS = phq9_answers(2, 2, 2, 2, 2, 1, 1, 1, 0)


def _members_with_scores(gw: GroupWorld, n: int, tag: str) -> QuerySet[GroupMember]:
    """`n` members in groups of ten, each group with two sessions every member attended:
    per member a screening score, two session scores and two attendances."""
    practice, programme, fay = gw.world.practice_a, gw.programme, gw.facilitator
    now = timezone.now()
    groups = Group.objects.bulk_create(
        Group(
            programme=programme,
            practice=practice,
            facilitator=fay,
            name=f"{tag} {g}",
            planned_sessions=8,
            initial_last=1,
            middle_last=7,
            max_size=10,
            status=GroupStatus.RUNNING,
        )
        for g in range(math.ceil(n / 10))
    )
    sessions = GroupSession.objects.bulk_create(
        GroupSession(
            group=group,
            number=k,
            held_on=datetime.date(2026, 10, 6 + k),
            recorded_by=fay,
        )
        for group in groups
        for k in (1, 2)
    )
    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            given_name=f"{tag}{i}",
            family_name="Bulk",
            date_of_birth=datetime.date(1990, 1, 1),
        )
        for i in range(n)
    )
    screenings = Screening.objects.bulk_create(
        Screening(
            programme=programme,
            practice=practice,
            client=client,
            screened_by=fay,
            screened_at=now,
            phq9_answers=BULK_ANSWERS,
            phq9_total=13,
            phq9_band="moderate",
            outcome=ScreeningOutcome.ELIGIBLE,
        )
        for client in clients
    )
    members = GroupMember.objects.bulk_create(
        GroupMember(
            programme=programme,
            practice=practice,
            client=client,
            screening=screening,
            facilitator=fay,
            group=groups[i // 10],
            status=MemberStatus.ENROLLED,
            enrolled_at=now,
        )
        for i, (client, screening) in enumerate(zip(clients, screenings, strict=True))
    )
    of_group: dict[int | None, list[GroupSession]] = {
        g.pk: [s for s in sessions if s.group_id == g.pk] for g in groups
    }
    Attendance.objects.bulk_create(
        Attendance(session=s, member=m, present=True) for m in members for s in of_group[m.group_id]
    )
    MemberScore.objects.bulk_create(
        MemberScore(
            member=m,
            session=s,
            practice=practice,
            instrument_version="1.0",
            answers=BULK_ANSWERS,
            total=13,
            band_code="moderate",
            administered_at=now,
            entered_by=fay,
        )
        for m in members
        for s in [None, *of_group[m.group_id]]
    )
    return GroupMember.objects.filter(pk__in=[m.pk for m in members])


def _export_members(
    gw: GroupWorld, members: QuerySet[GroupMember], chunk_size: int
) -> tuple[int, dict[str, int]]:
    instruments = sources.InstrumentCache(gw.world.practice_a)
    assert instruments.get("phq9") is not None  # read before counting
    counts: dict[str, int] = {}
    with CaptureQueriesContext(connection) as queries:
        for resource in sources.member_score_resources(members, instruments, chunk_size=chunk_size):
            counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
    return len(queries), counts


def test_queries_per_chunk_stay_constant_as_members_grow(world: World) -> None:
    gw = build_group_world(world)
    small = _members_with_scores(gw, 10, "Small")
    large = _members_with_scores(gw, 40, "Large")
    small_queries, small_counts = _export_members(gw, small, chunk_size=10)
    large_queries, large_counts = _export_members(gw, large, chunk_size=10)
    # The members' query, then one for attendance and one for scores per chunk of ten.
    assert small_queries == 1 + 2 * 1
    assert large_queries == 1 + 2 * 4
    # Per member: two Encounters, three responses, three totals with nine items each.
    assert large_counts == {"Encounter": 80, "QuestionnaireResponse": 120, "Observation": 1200}
    assert small_counts == {k: v // 4 for k, v in large_counts.items()}


def _peak_bytes(gw: GroupWorld, members: QuerySet[GroupMember]) -> int:
    instruments = sources.InstrumentCache(gw.world.practice_a)
    instruments.get("phq9")
    tracemalloc.start()
    try:
        for _ in sources.member_score_resources(members, instruments, chunk_size=50):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_members_grow(world: World) -> None:
    gw = build_group_world(world)
    small = _members_with_scores(gw, 100, "Small")
    large = _members_with_scores(gw, 1000, "Large")
    small_peak = _peak_bytes(gw, small)
    large_peak = _peak_bytes(gw, large)
    # Ten times the members: a loader that kept them all would need ~10× the memory.
    assert large_peak < small_peak * 2, (small_peak, large_peak)


# --- the mappers on their own -------------------------------------------------------------------


def test_the_group_mappers_are_pure_and_valid(
    sw: ScoreWorld, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    score = MemberScore.objects.get(member=sw.nia, session=sw.session_1)
    instrument = shipped("phq9")
    facts = group_map.GroupSessionFacts(
        id=sw.session_1.public_id,
        group_id=sw.gw.group.public_id,
        practice_id=sw.gw.world.practice_a.public_id,
        number=1,
        phase="initial",
        held_on=sw.session_1.held_on,
        held=True,
        recorded_by=None,
    )
    with django_assert_num_queries(0):
        answered = group_map.from_member_score(score)
        made = [
            measure_map.questionnaire_response(
                answered,
                instrument,
                client_id=sw.nia.client.public_id,
                encounter_id=None,
                context=group_map.GROUP_SESSION,
            ),
            *measure_map.observations(
                answered, instrument, client_id=sw.nia.client.public_id, encounter_id=None
            ),
            group_map.group_session_encounter(facts),
            group_map.member_encounter(
                attendance_id=score.public_id,
                session=facts,
                client_id=sw.nia.client.public_id,
                part_of=False,
            ),
        ]
    for resource in made:
        validate(resource)
        check_status(resource)
    assert "author" not in made[0]  # no author given, none made up
    assert "participant" not in made[-2]


@pytest.mark.parametrize(
    ("number", "phase"), [(1, "initial"), (2, "middle"), (7, "middle"), (8, "termination")]
)
def test_group_phases_follow_the_groups_plan(number: int, phase: str) -> None:
    assert group_map.group_phase(number, initial_last=1, middle_last=7) == phase
