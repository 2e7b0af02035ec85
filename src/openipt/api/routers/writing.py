"""What the course-record routers share: the course as read, input that can be stored, the
pages' forms, and 409 on stale edits.

The write endpoints validate with the very forms the pages use (so a value the
page refuses, the API refuses with the same words) and then call the same
services. A form's errors become a `ValidationError` keyed by the API's field
names, which `errors.py` turns into a 422 with one message per field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from pydantic import Field, field_validator

from openipt.api.routers.common import actor_of, audit_read
from openipt.courses.models import Course
from openipt.courses.selectors import course_get_for_actor

F = TypeVar("F", bound=forms.BaseForm)
# The database keeps session counts and numbers in small integers: a bigger value is
# refused here, before it reaches the database; any other goes on to the page's form or
# the service, which say what is wrong with it in their own words.
SmallInt = Annotated[int, Field(ge=-32767, le=32767)]

STALE = (
    "Someone else saved this {what} after the version you sent ({sent}); nothing was saved. "
    "Read it again, then send your change with the current version."
)


def course_read(request: HttpRequest, course_id: UUID) -> Course:
    """A course the token's owner may read (404 otherwise), its read audited."""
    course = course_get_for_actor(actor=actor_of(request), public_id=course_id)
    audit_read(
        request,
        object_type="course",
        public_id=course.public_id,
        practice=course.practice,
        client_public_id=course.client.public_id,
    )
    return course


def _storable(value: Any) -> bool:
    """False for text the database cannot keep (a NUL character, a lone surrogate)."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, Mapping):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_storable(v) for v in value)
    return True


class WriteIn(Schema):
    """Base of every request body that is stored: refuses text no database can keep."""

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        # Never echo the value: it may be clinical text.
        if not _storable(value):
            raise ValueError("This text contains characters that cannot be stored.")
        return value


def given(payload: Schema) -> dict[str, Any]:
    """The fields the request actually sent with a value (absent or null: left unchanged)."""
    return {
        name: getattr(payload, name)
        for name in payload.model_fields_set
        if getattr(payload, name) is not None
    }


def form_data(values: Mapping[str, object]) -> dict[str, object]:
    """Values for a page's form: a missing one is empty, as when the page leaves it blank."""
    return {name: ("" if value is None else value) for name, value in values.items()}


def validated(form: F, rename: Mapping[str, str] | None = None, prefix: str = "") -> F:
    """The form, once valid; otherwise a ValidationError keyed by the API's field names."""
    if form.is_valid():
        return form
    rename = rename or {}
    raise ValidationError(
        {
            (name if name == "__all__" else prefix + rename.get(name, name)): list(errors)
            for name, errors in form.errors.items()
        }
    )


def field_errors(exc: ValidationError, rename: Mapping[str, str]) -> ValidationError:
    """A service's ValidationError with its field names put in the API's words."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {rename.get(name, name): messages for name, messages in exc.error_dict.items()}
    )


def stale(what: str, sent: int | None) -> HttpError:
    return HttpError(409, STALE.format(what=what, sent="none" if sent is None else sent))
