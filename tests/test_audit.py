"""The audit trail: hash chain, tamper detection, atomicity, no values.

Promises 12 and 13 of the security design (design/security.md): every read and write of
clinical data writes an event in the same transaction (if the audit write
fails, the request fails), and events are append-only and hash-chained so that
`manage.py audit_verify` detects an edited or deleted row.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.chain import GENESIS_HASH
from openipt.audit.models import AuditAction, AuditChainHead, AuditEvent
from openipt.audit.services import record
from openipt.audit.verify import Anchor, verify_chain
from openipt.practice import services as practice_services
from openipt.practice.models import Client
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

EVENTS = AuditEvent._meta.db_table
HEAD = AuditChainHead._meta.db_table


def _client_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "given_name": "Gwendolyn",
        "family_name": "Harrowgate",
        "date_of_birth": datetime.date(1979, 2, 3),
        "language": "en",
    }
    data.update(overrides)
    return data


def _run_verify() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def _sequences() -> list[int]:
    return list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))


def _raw(sql: str, params: Sequence[Any] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


@pytest.fixture
def real_events(world: World, client_for: ClientFor) -> list[int]:
    """Events written by real actions: a client created through the service, then viewed
    and edited through the pages. Returns their sequences."""
    client = practice_services.client_create(
        actor=world.clinician, practice=world.practice_a, data=_client_data()
    )
    http = client_for(world.clinician)
    assert http.get(reverse("clients:detail", args=[client.public_id])).status_code == 200
    assert http.get(reverse("clients:detail", args=[world.client_1.public_id])).status_code == 200
    practice_services.client_update(
        actor=world.clinician, client=client, data={"phone": "+1 555 0100"}, expected_version=1
    )
    sequences = _sequences()
    assert len(sequences) >= 4
    return sequences


# --- the chain as written by the application ---------------------------------------------


def test_events_written_by_real_actions_verify_clean(real_events: list[int]) -> None:
    assert real_events == list(range(1, len(real_events) + 1))
    output, error = _run_verify()
    assert error is None, output
    assert f"Checked {len(real_events)} audit events." in output
    assert "intact" in output


@pytest.mark.django_db(transaction=True)  # the command closes the connection when done
def test_verify_exits_zero_when_intact_and_one_when_broken(
    real_events: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    """The real command line: exit status 0, then 1 once a row is deleted."""
    ManagementUtility(["manage.py", "audit_verify"]).execute()  # no SystemExit: status 0
    assert "intact" in capsys.readouterr().out

    _raw(f"DELETE FROM {EVENTS} WHERE sequence = %s", [real_events[1]])  # noqa: S608
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "audit_verify"]).execute()
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert f"Problem at event {real_events[1]}" in captured.out
    assert "broken" in captured.err


def test_an_edited_row_is_caught_and_named(real_events: list[int]) -> None:
    """GIVEN a clean chain WHEN someone edits an event behind the ORM's back (raw SQL)
    THEN audit_verify fails and names that event."""
    target = real_events[1]
    _raw(f"UPDATE {EVENTS} SET object_type = %s WHERE sequence = %s", ["nothing", target])  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert f"Problem at event {target}: was edited after it was written" in output


def test_an_edited_actor_is_caught(real_events: list[int], world: World) -> None:
    """Blaming someone else for a read is an edit too."""
    target = real_events[2]
    _raw(f"UPDATE {EVENTS} SET actor_id = %s WHERE sequence = %s", [world.admin.pk, target])  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert f"Problem at event {target}: was edited" in output


def test_a_rehashed_edit_still_breaks_the_link_to_the_next_event(real_events: list[int]) -> None:
    """Recomputing the edited row's own hash does not help: the next event points at the old one."""
    target = real_events[1]
    _raw(f"UPDATE {EVENTS} SET event_hash = %s WHERE sequence = %s", ["f" * 64, target])  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert f"Problem at event {target + 1}: does not link to the event before it" in output


def test_a_deleted_middle_row_is_caught(real_events: list[int]) -> None:
    target = real_events[1]
    _raw(f"DELETE FROM {EVENTS} WHERE sequence = %s", [target])  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert f"Problem at event {target}: event {target} is missing (deleted)" in output
    assert f"Checked {len(real_events) - 1} audit events." in output


def test_a_deleted_first_row_is_caught(real_events: list[int]) -> None:
    _raw(f"DELETE FROM {EVENTS} WHERE sequence = 1")  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert "Problem at event 1: event 1 is missing (deleted)" in output


def test_deleted_latest_rows_are_caught(real_events: list[int]) -> None:
    last = real_events[-1]
    _raw(f"DELETE FROM {EVENTS} WHERE sequence >= %s", [last - 1])  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert f"the chain should end at event {last} but ends at {last - 2}" in output


def test_deleting_the_last_row_and_its_head_is_caught(real_events: list[int]) -> None:
    _raw(f"DELETE FROM {EVENTS} WHERE sequence = %s", [real_events[-1]])  # noqa: S608
    _raw(f"DELETE FROM {HEAD}")  # noqa: S608
    output, error = _run_verify()
    assert error is not None
    assert "the chain head record is missing" in output


def test_a_row_inserted_around_record_is_caught(real_events: list[int], world: World) -> None:
    """A forged event that was not appended through the head does not pass either."""
    last = AuditEvent.objects.get(sequence=real_events[-1])
    _raw(
        f"INSERT INTO {EVENTS} (sequence, occurred_at, action, object_type, changed_fields, "  # noqa: S608
        "request_id, previous_hash, event_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            last.sequence + 1,
            last.occurred_at,
            "view",
            "client",
            "[]",
            "-",
            last.event_hash,
            "e" * 64,
        ],
    )
    output, error = _run_verify()
    assert error is not None
    assert f"Problem at event {last.sequence + 1}" in output


def test_an_anchor_kept_outside_the_database_catches_a_rewritten_chain(
    real_events: list[int],
) -> None:
    """Rewriting every hash consistently defeats the chain alone, not a recorded anchor."""
    anchor_event = AuditEvent.objects.get(sequence=real_events[-1])
    assert verify_chain(anchors=[Anchor(anchor_event.sequence, anchor_event.event_hash)]) == (
        len(real_events),
        [],
    )
    _, problems = verify_chain(anchors=[Anchor(anchor_event.sequence, "a" * 64)])
    assert [p.sequence for p in problems] == [anchor_event.sequence]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", f"--anchor={anchor_event.sequence + 5}:{'b' * 64}", stdout=out)
    assert "missing from the chain" in out.getvalue()


def test_verify_reads_in_chunks(real_events: list[int]) -> None:
    """A chunk size smaller than the chain walks it all the same (memory stays flat)."""
    assert verify_chain(chunk_size=1) == (len(real_events), [])


# --- append-only in the ORM ---------------------------------------------------------------


def test_the_orm_refuses_to_update_or_delete_events(real_events: list[int]) -> None:
    event = AuditEvent.objects.get(sequence=real_events[0])
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(object_type="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        event.delete()
    event.object_type = "x"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["object_type"])
    # Django's own base manager is the append-only one too.
    with pytest.raises(PermissionError):
        AuditEvent._base_manager.filter(pk=event.pk).update(object_type="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.bulk_create([AuditEvent(sequence=999, event_hash="1" * 64)])
    assert _run_verify()[1] is None


# --- appends --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_appends_are_consecutive_and_linked() -> None:
    first = record(actor=None, action=AuditAction.VIEW, object_type="thing")
    second = record(actor=None, action=AuditAction.VIEW, object_type="thing")
    assert first.previous_hash == GENESIS_HASH
    assert second.sequence == first.sequence + 1
    assert second.previous_hash == first.event_hash
    head = AuditChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (second.sequence, second.event_hash)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_linear() -> None:
    """Threads (each with its own database connection) appending at once still produce
    one linear chain: PostgreSQL serialises on the locked head row, SQLite on its write lock."""
    threads_count, per_thread = 4, 8
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def append() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                record(actor=None, action=AuditAction.VIEW, object_type="concurrency")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = threads_count * per_thread
    assert _sequences() == list(range(1, total + 1))
    events = list(AuditEvent.objects.order_by("sequence"))
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.event_hash
    assert verify_chain() == (total, [])


def test_audit_changed_fields_refuse_values(world: World) -> None:
    with pytest.raises(ValueError, match="field names only"):
        record(
            actor=world.clinician,
            action=AuditAction.UPDATE,
            object_type="client",
            changed_fields=["lives at 4 Privet Drive"],
        )
    assert not AuditEvent.objects.exists()


# --- atomicity: if the audit write fails, the business write fails -------------------------


@contextmanager
def audit_inserts_fail() -> Iterator[None]:
    """Make every INSERT into the audit table fail in the database itself (a trigger),
    as a full disk or a revoked grant would; nothing in Python is patched."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER openipt_test_audit_down BEFORE INSERT ON "
                f"{EVENTS} BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION openipt_test_audit_down() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER openipt_test_audit_down BEFORE INSERT ON {EVENTS} "
                "FOR EACH ROW EXECUTE FUNCTION openipt_test_audit_down()"
            )
        else:  # pragma: no cover
            pytest.fail(f"no audit-failure trigger for {connection.vendor}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER openipt_test_audit_down ON {EVENTS}")
                cursor.execute("DROP FUNCTION openipt_test_audit_down()")
            else:
                cursor.execute("DROP TRIGGER openipt_test_audit_down")


def test_a_failing_audit_write_undoes_the_service_write(world: World) -> None:
    with audit_inserts_fail(), pytest.raises(DatabaseError, match="audit store unavailable"):
        practice_services.client_create(
            actor=world.clinician, practice=world.practice_a, data=_client_data()
        )
    assert not Client.objects.filter(family_name="Harrowgate").exists()
    # Also the care-team row written before the audit event is gone.
    assert not world.clinician.care_assignments.filter(client__family_name="Harrowgate").exists()
    # And the application works again once the audit store does.
    practice_services.client_create(
        actor=world.clinician, practice=world.practice_a, data=_client_data()
    )
    assert Client.objects.filter(family_name="Harrowgate").count() == 1


def test_a_failing_audit_write_fails_the_create_page(world: World) -> None:
    http = HttpClient(raise_request_exception=False)
    http.force_login(world.clinician, backend="allauth.account.auth_backends.AuthenticationBackend")
    with audit_inserts_fail():
        response = http.post(
            reverse("clients:create"),
            {
                "given_name": "Gwendolyn",
                "family_name": "Harrowgate",
                "date_of_birth": "1979-02-03",
                "language": "en",
            },
        )
    assert response.status_code == 500
    assert not Client.objects.filter(family_name="Harrowgate").exists()


def test_a_failing_audit_write_fails_the_edit_page(world: World) -> None:
    http = HttpClient(raise_request_exception=False)
    http.force_login(world.clinician, backend="allauth.account.auth_backends.AuthenticationBackend")
    client = world.client_1
    with audit_inserts_fail():
        response = http.post(
            reverse("clients:edit", args=[client.public_id]),
            {
                "given_name": client.given_name,
                "family_name": "Renamed",
                "date_of_birth": client.date_of_birth.isoformat(),
                "language": "en",
                "version": client.version,
            },
        )
    assert response.status_code == 500
    client.refresh_from_db()
    assert client.family_name == "Anders"
    assert client.version == 1


def test_a_failing_audit_write_shows_no_record(world: World) -> None:
    """A read that cannot be audited is not shown."""
    http = HttpClient(raise_request_exception=False)
    http.force_login(world.clinician, backend="allauth.account.auth_backends.AuthenticationBackend")
    with audit_inserts_fail():
        response = http.get(reverse("clients:detail", args=[world.client_1.public_id]))
    assert response.status_code == 500
    assert b"Anders" not in response.content


# --- events never contain values ------------------------------------------------------------

DISTINCTIVE = {
    "given_name": "Quillonia",
    "family_name": "Vexworthy",
    "preferred_name": "Quilly",
    "email": "quillonia.vex@example.test",
    "phone": "+44 7700 900987",
    "address": "12 Marrowgate Lane, Tillingbourne",
    "emergency_contact_name": "Oswin Vexworthy",
    "access_needs": "Needs a Zanzibari interpreter on Thursdays",
}
EDITED = {
    "address": "99 Plumtree Crescent, Ambridge",
    "access_needs": "Hearing loop in room Kestrel-7",
    "pronouns": "they/them",
}


def _raw_table_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    return "\n".join(repr(row) for row in rows).lower()


def test_audit_events_never_contain_values(world: World, client_for: ClientFor) -> None:
    """GIVEN a client created and edited (service and page) with distinctive values
    THEN no column of any audit row contains them; only field names are recorded."""
    client = practice_services.client_create(
        actor=world.clinician,
        practice=world.practice_a,
        data=_client_data(**DISTINCTIVE, date_of_birth=datetime.date(1991, 7, 8)),
    )
    http = client_for(world.clinician)
    form = {
        **DISTINCTIVE,
        **EDITED,
        "date_of_birth": "1991-07-08",
        "language": "en",
        "version": client.version,
    }
    response = http.post(reverse("clients:edit", args=[client.public_id]), form)
    assert response.status_code == 302
    http.get(reverse("clients:detail", args=[client.public_id]))

    events = _raw_table_text(EVENTS) + _raw_table_text(HEAD)
    assert "client" in events  # the table was read
    for value in [*DISTINCTIVE.values(), *EDITED.values(), "1991-07-08"]:
        assert value.lower() not in events, value
    for word in ["quillonia", "vexworthy", "marrowgate", "zanzibari", "plumtree", "kestrel"]:
        assert word not in events

    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_public_id=client.public_id)
    assert set(created.changed_fields) == {*DISTINCTIVE, "given_name", "date_of_birth", "language"}
    updated = AuditEvent.objects.get(action=AuditAction.UPDATE, object_public_id=client.public_id)
    assert updated.changed_fields == sorted(EDITED)
