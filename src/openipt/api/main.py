"""The JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Endpoints are thin: they parse, call the same selectors and services as the
pages, and shape the answer. Each area keeps its router in its own module.
Every operation needs a personal access token (`TokenAuth`), which makes the
token's owner the acting user; every error has the `ErrorOut` shape
(`errors.py`) and is declared in the schema.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from openipt.api import errors
from openipt.api.auth import TokenAuth
from openipt.api.routers import (
    alerts,
    appointment_writes,
    appointments,
    clients,
    courses,
    group_writes,
    groups,
    instruments,
    measures,
    records,
)
from openipt.fhir.router import router as fhir_router

api = NinjaAPI(
    title="OpenIPT API",
    version="1",
    description=(
        "Send `Authorization: Bearer <token>` with a personal access token "
        "(Settings → API tokens). A token acts with exactly its owner's permissions. "
        "Lists are paged with an opaque `cursor`. Guide: docs/api.md."
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
)
errors.install(api)
# Writes that share a path with a read (POST /appointments, POST /groups…) add their
# operations to that read's router when imported: one path, one router, in ninja.
WRITES_ON_READ_ROUTERS = (appointment_writes, group_writes)

for module in (clients, courses, records, measures, instruments, alerts, appointments, groups):
    api.add_router("/", module.router)
api.add_router("/fhir/", fhir_router)
