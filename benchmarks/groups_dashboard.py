"""Benchmark: the programme dashboard at programme scale.

Builds a throw-away programme (3 sites, 20 facilitators, N members in groups
of 10, 8 sessions of attendance and PHQ-9 per completed group) with
bulk_create, then times the dashboard selector, the site chart's query and the
whole dashboard page, counts their queries, and appends a section to
docs/benchmarks.md.

Run it on its own database, never on one that matters:

    OPENIPT_DATA_DIR=$(mktemp -d) .venv/bin/python benchmarks/groups_dashboard.py --members 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_groups \\
        OPENIPT_DATA_DIR=$(mktemp -d) .venv/bin/python benchmarks/groups_dashboard.py

Without OPENIPT_DATA_DIR a temporary directory is used (SQLite lands there).
The script refuses a database that already holds an organisation.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BATCH = 2000
GROUP_SIZE = 10
SESSIONS = 8
FACILITATORS = 20
SITES = 3


def _configure_environment() -> None:
    """Settings for a throw-away run: a data dir, test-only secrets, no HTTPS."""
    if not os.environ.get("OPENIPT_DATA_DIR"):
        os.environ["OPENIPT_DATA_DIR"] = tempfile.mkdtemp(prefix="openipt-bench-")
    # whitenoise warns about a missing static root; a benchmark has none.
    Path(os.environ["OPENIPT_DATA_DIR"], "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OPENIPT_SECRET_KEY", "benchmark-only-secret-key-not-for-real-use")
    os.environ.setdefault("OPENIPT_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("OPENIPT_HTTPS", "false")
    os.environ.setdefault("OPENIPT_CACHE_URL", "locmem://")
    if not os.environ.get("OPENIPT_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["OPENIPT_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openipt.settings")
    sys.path.insert(0, str(REPO / "src"))


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


def _answers(total: int) -> dict[str, int]:
    values = [min(3, max(0, total - 3 * n)) for n in range(8)] + [0]
    return {f"phq9-{n}": v for n, v in enumerate(values, start=1)}


def build(members: int, seed: int) -> dict[str, Any]:
    """The programme, its people and their records; returns what the timings need."""
    from allauth.mfa.totp.internal.auth import TOTP
    from django.db import transaction

    from openipt.accounts.models import User
    from openipt.groups.models import (
        Attendance,
        Group,
        GroupMember,
        GroupSession,
        GroupStatus,
        MemberScore,
        MemberStatus,
        Programme,
        ProgrammeSite,
        Screening,
        ScreeningOutcome,
    )
    from openipt.measures.engine import shipped
    from openipt.practice.models import Client, Membership, Organisation, Practice, Role

    rng = random.Random(seed)  # noqa: S311 - reproducible fixture data, not secrets
    phq9 = shipped("phq9")
    bands = {total: phq9.band_for(total).code for total in range(28)}
    answers = {total: _answers(total) for total in range(28)}
    organisation = Organisation.objects.create(name="Benchmark Health")
    sites = [
        Practice.objects.create(organisation=organisation, name=f"Site {n}", kind="group_site")
        for n in range(1, SITES + 1)
    ]
    programme = Programme.objects.create(organisation=organisation, name="Benchmark programme")
    ProgrammeSite.objects.bulk_create(ProgrammeSite(programme=programme, practice=s) for s in sites)
    facilitators = []
    for n in range(FACILITATORS):
        user = User.objects.create_user(email=f"facilitator{n}@bench.test", full_name=f"F{n}")
        site = sites[n % SITES]
        Membership.objects.create(
            user=user, organisation=organisation, practice=site, role=Role.FACILITATOR
        )
        facilitators.append((user, site))
    manager = User.objects.create_user(email="manager@bench.test", full_name="Manager")
    Membership.objects.create(user=manager, organisation=organisation, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(manager, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

    start_day = datetime.date(2024, 1, 1)
    groups_total = members // GROUP_SIZE
    per_batch = max(1, BATCH // GROUP_SIZE)
    counts = {"groups": 0, "members": 0, "sessions": 0, "attendance": 0, "scores": 0}
    for first, last in _chunks(groups_total, per_batch):
        with transaction.atomic():
            groups = []
            for index in range(first, last):
                facilitator, site = facilitators[index % FACILITATORS]
                running = rng.random() < 0.3
                groups.append(
                    Group(
                        programme=programme,
                        practice=site,
                        facilitator=facilitator,
                        name=f"Group {index}",
                        planned_sessions=SESSIONS,
                        initial_last=1,
                        middle_last=SESSIONS - 1,
                        max_size=GROUP_SIZE,
                        status=GroupStatus.RUNNING if running else GroupStatus.COMPLETED,
                        started_on=start_day + datetime.timedelta(days=rng.randrange(730)),
                    )
                )
            Group.objects.bulk_create(groups)
            clients, screenings, plans = [], [], []
            held_by_group: dict[int, int] = {}
            for group in groups:
                held = rng.randint(1, SESSIONS - 1) if group.status == GroupStatus.RUNNING else 8
                held_by_group[group.pk] = held
                for _ in range(GROUP_SIZE):
                    baseline = rng.randint(10, 24)
                    dropped_after = rng.randint(2, 5) if rng.random() < 0.1 else None
                    plans.append((group, held, baseline, dropped_after))
                    clients.append(
                        Client(
                            practice_id=group.practice_id,
                            given_name="Bench",
                            family_name="Member",
                            date_of_birth=datetime.date(1990, 1, 1),
                        )
                    )
            Client.objects.bulk_create(clients, batch_size=BATCH)
            screened_at = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
            for client, (group, _held, baseline, _dropped) in zip(clients, plans, strict=True):
                screenings.append(
                    Screening(
                        programme=programme,
                        practice_id=group.practice_id,
                        client=client,
                        screened_by_id=group.facilitator_id,
                        screened_at=screened_at,
                        phq9_answers=answers[baseline],
                        phq9_total=baseline,
                        phq9_band=bands[baseline],
                        outcome=ScreeningOutcome.ELIGIBLE,
                    )
                )
            Screening.objects.bulk_create(screenings, batch_size=BATCH)
            group_members = []
            for client, screening, (group, held, _baseline, dropped_after) in zip(
                clients, screenings, plans, strict=True
            ):
                if dropped_after is not None and dropped_after < held:
                    status = MemberStatus.DROPPED
                elif group.status == GroupStatus.COMPLETED:
                    status = MemberStatus.COMPLETED
                else:
                    status = MemberStatus.ENROLLED
                group_members.append(
                    GroupMember(
                        programme=programme,
                        practice_id=group.practice_id,
                        client=client,
                        screening=screening,
                        facilitator_id=group.facilitator_id,
                        group=group,
                        status=status,
                    )
                )
            GroupMember.objects.bulk_create(group_members, batch_size=BATCH)
            sessions = {}
            for group in groups:
                first_day = group.started_on or start_day
                for number in range(1, held_by_group[group.pk] + 1):
                    day = first_day + datetime.timedelta(weeks=number - 1)
                    sessions[(group.pk, number)] = GroupSession(
                        group=group, number=number, held_on=day, recorded_by_id=group.facilitator_id
                    )
            GroupSession.objects.bulk_create(sessions.values(), batch_size=BATCH)
            attendance, scores = [], []
            for member, (group, held, baseline, dropped_after) in zip(
                group_members, plans, strict=True
            ):
                slope = rng.uniform(0.2, 1.4)
                for number in range(1, held + 1):
                    session = sessions[(group.pk, number)]
                    gone = dropped_after is not None and number > dropped_after
                    present = not gone and rng.random() < 0.88
                    attendance.append(Attendance(session=session, member=member, present=present))
                    if present:
                        total = round(baseline - slope * number + rng.gauss(0, 2))
                        total = min(27, max(0, total))
                        scores.append(
                            MemberScore(
                                member=member,
                                session=session,
                                practice_id=group.practice_id,
                                instrument_version=phq9.version,
                                answers=answers[total],
                                total=total,
                                band_code=bands[total],
                                administered_at=datetime.datetime.combine(
                                    session.held_on, datetime.time(10), tzinfo=datetime.UTC
                                ),
                                entered_by_id=group.facilitator_id,
                            )
                        )
            Attendance.objects.bulk_create(attendance, batch_size=BATCH)
            MemberScore.objects.bulk_create(scores, batch_size=BATCH)
        counts["groups"] += len(groups)
        counts["members"] += len(group_members)
        counts["sessions"] += len(sessions)
        counts["attendance"] += len(attendance)
        counts["scores"] += len(scores)
        print(f"  … {counts['members']:,} members", file=sys.stderr, flush=True)
    # The waiting list: 2 % more people, screened, not yet placed.
    waiting = members // 50
    with transaction.atomic():
        clients = Client.objects.bulk_create(
            [
                Client(
                    practice=sites[n % SITES],
                    given_name="Bench",
                    family_name="Waiting",
                    date_of_birth=datetime.date(1990, 1, 1),
                )
                for n in range(waiting)
            ],
            batch_size=BATCH,
        )
        screenings = Screening.objects.bulk_create(
            [
                Screening(
                    programme=programme,
                    practice=client.practice,
                    client=client,
                    screened_by=facilitators[n % FACILITATORS][0],
                    screened_at=datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC),
                    phq9_answers=answers[14],
                    phq9_total=14,
                    phq9_band=bands[14],
                    outcome=ScreeningOutcome.ELIGIBLE,
                )
                for n, client in enumerate(clients)
            ],
            batch_size=BATCH,
        )
        GroupMember.objects.bulk_create(
            [
                GroupMember(
                    programme=programme,
                    practice=screening.practice,
                    client=screening.client,
                    screening=screening,
                    facilitator=screening.screened_by,
                    status=MemberStatus.WAITING,
                )
                for screening in screenings
            ],
            batch_size=BATCH,
        )
    counts["waiting"] = waiting
    return {"programme": programme, "manager": manager, "sites": sites, "counts": counts}


def _timed(action: Callable[[], object], repeat: int) -> tuple[float, float, int]:
    """(first run, median of the rest, queries per run) in seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    rest = times[1:] or times
    return times[0], statistics.median(rest), queries


def measure(world: dict[str, Any], repeat: int) -> list[tuple[str, float, float, int]]:
    from django.test import Client as HttpClient
    from django.urls import reverse

    from openipt.groups.selectors.dashboard import (
        DashboardFilters,
        programme_dashboard,
        site_chart_points,
    )

    programme, manager, sites = world["programme"], world["manager"], world["sites"]
    period = DashboardFilters(
        date_from=datetime.date(2025, 1, 1), date_to=datetime.date(2025, 6, 30)
    )
    http = HttpClient()
    http.force_login(manager, backend="allauth.account.auth_backends.AuthenticationBackend")
    url = reverse("programmes:programme_dashboard", args=[programme.public_id])

    def page() -> None:
        response = http.get(url)
        assert response.status_code == 200, response.status_code  # noqa: S101

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "dashboard selector, all groups",
            lambda: programme_dashboard(
                actor=manager, programme=programme, filters=DashboardFilters()
            ),
        ),
        (
            "dashboard selector, six-month period",
            lambda: programme_dashboard(actor=manager, programme=programme, filters=period),
        ),
        (
            "dashboard selector, one site",
            lambda: programme_dashboard(
                actor=manager, programme=programme, filters=DashboardFilters(site=sites[0])
            ),
        ),
        (
            "site chart points, one site",
            lambda: site_chart_points(
                actor=manager, programme=programme, site=sites[0], filters=DashboardFilters()
            ),
        ),
        ("dashboard page (HTTP, templates, audit)", page),
    ]
    return [(name, *_timed(action, repeat)) for name, action in cases]


def _machine() -> str:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) // 1024 // 1024} GB RAM"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs{memory}"


def _database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
            cursor.execute("SHOW work_mem")
            work_mem = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            buffers = cursor.fetchone()[0]
            return f"PostgreSQL {version} (work_mem {work_mem}, shared_buffers {buffers})"
        cursor.execute("select sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]} (WAL, synchronous=FULL)"


def _command_prefix() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return "DATABASE_URL=postgres://…/a_throwaway_db "
    return ""


def write_report(
    path: Path,
    *,
    members: int,
    counts: dict[str, int],
    build_seconds: float | None,
    results: list[tuple[str, float, float, int]],
    repeat: int,
) -> str:
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Group programme dashboard: {members:,} members, {_database()}",
        "",
        f"- Date: {today}",
        f"- Machine: {_machine()}; Python {platform.python_version()}",
        f"- Data: {counts['groups']:,} groups of {GROUP_SIZE} over {SITES} sites and "
        f"{FACILITATORS} facilitators, {counts['members']:,} members in groups and "
        f"{counts['waiting']:,} waiting, {counts['sessions']:,} sessions, "
        f"{counts['attendance']:,} attendance rows, {counts['scores']:,} PHQ-9 scores"
        + (f" (built with bulk_create in {build_seconds:.0f} s)" if build_seconds else ""),
        f"- Command: `{_command_prefix()}.venv/bin/python benchmarks/groups_dashboard.py "
        f"--members {members}`; timed in a fresh process after the build, while other work "
        "shared the machine",
        "",
        f"| What | First run | Median of the next {repeat - 1} | Queries |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {first * 1000:,.0f} ms | {median * 1000:,.0f} ms | {queries} |"
        for name, first, median, queries in results
    ]
    section = "\n".join(lines) + "\n"
    if not path.exists():
        path.write_text(
            "# Benchmarks\n\nTimings measured by the scripts in `benchmarks/`; each run appends "
            "a section. Numbers depend on the machine: compare runs on the same one.\n\n"
        )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + section)
    return section


def _existing_world() -> dict[str, Any]:
    """The programme an earlier build left in this database, with its counts."""
    from openipt.accounts.models import User
    from openipt.groups.models import (
        Attendance,
        Group,
        GroupMember,
        GroupSession,
        MemberScore,
        MemberStatus,
        Programme,
    )
    from openipt.practice.models import Practice

    programme = Programme.objects.get(name="Benchmark programme")
    members = GroupMember.objects.filter(programme=programme)
    return {
        "programme": programme,
        "manager": User.objects.get(email="manager@bench.test"),
        "sites": list(Practice.objects.filter(programme_sites__programme=programme)),
        "counts": {
            "groups": Group.objects.filter(programme=programme).count(),
            "members": members.exclude(status=MemberStatus.WAITING).count(),
            "waiting": members.filter(status=MemberStatus.WAITING).count(),
            "sessions": GroupSession.objects.filter(group__programme=programme).count(),
            "attendance": Attendance.objects.filter(session__group__programme=programme).count(),
            "scores": MemberScore.objects.filter(member__programme=programme).count(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each case")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="time the programme an earlier run built in this database (no build)",
    )
    parser.add_argument("--build-seconds", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _configure_environment()

    import django
    from django.conf import settings

    django.setup()
    # No collectstatic for a benchmark: serve static names as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command
    from django.db import connection

    from openipt.practice.models import Organisation

    if args.measure_only:
        world = _existing_world()
        results = measure(world, args.repeat)
        section = write_report(
            args.output,
            members=world["counts"]["members"],
            counts=world["counts"],
            build_seconds=args.build_seconds,
            results=results,
            repeat=args.repeat,
        )
        print(section)
        return

    print(f"Data dir: {os.environ['OPENIPT_DATA_DIR']}", file=sys.stderr)
    call_command("migrate", verbosity=0)
    if Organisation.objects.exists():
        sys.exit("This database already holds data: run the benchmark on a throw-away one.")
    started = time.perf_counter()
    world = build(args.members, args.seed)
    # Statistics for the planner, and (SQLite) the write-ahead log folded into the
    # database, as on a server that has been running for a while.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    build_seconds = time.perf_counter() - started
    print(f"Built in {build_seconds:.0f} s: {world['counts']}", file=sys.stderr)
    connection.close()
    # Timed in a fresh process, like a server's: not one whose memory and caches
    # are full of the millions of objects it has just written.
    command = [sys.executable, __file__, "--measure-only", "--build-seconds", str(build_seconds)]
    command += ["--repeat", str(args.repeat), "--output", str(args.output)]
    subprocess.run(command, check=True, env=os.environ.copy())  # noqa: S603 - our own script


if __name__ == "__main__":
    main()
