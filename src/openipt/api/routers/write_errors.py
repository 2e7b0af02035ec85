"""Services name their errors after the page's form fields; the API names them after its own.

A service raises `ValidationError({"duration": ...})` because the booking form
has a "duration" field; the API's body calls it `duration_minutes`. `renamed`
gives the same messages under the API's names, so a 422 points at the field
the caller actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError


def renamed(exc: ValidationError, names: Mapping[str, str]) -> ValidationError:
    """The same messages, with the fields in `names` renamed; an error without fields is kept."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {names.get(field, field): messages for field, messages in exc.message_dict.items()}
    )
