"""Rendering a report loads nothing from outside: data: URIs and our own static files only."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from openipt.reports.pdf.fetcher import BASE_URL, LocalOnlyFetcher, RefusedURL
from openipt.reports.pdf.render import html_to_pdf, svg_data_uri
from tests.reports.pdf_helpers import pdf_text

# A 1×1 transparent PNG.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test loudly."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a PDF rendering tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "url",
    [
        "https://tracker.example.com/pixel.png",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "ftp://example.com/x.css",
        f"{BASE_URL}static/../../etc/passwd",
        f"{BASE_URL}media/anything.png",
    ],
)
def test_the_fetcher_refuses_anything_but_our_own_resources(url: str, no_network: None) -> None:
    fetcher = LocalOnlyFetcher()

    with pytest.raises(RefusedURL):
        fetcher.fetch(url)

    assert fetcher.refused == [url]


def test_the_fetcher_answers_data_uris_and_our_static_files(no_network: None) -> None:
    fetcher = LocalOnlyFetcher()

    pixel = fetcher.fetch(PIXEL)
    css = fetcher.fetch(f"{BASE_URL}static/reports/pdf.css")

    assert pixel.read().startswith(b"\x89PNG")
    assert b"@page" in css.read()
    assert fetcher.refused == []


def test_a_document_naming_external_urls_renders_without_fetching_them(no_network: None) -> None:
    fetcher = LocalOnlyFetcher()
    svg = svg_data_uri('<svg xmlns="http://www.w3.org/2000/svg"/>')
    html = (
        "<html><head><link rel='stylesheet' href='https://cdn.example.com/x.css'></head>"
        "<body><p>Still rendered</p><img src='https://tracker.example.com/p.png'>"
        f"<img src='{PIXEL}'><img src='{svg}'>"
        "</body></html>"
    )

    pdf = html_to_pdf(html, fetcher=fetcher)

    assert "Still rendered" in pdf_text(pdf)
    assert sorted(fetcher.refused) == [
        "https://cdn.example.com/x.css",
        "https://tracker.example.com/p.png",
    ]
