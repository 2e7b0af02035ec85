"""`manage.py rotate_keys`: re-encrypt every encrypted value with the newest key.

Rotation, step by step (docs/operations.md):

1. put a new key first in OPENIPT_ENCRYPTION_KEYS (or the key file), keeping
   the old ones after it, and restart;
2. run `manage.py rotate_keys` (safe to run again; values already on the
   newest key are left alone);
3. `manage.py rotate_keys --check` exits 0 once nothing needs the old keys;
4. remove the old keys from the configuration and restart.

Every `EncryptedTextField` of every installed model is found through the app
registry. Ciphertext is read and written raw (no decryption into model
instances, no `save()`, so `updated_at` and versions are untouched), in
keyset-paginated batches, each in its own transaction with the rows locked,
so that memory stays flat and a concurrent edit is never overwritten.
"""

from __future__ import annotations

import contextlib
from argparse import ArgumentParser
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import Case, ExpressionWrapper, F, Value, When
from django.db.models.functions import Cast

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.core.crypto import (
    DecryptionError,
    check_keys,
    is_encrypted_with_newest_key,
    rotate_ciphertext,
)
from openipt.core.fields import EncryptedTextField


@dataclass
class ModelTally:
    label: str
    fields: list[str]
    # Values found on an older key: re-encrypted, or only counted with --check.
    outdated: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)
    outdated_fields: set[str] = field(default_factory=set)


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every concrete model with encrypted columns, each column once (no proxies)."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        found = [f for f in meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if found:
            yield model, found


def _raw(field_: EncryptedTextField) -> ExpressionWrapper[F]:
    # Wrapping the column in a plain TextField expression means the field's
    # from_db_value (decryption) is not applied: we get the stored ciphertext.
    return ExpressionWrapper(F(field_.attname), output_field=models.TextField())


def _raw_value(ciphertext: str) -> Cast:
    # A plain TextField value, so the field's get_prep_value (encryption) is
    # not applied to what is already ciphertext.
    return Cast(Value(ciphertext, output_field=models.TextField()), models.TextField())


class Command(BaseCommand):
    help = "Re-encrypt all encrypted text with the newest key (--check: only count what is left)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit non-zero if any value is not on the newest key.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows per transaction (default 500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_only: bool = options["check"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            check_keys()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

        tallies = [
            self._process(model, fields, batch_size=batch_size, check_only=check_only)
            for model, fields in encrypted_fields()
        ]
        tallies.append(self._process_attachment_files(check_only=check_only))
        for tally in tallies:
            self._report(tally, check_only=check_only)

        outdated = sum(t.outdated for t in tallies)
        unreadable = sum(len(t.unreadable) for t in tallies)
        current = sum(t.current for t in tallies)
        if check_only:
            self.stdout.write(
                f"{outdated} value(s) not on the newest key, {current} on it, "
                f"{unreadable} unreadable."
            )
            if outdated or unreadable:
                raise CommandError(
                    f"{outdated + unreadable} encrypted value(s) are not on the newest key; "
                    "run manage.py rotate_keys before removing old keys."
                )
            self.stdout.write(self.style.SUCCESS("Every value is on the newest key."))
            return

        record(
            actor=None,
            action=AuditAction.ROTATE_KEYS,
            object_type="encryption_keys",
            changed_fields=[
                f"{t.label}.{name}" for t in tallies for name in sorted(t.outdated_fields)
            ],
        )
        self.stdout.write(
            f"Re-encrypted {outdated} value(s); {current} were already on the newest key."
        )
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could not be decrypted with any configured key and "
                "were left unchanged; restore the key they were written with."
            )
        self.stdout.write(self.style.SUCCESS("Every value is now on the newest key."))

    def _report(self, tally: ModelTally, *, check_only: bool) -> None:
        names = ", ".join(tally.fields)
        if check_only:
            line = (
                f"{tally.label} ({names}): {tally.outdated} not on the newest key, "
                f"{tally.current} on it"
            )
        else:
            line = (
                f"{tally.label} ({names}): {tally.outdated} re-encrypted, "
                f"{tally.current} already on the newest key"
            )
        if tally.unreadable:
            line += f", {len(tally.unreadable)} unreadable"
        self.stdout.write(line)
        for where in tally.unreadable:
            self.stderr.write(f"  cannot decrypt {tally.label} {where}")

    def _process(
        self,
        model: type[models.Model],
        fields: list[EncryptedTextField],
        *,
        batch_size: int,
        check_only: bool,
    ) -> ModelTally:
        tally = ModelTally(label=model._meta.label, fields=[f.name for f in fields])
        aliases = {f"openipt_raw_{i}": f for i, f in enumerate(fields)}
        last_pk: Any = None
        while True:
            # --check only reads, so it takes no write lock (SQLite's IMMEDIATE
            # transactions would block the application while it runs).
            with contextlib.nullcontext() if check_only else transaction.atomic():
                rows = model._base_manager.order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                if not check_only:
                    rows = rows.select_for_update()
                batch = list(
                    rows.annotate(**{alias: _raw(f) for alias, f in aliases.items()}).values_list(
                        "pk", *aliases
                    )[:batch_size]
                )
                if not batch:
                    break
                updates: dict[str, list[tuple[Any, str]]] = {f.attname: [] for f in fields}
                for pk, *values in batch:
                    for f, stored in zip(fields, values, strict=True):
                        if stored is None or stored == "":
                            continue
                        if is_encrypted_with_newest_key(stored):
                            tally.current += 1
                            continue
                        try:
                            rotated = rotate_ciphertext(stored)
                        except DecryptionError:
                            tally.unreadable.append(f"pk={pk} field {f.name}")
                            continue
                        tally.outdated += 1
                        tally.outdated_fields.add(f.name)
                        if not check_only:
                            updates[f.attname].append((pk, rotated))
                for attname, pairs in updates.items():
                    if pairs:
                        self._write(model, attname, pairs)
                last_pk = batch[-1][0]
        return tally

    @staticmethod
    def _process_attachment_files(*, check_only: bool) -> ModelTally:
        """Message attachments are encrypted files outside the database: rotate them too."""
        # Imported here: core must not depend on messaging at import time.
        from openipt.messaging import attachments
        from openipt.messaging.models import Attachment

        tally = ModelTally(label="messaging.Attachment", fields=["file"])
        names = Attachment.objects.order_by("pk").values_list("stored_name", flat=True)
        for stored_name in names.iterator():
            try:
                stored = attachments.path_for(stored_name).read_text(encoding="ascii")
            except OSError:
                tally.unreadable.append(f"file {stored_name} (missing)")
                continue
            if is_encrypted_with_newest_key(stored):
                tally.current += 1
                continue
            try:
                rotate_ciphertext(stored)
            except DecryptionError:
                tally.unreadable.append(f"file {stored_name}")
                continue
            tally.outdated += 1
            tally.outdated_fields.add("file")
            if not check_only:
                attachments.rotate(stored_name)
        return tally

    @staticmethod
    def _write(model: type[models.Model], attname: str, pairs: list[tuple[Any, str]]) -> None:
        """One UPDATE per field per batch: SET col = CASE pk WHEN … THEN ciphertext … END."""
        whens = [When(pk=pk, then=_raw_value(ciphertext)) for pk, ciphertext in pairs]
        model._base_manager.filter(pk__in=[pk for pk, _ in pairs]).update(
            **{attname: Case(*whens, output_field=models.TextField())}
        )
