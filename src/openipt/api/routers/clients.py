"""Client records: list and read, as the token's owner sees them on the client pages."""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.practice.models import Client
from openipt.practice.selectors import client_get_for_actor, clients_visible_to

router = Router(tags=["clients"])


class ClientOut(Schema):
    id: UUID
    practice_id: UUID
    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: datetime.date
    language: str
    email: str
    phone: str
    status: str
    version: int
    created_at: datetime.datetime


def client_out(client: Client) -> ClientOut:
    return ClientOut(
        id=client.public_id,
        practice_id=client.practice.public_id,
        given_name=client.given_name,
        family_name=client.family_name,
        preferred_name=client.preferred_name,
        pronouns=client.pronouns,
        date_of_birth=client.date_of_birth,
        language=client.language,
        email=client.email,
        phone=client.phone,
        status=client.status,
        version=client.version,
        created_at=client.created_at,
    )


@router.get("/clients", response={200: Page[ClientOut], **errors(422)}, url_name="client_list")
def client_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    """The client records the token's owner may see (archived ones included, see `status`)."""
    queryset = clients_visible_to(actor=actor_of(request)).select_related("practice")
    return paginate(queryset, page, client_out)


@router.get(
    "/clients/{client_id}", response={200: ClientOut, **errors(404, 422)}, url_name="client_get"
)
def client_get(request: HttpRequest, client_id: UUID) -> ClientOut:
    client = client_get_for_actor(actor=actor_of(request), public_id=client_id)
    audit_read(
        request,
        object_type="client",
        public_id=client.public_id,
        practice=client.practice,
        client_public_id=client.public_id,
    )
    return client_out(client)
