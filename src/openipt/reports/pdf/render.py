"""HTML template → PDF bytes with WeasyPrint, loading nothing from outside.

The print stylesheet is read from our static files and handed to WeasyPrint
as a string (no URL to follow); charts arrive as SVG data URIs or inline SVG.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# WeasyPrint ships no type information.
from weasyprint import CSS, HTML  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

from openipt.reports.pdf.fetcher import BASE_URL, LocalOnlyFetcher

STYLESHEET = "reports/pdf.css"
_XML_PROLOGUE = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)


@cache
def stylesheet_text() -> str:
    found = finders.find(STYLESHEET)
    if not isinstance(found, str):  # a packaging mistake, not a request error
        raise RuntimeError(f"Missing static file {STYLESHEET}")
    return Path(found).read_text(encoding="utf-8")


def svg_data_uri(svg: str) -> str:
    """An SVG document as a data: URI, for an `<img>` in a report.

    As an image the chart is a separate document, exactly as on the pages
    (where it is an `<img>` for the sake of the CSP): its own styles stay inside it.
    """
    body = _XML_PROLOGUE.sub("", svg, count=1)
    return "data:image/svg+xml;base64," + base64.b64encode(body.encode("utf-8")).decode("ascii")


def html_to_pdf(html: str, *, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher or LocalOnlyFetcher())
    stylesheet = CSS(string=stylesheet_text(), font_config=fonts)
    pdf = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    if not isinstance(pdf, bytes):  # write_pdf returns bytes when given no target
        raise TypeError("WeasyPrint returned no PDF bytes")
    return pdf


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    return html_to_pdf(render_to_string(template, dict(context)))
