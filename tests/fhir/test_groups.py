"""Group IPT in a patient's bundle: the group, with only that patient as a member."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.api.services import api_token_create
from tests.fhir.support import of_type, unresolved, validate
from tests.groups.world import build_group_world
from tests.world import World

pytestmark = pytest.mark.django_db


def test_a_members_bundle_names_their_group_and_no_other_member(world: World) -> None:
    gw = build_group_world(world)
    member = gw.members[0]
    _, token = api_token_create(actor=gw.supervisor, name="fhir")
    response = HttpClient().get(
        reverse("api:fhir_patient_everything", kwargs={"patient_id": member.client.public_id}),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    resources = [e["resource"] for e in json.loads(response.content)["entry"]]
    (group,) = of_type(resources, "Group")
    validate(group)
    assert group["id"] == str(gw.group.public_id)
    assert [m["entity"] for m in group["member"]] == [
        {"reference": f"Patient/{member.client.public_id}"}
    ]
    assert "quantity" not in group  # the bundle lists one member, not the group's size
    for other in gw.members[1:]:
        assert str(other.client.public_id) not in response.content.decode()
    assert unresolved(resources) == []
