"""The demo clients' portals show a few weeks of real use."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse
from pytest_django import Settings

from openipt.accounts.models import User
from openipt.courses.models import Experiment, ExperimentStatus
from openipt.diary.models import DiaryEntry
from openipt.practice.models import Client

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def test_demo_portal_clients_have_a_diary_and_a_report(
    settings: Settings, client_for: ClientFor
) -> None:
    settings.DEMO = True
    call_command("seed_demo", stdout=StringIO())
    with_diary = Client.objects.filter(diary_entries__isnull=False).distinct()
    assert with_diary.count() >= 2
    counts = []
    for client in with_diary:
        assert client.user is not None
        entries = DiaryEntry.objects.filter(client=client)
        # A course that began a few days ago has only a few days of diary.
        assert entries.count() >= 3
        assert entries.filter(people__isnull=False).exists()
        counts.append(entries.count())
    assert max(counts) >= 15
    assert (
        Experiment.objects.filter(status=ExperimentStatus.DONE, course__client__in=with_diary)
        .exclude(report_what_happened="")
        .exists()
    )
    first = with_diary.first()
    assert first is not None and first.user is not None
    page = client_for(first.user).get(reverse("portal:diary")).content.decode()
    assert "The last 30 days" in page or "Los últimos 30 días" in page
