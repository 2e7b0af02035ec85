"""manage.py fhir_export: NDJSON per resource type, valid, self-contained, audited, streaming."""

from __future__ import annotations

import datetime
import json
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.models import Course
from openipt.practice.models import Client, Practice
from tests.factories import PracticeFactory
from tests.fhir.support import SECRETS, Json, Records, check_status, unresolved, validate
from tests.groups.world import build_group_world
from tests.world import World

pytestmark = pytest.mark.django_db


def read_export(out: Path) -> dict[str, list[Json]]:
    files: dict[str, list[Json]] = {}
    for path in sorted(out.glob("*.ndjson")):
        lines = path.read_text(encoding="utf-8").splitlines()
        files[path.stem] = [json.loads(line) for line in lines]
    return files


def test_export_writes_one_valid_file_per_resource_type(
    world: World, records: Records, tmp_path: Path
) -> None:
    build_group_world(world)
    call_command("fhir_export", practice=str(world.practice_a.public_id), out=str(tmp_path))
    files = read_export(tmp_path)
    assert set(files) >= {
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "CareTeam",
        "Organization",
        "EpisodeOfCare",
        "Encounter",
        "Condition",
        "CarePlan",
        "Goal",
        "QuestionnaireResponse",
        "Observation",
        "Questionnaire",
        "Flag",
        "Group",
    }
    everything = [r for resources in files.values() for r in resources]
    for kind, resources in files.items():
        for resource in resources:
            assert resource["resourceType"] == kind
            validate(resource)
            check_status(resource)
    assert unresolved(everything) == []
    # Only practice A: Charlie (practice B) is not in it.
    patients = {r["id"] for r in files["Patient"]}
    assert str(world.client_b.public_id) not in patients
    assert str(world.client_1.public_id) in patients
    # The group lists all its members (the practice's own export).
    groups = {g["name"]: g for g in files["Group"]}
    assert groups["Tuesday group"]["quantity"] == 3
    text = "".join(p.read_text() for p in tmp_path.glob("*.ndjson"))
    for secret in SECRETS:
        assert secret not in text


def test_export_is_audited_as_the_systems_act(world: World, tmp_path: Path) -> None:
    call_command("fhir_export", practice=str(world.practice_a.public_id), out=str(tmp_path))
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor is None
    assert event.practice == world.practice_a
    assert event.object_type == "fhir_bulk_export"
    assert "Patient" in event.changed_fields


@pytest.mark.parametrize("practice", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_practice_is_a_clear_error(world: World, tmp_path: Path, practice: str) -> None:
    with pytest.raises(CommandError):
        call_command("fhir_export", practice=practice, out=str(tmp_path))
    assert not list(tmp_path.glob("*.ndjson"))


def _practice_with(world: World, n: int) -> Practice:
    practice: Practice = PracticeFactory.create(organisation=world.organisation)
    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            date_of_birth=datetime.date(1980, 1, 1),
            email=f"c{i}@example.test",
        )
        for i in range(n)
    )
    Course.objects.bulk_create(
        Course(
            client=client,
            practice=practice,
            variant="ipt16",
            planned_sessions=16,
            frequency="weekly",
            session_minutes=50,
            start_date=datetime.date(2026, 1, 1),
            initial_last=3,
            middle_last=14,
            created_by=world.clinician,
        )
        for client in clients
    )
    return practice


def _peak_bytes(practice: Practice, out: Path) -> int:
    tracemalloc.start()
    try:
        call_command("fhir_export", practice=str(practice.public_id), out=str(out), chunk_size=100)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_practice_grows(world: World, tmp_path: Path) -> None:
    small = _practice_with(world, 200)
    large = _practice_with(world, 2000)
    small_peak = _peak_bytes(small, tmp_path / "small")
    large_peak = _peak_bytes(large, tmp_path / "large")
    assert len((tmp_path / "large" / "Patient.ndjson").read_text().splitlines()) == 2000
    assert len((tmp_path / "large" / "EpisodeOfCare.ndjson").read_text().splitlines()) == 2000
    # Ten times the rows: a loader that kept them all would need ~10× the memory.
    assert large_peak < small_peak * 2, (small_peak, large_peak)
