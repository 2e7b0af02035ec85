"""`manage.py recalibrate_expected_recovery --practice ID --instrument phq9 [--dry-run]`.

Fits the expected-recovery slope per baseline-severity band to the practice's
completed (closed) courses, prints each band's slope and how many courses it
rests on, and stores the result unless `--dry-run` is given. A band with too
few courses keeps the default heuristic, and the output says so plainly.
"""

from __future__ import annotations

import uuid
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openipt.measures.calibration import (
    MIN_COURSES_PER_BAND,
    CalibrationResult,
    expected_recovery_recalibrate,
)
from openipt.measures.engine import is_tracked
from openipt.measures.selectors import instruments_for_practice
from openipt.practice.models import Practice


def find_practice(value: str) -> Practice:
    """A practice by its public id, or by its exact name when that is unambiguous."""
    try:
        return Practice.objects.get(public_id=uuid.UUID(value))
    except (ValueError, Practice.DoesNotExist):
        pass
    matches = list(Practice.objects.filter(name__iexact=value.strip())[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandError(f"More than one practice is called {value!r}: give its public id.")
    raise CommandError(f"No practice has the id or name {value!r}.")


class Command(BaseCommand):
    help = (
        "Recalibrate the expected-recovery slopes of one instrument from a practice's "
        "completed courses (--dry-run: show the result without storing it)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--practice", required=True, help="The practice's public id or name.")
        parser.add_argument("--instrument", default="phq9", help="Instrument code (default phq9).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the result; store nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        practice = find_practice(options["practice"])
        code = str(options["instrument"]).strip().lower()
        instrument = instruments_for_practice(practice).get(code)
        if instrument is None:
            raise CommandError(f"{practice.name} has no instrument {code!r}.")
        if not is_tracked(instrument):
            raise CommandError(f"{instrument.short_title} has no expected-recovery curve.")
        result = expected_recovery_recalibrate(
            practice=practice, instrument=instrument, dry_run=options["dry_run"]
        )
        self._report(practice, result, dry_run=options["dry_run"])

    def _report(self, practice: Practice, result: CalibrationResult, *, dry_run: bool) -> None:
        write = self.stdout.write
        name = result.instrument.short_title
        write(
            f"{name} at {practice.name}: {result.courses_considered} completed course"
            f"{'' if result.courses_considered == 1 else 's'} with a baseline and a later score."
        )
        for band in result.bands:
            default = f"{band.default_k:.2f}" if band.default_k is not None else "none"
            if band.calibrated:
                write(
                    f"  {band.band_label}: k = {band.k:.2f} from {band.courses} course"
                    f"{'' if band.courses == 1 else 's'} (default {default})"
                )
            else:
                write(
                    f"  {band.band_label}: too few courses ({band.courses} of "
                    f"{MIN_COURSES_PER_BAND} needed): default k = {default} kept"
                )
        if not result.any_calibrated:
            write(
                self.style.WARNING(
                    "Too few completed courses in every band: the default heuristic is kept "
                    "and nothing was stored."
                )
            )
        elif dry_run:
            write(f"Dry run: nothing stored ({result.courses_used} courses would be used).")
        else:
            write(
                self.style.SUCCESS(
                    f"Stored: calibrated from {result.courses_used} course"
                    f"{'' if result.courses_used == 1 else 's'}; bands with too few courses "
                    "keep the default."
                )
            )
