"""Cursor pagination: every row exactly once, in (created_at, public_id) order, even when
rows share a creation time or are added while paging; a forged cursor is a 422."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from openipt.practice.models import CareTeamMember, Client
from tests.api.conftest import Api
from tests.factories import ClientFactory
from tests.world import World


def _clients(world: World, count: int) -> None:
    for n in range(count):
        client = ClientFactory.create(practice=world.practice_a, given_name=f"P{n}")
        CareTeamMember.objects.create(client=client, user=world.clinician, role="clinician")


def _all_pages(api: Api, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = ""
    while True:
        body = api.get(f"/clients?limit={limit}" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            return seen
        cursor = body["next_cursor"]


def test_pages_cover_every_row_once_in_a_stable_order(
    world: World, api_as: Callable[..., Api]
) -> None:
    _clients(world, 9)
    # Several rows with the same creation time: the public id breaks the tie.
    same = timezone.now()
    Client.objects.filter(given_name__in=["P1", "P2", "P3"]).update(created_at=same)
    api = api_as(world.clinician)
    pages = _all_pages(api, limit=4)
    assert len(pages) == len(set(pages)) == 11
    assert pages == _all_pages(api, limit=100)
    expected = list(
        Client.objects.filter(public_id__in=pages)
        .order_by("created_at", "public_id")
        .values_list("public_id", flat=True)
    )
    assert pages == [str(p) for p in expected]


def test_a_row_added_while_paging_comes_at_the_end(
    world: World, api_as: Callable[..., Api]
) -> None:
    _clients(world, 4)
    api = api_as(world.clinician)
    first = api.get("/clients?limit=3").json()
    newest = ClientFactory.create(practice=world.practice_a, given_name="Late")
    CareTeamMember.objects.create(client=newest, user=world.clinician, role="clinician")
    rest = api.get(f"/clients?limit=100&cursor={first['next_cursor']}").json()
    ids = [i["id"] for i in first["items"]] + [i["id"] for i in rest["items"]]
    assert len(ids) == len(set(ids)) == 7
    assert ids[-1] == str(newest.public_id)


def test_forged_cursor_and_bad_limit_are_422(world: World, api_as: Callable[..., Api]) -> None:
    api = api_as(world.clinician)
    for query in ("cursor=not-a-cursor", "cursor=W10", "limit=0", "limit=101", "limit=x"):
        response = api.get(f"/clients?{query}")
        assert response.status_code == 422, query
        body = response.json()
        assert set(body) == {"detail", "errors"} and body["errors"], query
