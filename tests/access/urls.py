"""Walking the project's URL configuration."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns: Sequence[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = f"route:{route}"
            yield key, route


def all_url_keys(urlconf: str | None = None) -> dict[str, str]:
    """Every URL pattern of the project, keyed by its (namespaced) name."""
    return dict(_walk(get_resolver(urlconf).url_patterns, "", ""))
