"""`manage.py audit_verify`: check that no audit event was edited or deleted.

Exit status 0 when the chain is intact, 1 when any event was edited, deleted
(a gap in the sequence) or the latest events removed. Prints the chain head so
that it can be kept outside the database and passed back with `--anchor`.
"""

from __future__ import annotations

import re
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from openipt.audit.verify import Anchor, walk_chain

_ANCHOR = re.compile(r"^(?P<sequence>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})$")


def parse_anchor(value: str) -> Anchor:
    match = _ANCHOR.match(value.strip().lower())
    if match is None:
        raise ArgumentTypeError("an anchor is SEQUENCE:HASH, e.g. 1520:<64 hex characters>")
    return Anchor(int(match["sequence"]), match["hash"])


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit non-zero if any event was edited or deleted."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            type=parse_anchor,
            metavar="SEQUENCE:HASH",
            help="An event hash printed by an earlier run and kept outside the database; "
            "the event must still have it. May be given more than once.",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=2000,
            help="Events read per database round trip (memory use stays flat).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = walk_chain(chunk_size=options["chunk_size"], anchors=options["anchor"])
        except (DatabaseError, ValueError, TypeError) as exc:
            # A row so damaged that it cannot even be read is a broken chain too.
            raise CommandError(
                f"The audit trail could not be read ({exc.__class__.__name__}); "
                "it has been damaged or the database is unavailable."
            ) from exc

        noun = "event" if report.checked == 1 else "events"
        self.stdout.write(f"Checked {report.checked} audit {noun}.")
        for problem in report.problems:
            self.stdout.write(f"Problem at event {problem.sequence}: {problem.problem}")
        if report.problems:
            raise CommandError(
                f"The audit chain is broken: {len(report.problems)} problem(s) found."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit chain is intact. Head: {report.last_sequence}:{report.last_hash}"
            )
        )
