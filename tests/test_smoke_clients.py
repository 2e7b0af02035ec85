from __future__ import annotations

from django.urls import reverse

from tests.world import World


def test_clinician_sees_own_clients(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(world.clinician).get(reverse("clients:list"))
    assert response.status_code == 200
    assert b"Alice" in response.content
