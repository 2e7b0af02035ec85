"""Model fields. `EncryptedTextField` holds clinical free text encrypted at rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.db.models.lookups import Exact

from openipt.core.crypto import decrypt_text, encrypt_text

if TYPE_CHECKING:
    _ExactBase = Exact[str]
else:  # Lookup classes are not subscriptable at run time.
    _ExactBase = Exact


class EmptyOnlyExact(_ExactBase):
    """`field=""` works on ciphertext; `field="some text"` cannot, so it is refused.

    Each encryption uses a fresh random IV, so comparing with an encrypted
    copy of a value would silently match nothing.
    """

    def get_prep_lookup(self) -> Any:
        if self.rhs_is_direct_value() and self.rhs not in (None, ""):
            raise NotImplementedError("Encrypted fields can only be compared with an empty value.")
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Free text that is encrypted before it reaches the database.

    Use it for notes, formulations, inventory details, messages, diary entries:
    anything a client said or a clinician wrote about them. The database only
    ever sees `enc1:<token>`; an empty value stays empty so that "nothing
    recorded" needs no key. Encrypted columns cannot be searched or ordered
    in SQL; that is the price of the promise. `manage.py rotate_keys` finds
    every field of this class through the app registry.
    """

    description = "Text encrypted at rest"

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        # Only null/empty checks are meaningful on ciphertext; anything else
        # would silently match nothing.
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name != "isnull":
            raise NotImplementedError(f"Encrypted fields do not support '{lookup_name}' lookups.")
        return super().get_lookup(lookup_name)
