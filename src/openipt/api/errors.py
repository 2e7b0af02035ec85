"""One shape for every error the API returns, declared in the schema for each operation.

Every error body is `{"detail": "<one sentence>", "errors": {"<field>": "<message>"}}`;
`errors` is empty unless the problem belongs to particular fields (for
questionnaire answers the field is the item's linkId). Django's and ninja's own
exceptions are turned into that shape here, so that no operation answers with
HTML, a stack trace or an undeclared body.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from openipt.measures.engine import InvalidAnswers
from openipt.safety.services.alerts import AlreadyAcknowledged


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] = {}


UNAUTHORIZED = (
    "Send a valid personal access token: Authorization: Bearer oipt_… "
    "(it may be missing, mistyped, revoked or expired)."
)


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error part of an operation's `response=` mapping: 401 always, plus these."""
    return dict.fromkeys((401, *codes), ErrorOut)


def _body(detail: str, field_errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": field_errors or {}}


def _field_name(loc: Iterable[Any]) -> str:
    # ninja's locations start with where the value came from ("body", "query",
    # "path"); the payload's own name ("payload") follows for a body schema.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _ninja_errors(exc: NinjaValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors:
        name = _field_name(error.get("loc", ()))
        found.setdefault(name, str(error.get("msg", "Invalid value.")))
    return found


def _django_errors(exc: DjangoValidationError) -> tuple[str, dict[str, str]]:
    if hasattr(exc, "error_dict"):
        fields = {
            ("__all__" if name == "__all__" else name): " ".join(str(m) for m in messages)
            for name, messages in exc.message_dict.items()
        }
        return "Some values were not accepted.", fields
    return " ".join(str(m) for m in exc.messages), {}


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error the ErrorOut shape."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, 401, _body(UNAUTHORIZED))
        response["WWW-Authenticate"] = 'Bearer realm="openipt"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja's only 400: a body that is not JSON. Answered as the invalid
            # request it is, with the status every operation with a body declares.
            return respond(
                request,
                422,
                _body("The request body is not valid JSON.", {"body": "Send a JSON object."}),
            )
        return respond(request, exc.status_code, _body(str(exc)))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # The same words for a missing id and one outside the caller's reach.
        return respond(request, 404, _body("Not found."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, _body("Your role does not allow this."))

    @api.exception_handler(NinjaValidationError)
    def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, 422, _body("The request is not valid.", _ninja_errors(exc)))

    @api.exception_handler(InvalidAnswers)
    def invalid_answers(request: HttpRequest, exc: InvalidAnswers) -> HttpResponse:
        return respond(request, 422, _body("Some answers were not accepted.", dict(exc.errors)))

    @api.exception_handler(AlreadyAcknowledged)
    def already_acknowledged(request: HttpRequest, exc: AlreadyAcknowledged) -> HttpResponse:
        return respond(request, 409, _body(" ".join(str(m) for m in exc.messages)))

    @api.exception_handler(DjangoValidationError)
    def invalid_values(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        detail, fields = _django_errors(exc)
        return respond(request, 422, _body(detail, fields))
