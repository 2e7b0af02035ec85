"""The only way a PDF being rendered may load anything: data: URIs and our own static files.

WeasyPrint follows every URL a document names (images, stylesheets, fonts).
A report is clinical data, so rendering it must never contact another origin
(that would tell a third party who is being written about, and when) nor read
an arbitrary file on the server. Our templates inline their stylesheet and
charts, so in practice nothing is fetched; this fetcher makes sure of it if a
template, or text someone typed, ever names a URL.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import (  # type: ignore[import-untyped]  # no type information
    URLFetcher,
    URLFetcherResponse,
)

logger = logging.getLogger(__name__)

# The base URL the documents are rendered against: a relative "/static/…" in a
# template resolves to this origin, which never goes to the network (below).
BASE_URL = "https://openipt.invalid/"

CONTENT_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}


class RefusedURL(ValueError):
    """A document asked for something outside the report's own resources."""


def static_path_for(url: str) -> Path | None:
    """The file behind one of our own static URLs, or None for anything else."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    prefix = settings.STATIC_URL
    if not parts.path.startswith(prefix):
        return None
    relative = unquote(parts.path[len(prefix) :])
    # The finders only answer inside the static directories; ".." never leaves them.
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if not isinstance(found, str):
        return None
    return Path(found)


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Answers data: URIs and our static files; refuses (never fetches) everything else."""

    def __init__(self, **kwargs: Any) -> None:
        # data: is decoded by the parent's urllib DataHandler; no other scheme reaches it.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, **kwargs)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        path = static_path_for(url)
        if path is not None:
            body = path.read_bytes()
            content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        # Log the scheme only: a URL could carry anything someone typed.
        scheme = urlsplit(url).scheme or "relative"
        logger.warning("PDF rendering refused a %s URL", scheme)
        self.refused.append(url)
        raise RefusedURL("Reports load only their own resources.")
