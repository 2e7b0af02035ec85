"""Client records: list, read, create and edit, as the token's owner does on the client pages.

Writes validate with the client form (`practice.forms.ClientForm`) and go through
`practice.services.client_create` / `client_update`, like the pages: the same
fields (nothing else can be set: no status, practice or version by assignment),
the same checks, the same audit events, and the same refusal of an edit based
on an older version (409 here, where the page shows the form again).
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from openipt.accounts.models import User
from openipt.api.errors import ErrorOut, errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.api.routers.writing import WriteIn, form_data, given, stale, validated
from openipt.practice import policies, services
from openipt.practice.forms import ClientForm
from openipt.practice.models import Client, Practice
from openipt.practice.roles import roles_for
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


# --- writing ----------------------------------------------------------------------------


class ClientFields(WriteIn):
    """The client form's fields (`practice.services.CLIENT_EDITABLE_FIELDS`)."""

    preferred_name: str | None = Field(None, max_length=100)
    pronouns: str | None = Field(None, max_length=50)
    language: str | None = Field(
        None, max_length=16, description="A language code of the practice's list, e.g. `en`."
    )
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=2000)
    emergency_contact_name: str | None = Field(None, max_length=200)
    emergency_contact_relationship: str | None = Field(None, max_length=100)
    emergency_contact_phone: str | None = Field(None, max_length=50)
    access_needs: str | None = Field(None, max_length=2000)


class ClientCreateIn(ClientFields):
    practice_id: UUID | None = Field(
        None,
        description="The practice to create the record in; may be left out when the token's "
        "owner creates client records in one practice only.",
    )
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    date_of_birth: datetime.date


class ClientUpdateIn(ClientFields):
    version: int = Field(
        description="The `version` you read; a newer save since then is refused with 409."
    )
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    date_of_birth: datetime.date | None = None


def _creating_practice(actor: User, practice_id: UUID | None) -> Practice:
    """The practice a new record goes in: one the actor belongs to and may create records in."""
    roles = roles_for(actor)
    if practice_id is not None:
        practice = Practice.objects.filter(
            public_id=practice_id, pk__in=list(roles.by_practice)
        ).first()
        if practice is None:
            raise Http404
        if not policies.can_create_client(roles.in_practice(practice.pk)):
            raise PermissionDenied
        return practice
    creating = [pid for pid, held in roles.by_practice.items() if policies.can_create_client(held)]
    if not creating:
        raise PermissionDenied
    if len(creating) > 1:
        raise ValidationError(
            {"practice_id": "You work in more than one practice: say which one (practice_id)."}
        )
    return Practice.objects.get(pk=creating[0])


@router.post(
    "/clients",
    response={201: ClientOut, **errors(403, 404, 422)},
    url_name="client_create",
)
def client_create(request: HttpRequest, payload: ClientCreateIn) -> Status[ClientOut]:
    """Create a client record, as the *New client* page does.

    A clinician who creates a record joins its care team. Clinicians,
    supervisors and practice admins may create records; other roles get 403.
    """
    actor = actor_of(request)
    practice = _creating_practice(actor, payload.practice_id)
    values = payload.model_dump(exclude={"practice_id"})
    # Left out, the language is the form's own default.
    if values["language"] is None:
        values["language"] = "en"
    form = validated(ClientForm(form_data(values)))
    client = services.client_create(actor=actor, practice=practice, data=form.cleaned_data)
    return Status(201, client_out(client))


@router.patch(
    "/clients/{client_id}",
    response={200: ClientOut, 409: ErrorOut, **errors(404, 422)},
    url_name="client_update",
)
def client_update(request: HttpRequest, client_id: UUID, payload: ClientUpdateIn) -> ClientOut:
    """Change the fields sent (absent or null: unchanged), as the *Edit* page does.

    `version` must be the record's current version (409 otherwise). An archived
    record must be restored before it is edited (409).
    """
    actor = actor_of(request)
    client = client_get_for_actor(actor=actor, public_id=client_id)
    if client.is_archived:
        raise HttpError(409, "This client record is archived: restore it before editing it.")
    changes = given(payload)
    changes.pop("version", None)
    current = {name: getattr(client, name) for name in services.CLIENT_EDITABLE_FIELDS}
    form = validated(ClientForm(form_data({**current, **changes}), instance=client))
    data = {name: form.cleaned_data[name] for name in services.CLIENT_EDITABLE_FIELDS}
    try:
        # The service re-reads the row under lock, so it compares with the truth
        # (the form has already written its values onto `client`).
        updated = services.client_update(
            actor=actor, client=client, data=data, expected_version=payload.version
        )
    except services.StaleEditError as exc:
        raise stale("client record", payload.version) from exc
    return client_out(client_get_for_actor(actor=actor, public_id=updated.public_id))
