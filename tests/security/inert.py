"""Reading a response as a browser would, to tell whether stored text stayed text.

`inspect_html` parses a page with Python's html.parser and lists every element
or attribute that a stored payload could have created: a script that is not
one of our static files, a frame, a base, a refresh, an event-handler
attribute, a `javascript:` URL, a URL naming a payload's address. It also
returns the page's visible text (entities decoded, line breaks kept), which is
where a payload that was escaped properly shows up, character for character.

`crawl` walks the pages a signed-in person can reach by following the links
they are shown, inspecting each one, and each SVG image the pages embed.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.http.response import HttpResponseBase
from django.test import Client as HttpClient
from django.urls import Resolver404, resolve

from tests.security.xss_world import EVALUATED, SIGNATURES

# Attributes whose value a browser loads, navigates to or (htmx) requests.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "srcset",
        "action",
        "formaction",
        "poster",
        "data",
        "background",
        "xlink:href",
        "ping",
        "cite",
        "manifest",
        "hx-get",
        "hx-post",
        "hx-put",
        "hx-patch",
        "hx-delete",
    }
)
# Elements no page of ours contains; a payload could bring any of them.
FORBIDDEN_ELEMENTS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "style"}
)
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
# Elements whose text is on its own line in the visible text.
BLOCK_ELEMENTS = frozenset(
    {
        "br",
        "p",
        "div",
        "li",
        "tr",
        "td",
        "th",
        "dd",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "textarea",
        "option",
        "title",
        "label",
        "summary",
        "pre",
    }
)


def squash(text: str) -> str:
    """Runs of white space as one space: a value split over lines still matches."""
    return " ".join(text.split())


def _scheme_of(value: str) -> str:
    # Browsers ignore white space and control characters inside a scheme.
    return re.sub(r"[\x00-\x20]+", "", value).lower()


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._raw: str | None = None  # inside <script> or <style>
        self._script_type = ""

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an event-handler attribute {name}={value!r}")
            if "xss" in name:
                self.problems.append(f"<{tag}> has an attribute {name} made by a payload")
            if name in URL_ATTRIBUTES:
                if _scheme_of(value).startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}> runs script")
                if any(signature in value for signature in SIGNATURES):
                    self.problems.append(f"<{tag} {name}={value!r}> names a payload's URL")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "xss" in tag:
            self.problems.append(f"an element <{tag}> made by a payload")
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"an element <{tag} {found}>")
        if tag == "meta" and (found.get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"a refresh <meta {found}>")
        if tag == "link" and not (found.get("href") or "").startswith(settings.STATIC_URL):
            self.problems.append(f"a <link> to {found.get('href')!r}")
        if tag == "script":
            src = found.get("src")
            self._script_type = (found.get("type") or "").lower()
            if src is not None and not src.startswith(settings.STATIC_URL):
                self.problems.append(f"a <script> from {src!r}")
            if src is None and self._script_type != "application/json":
                self.problems.append("an inline <script>")
        if tag in ("script", "style"):
            self._raw = ""
        self._attributes(tag, attrs)
        if tag in BLOCK_ELEMENTS:
            self.text.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._raw is not None:
            body = self._raw
            self._raw = None
            if tag == "script" and body.strip():
                if self._script_type != "application/json":
                    self.problems.append(f"a <script> with a body: {body[:80]!r}")
                else:
                    try:
                        json.loads(body)
                    except ValueError:
                        self.problems.append(f"a JSON <script> that is not JSON: {body[:80]!r}")
            return
        if tag in BLOCK_ELEMENTS:
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._raw += data
        else:
            self.text.append(data)


@dataclass(frozen=True)
class Inspection:
    problems: list[str]
    text: str  # the visible text, white space squashed

    def shows(self, value: str) -> bool:
        return squash(value) in self.text


def inspect_html(html: str) -> Inspection:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    text = squash("".join(inspector.text))
    problems = list(inspector.problems)
    problems += [f"an evaluated template expression {e!r}" for e in EVALUATED if e in text]
    return Inspection(problems=problems, text=text)


SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def inspect_svg(svg: str) -> Inspection:
    """An SVG document must be well-formed, with no script, foreign HTML or handler."""
    problems: list[str] = []
    try:
        root = ET.fromstring(svg)  # noqa: S314 - our own response, parsed to be checked
    except ET.ParseError as exc:
        return Inspection(problems=[f"the SVG is not well-formed: {exc}"], text="")
    texts: list[str] = []
    for element in root.iter():
        tag = element.tag.removeprefix(SVG_NS) if isinstance(element.tag, str) else ""
        if tag in ("script", "foreignObject", "iframe", "animate", "set", "handler"):
            problems.append(f"an SVG <{tag}>")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local.startswith("on"):
                problems.append(f"an SVG event handler {local}={value!r}")
            # Matplotlib draws markers once and places them with <use href="#id">.
            if (local == "href" or name == XLINK_HREF) and not value.startswith("#"):
                problems.append(f"an SVG link to {value!r}")
        texts.extend(t for t in (element.text, element.tail) if t)
    return Inspection(problems=problems, text=squash(" ".join(texts)))


# --- crawling -------------------------------------------------------------------------------

# Pages left out of a crawl: signing out and account settings, the API and its
# documentation, switching practice, and downloads that the tests read on their
# own (PDFs, attachments) or that hold no typed text (calendar feeds).
SKIPPED_PREFIXES = ("/accounts/", "/api/", "/static/", "/admin/")
SKIPPED_URL_NAMES = frozenset(
    {
        "reports:course_pdf",
        "messaging:attachment",
        "appointments:feed",
        "switch_practice",
    }
)
# A page with many query strings (filters, pages, weeks) is visited a few times, not forever.
MAX_QUERIES_PER_PATH = 3


@dataclass
class PageSeen:
    url: str
    content_type: str
    inspection: Inspection


@dataclass
class Crawl:
    pages: list[PageSeen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "url: problem"
    failures: list[str] = field(default_factory=list)  # server errors

    def shown(self, value: str) -> list[str]:
        """The URLs of the pages that show `value` as text."""
        return [page.url for page in self.pages if page.inspection.shows(value)]

    def text(self) -> str:
        return "\n".join(page.inspection.text for page in self.pages)


def _skipped(path: str) -> bool:
    if path.startswith(SKIPPED_PREFIXES):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return True
    return match.view_name in SKIPPED_URL_NAMES


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag == "img" and found.get("src"):
            self.images.append(str(found["src"]))


def _same_origin(base: str, href: str) -> str | None:
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _inspect_response(url: str, response: HttpResponseBase) -> PageSeen | None:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    body = response.content.decode("utf-8") if hasattr(response, "content") else ""
    if content_type == "text/html":
        return PageSeen(url, content_type, inspect_html(body))
    if content_type == "image/svg+xml":
        return PageSeen(url, content_type, inspect_svg(body))
    return None


def crawl(http: HttpClient, start: Iterable[str], *, limit: int = 400) -> Crawl:
    """Follow same-origin links from `start` (GET only), inspecting every page and SVG."""
    result = Crawl()
    queue: deque[str] = deque(start)
    seen: set[str] = set()
    queries: dict[str, int] = {}
    while queue and len(seen) < limit:
        url = queue.popleft()
        path, _, query = url.partition("?")
        if url in seen or _skipped(path):
            continue
        if query:
            if queries.get(path, 0) >= MAX_QUERIES_PER_PATH:
                continue
            queries[path] = queries.get(path, 0) + 1
        seen.add(url)
        response = http.get(url)
        if response.status_code >= 500:
            result.failures.append(f"{url}: {response.status_code}")
            continue
        if response.status_code in (301, 302, 303):
            target = _same_origin(url, response["Location"])
            if target is not None:
                queue.append(target)
            continue
        if response.status_code != 200:
            continue
        page = _inspect_response(url, response)
        if page is None:
            continue
        result.pages.append(page)
        result.problems += [f"{url}: {problem}" for problem in page.inspection.problems]
        if page.content_type == "text/html":
            links = _Links()
            links.feed(response.content.decode("utf-8"))
            for href in [*links.links, *links.images]:
                target = _same_origin(url, href)
                if target is not None and target not in seen:
                    queue.append(target)
    return result
