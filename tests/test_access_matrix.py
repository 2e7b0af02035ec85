"""The access matrix: every URL pattern × every role of the fixture world.

GIVEN the shared world (two practices, every role)
WHEN each role requests each URL of the project
THEN the outcome is exactly the one in tests/access/table.py — and a URL
     without an entry fails the suite, so no page ships without saying who
     may see it.
"""

from __future__ import annotations

import types
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import include, path, reverse

from openipt.accounts.models import User
from tests.access.table import LOGIN, REDIRECT, ROLES, TABLE, Outcome
from tests.access.urls import all_url_keys
from tests.world import World


def missing_entries(urlconf: str | None = None) -> list[str]:
    return sorted(set(all_url_keys(urlconf)) - set(TABLE))


def test_every_url_pattern_has_an_entry() -> None:
    assert missing_entries() == [], "Add these URL patterns to tests/access/table.py"


def test_table_has_no_stale_entries() -> None:
    assert sorted(set(TABLE) - set(all_url_keys())) == []


def test_every_entry_names_every_role() -> None:
    for key, entry in TABLE.items():
        assert set(entry.expect) == set(ROLES), key


# A URLconf with one extra, undeclared page: the matrix must notice it.
_extra_urlconf = types.ModuleType("tests_extra_urlconf")
_extra_urlconf.urlpatterns = [  # type: ignore[attr-defined]
    path("", include(settings.ROOT_URLCONF)),
    path("undeclared-page/", lambda request: HttpResponse("hi"), name="undeclared_page"),
]


def test_matrix_fails_when_a_page_is_added_without_an_entry() -> None:
    import sys

    sys.modules["tests_extra_urlconf"] = _extra_urlconf
    try:
        with override_settings(ROOT_URLCONF="tests_extra_urlconf"):
            assert missing_entries("tests_extra_urlconf") == ["undeclared_page"]
    finally:
        del sys.modules["tests_extra_urlconf"]


def _outcome_of(response: HttpResponseBase) -> Outcome:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse(settings.LOGIN_URL)):
            return LOGIN
        return REDIRECT
    return response.status_code


@pytest.mark.parametrize("url_key", sorted(TABLE))
def test_access_matrix(
    url_key: str, world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    entry = TABLE[url_key]
    users: dict[str, User | None] = {"anonymous": None, **world.users_by_role_name()}
    failures = []
    for role in ROLES:
        # Each role's request runs in a savepoint that is rolled back, so a
        # POST by one role (archive, remove…) cannot change what the next sees.
        with transaction.atomic():
            url = reverse(url_key, kwargs=entry.args(world))
            http = client_for(users[role])
            if entry.method == "POST":
                response = http.post(url, entry.data(world))
            else:
                response = http.get(url)
            actual = _outcome_of(response)
            transaction.set_rollback(True)
        expected = entry.expect[role]
        if actual != expected:
            failures.append(f"{role}: expected {expected}, got {actual}")
    assert failures == [], f"{url_key} ({entry.method}): " + "; ".join(failures)
