"""`{% next_appointment client %}`: the portal home's "next appointment" block.

The portal home (owned by the portal app) loads this tag instead of knowing how
appointments are stored.
"""

from __future__ import annotations

from typing import Any

from django import template

from openipt.appointments.selectors import next_appointment_for_client
from openipt.practice.models import Client

register = template.Library()


@register.inclusion_tag("appointments/partials/next_appointment.html")
def next_appointment(client: Client) -> dict[str, Any]:
    return {"next_appointment": next_appointment_for_client(client=client)}
