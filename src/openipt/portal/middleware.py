"""The language of each page: the client's own for client users, English for everyone else.

Django's LocaleMiddleware picks a language from the browser; here the choice
comes from the client record instead (`Client.language`, set by the
practice), so a client reads the portal in their language on any device, and
staff always see the clinical pages in English (the language their pages are
written in). A signed-out visitor gets the default language.

The language is reset at the start of every request (translations are
per-thread, so one request must never inherit another's), and chosen once
the user and their roles are known, just before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from openipt.practice.models import Client


def supported_language(code: str) -> str:
    """The shipped language closest to `code` (e.g. "es-mx" → "es"), or the default."""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return str(settings.LANGUAGE_CODE)


def language_for(request: HttpRequest) -> str:
    roles = getattr(request, "roles", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or roles is None or not roles.is_client_only:
        return str(settings.LANGUAGE_CODE)
    language = Client.objects.filter(user=user).values_list("language", flat=True).first()
    return supported_language(language or "")


class ClientLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
