"""A practice's own instruments and licensed text: validation, clear errors, administrable after."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.measures.engine import definition_to_json, shipped
from openipt.measures.models import LicensedText, MeasureAdministration, PracticeInstrument
from openipt.measures.selectors import instrument_for_practice, is_administrable
from openipt.measures.services import (
    licensed_text_load,
    measure_submit,
    practice_instrument_upload,
)
from tests.measures.helpers import licensed_texts
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def local_definition(**overrides: Any) -> dict[str, Any]:
    """A practice's own two-item screen, built from the shipped PHQ-2's structure."""
    data = definition_to_json(shipped("phq2"))
    data.update(
        {
            "code": "local-mood",
            "version": "1.0",
            "title": "Local mood check",
            "shortTitle": "Mood check",
            "loincPanel": None,
            "loincTotal": None,
            "licenceNotice": "Written by the practice.",
        }
    )
    for index, item in enumerate(data["item"], start=1):
        item["linkId"] = f"mood-{index}"
        item["loinc"] = None
    data.update(overrides)
    return data


def test_an_admin_uploads_a_valid_definition_and_clinicians_can_give_it(world: World) -> None:
    row = practice_instrument_upload(
        actor=world.admin, practice=world.practice_a, definition_json=json.dumps(local_definition())
    )
    assert (row.code, row.version, row.active) == ("local-mood", "1.0", True)
    instrument = instrument_for_practice(world.practice_a, "local-mood")
    assert instrument.short_title == "Mood check"
    administration = measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="local-mood",
        answers={"mood-1": 2, "mood-2": 3},
    )
    assert (administration.total, administration.band_code) == (5, "positive")
    event = AuditEvent.objects.get(object_type="practice_instrument")
    assert event.changed_fields == ["code", "definition", "version"]


def test_another_practice_cannot_see_the_instrument(world: World) -> None:
    practice_instrument_upload(
        actor=world.admin, practice=world.practice_a, definition_json=local_definition()
    )
    from openipt.measures.selectors import UnknownInstrument

    with pytest.raises(UnknownInstrument):
        instrument_for_practice(world.practice_b, "local-mood")


def test_every_problem_in_a_definition_is_reported_at_once(world: World) -> None:
    """GIVEN a definition whose bands leave a gap and whose second item has no answers
    WHEN uploaded THEN both problems are listed and nothing is stored."""
    bad = local_definition()
    bad["bands"][1]["low"] = 4
    bad["item"][1]["answerOption"] = []
    with pytest.raises(ValidationError) as caught:
        practice_instrument_upload(
            actor=world.admin, practice=world.practice_a, definition_json=bad
        )
    assert len(caught.value.messages) >= 2
    assert not PracticeInstrument.objects.exists()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("", "Paste or choose"),
    ],
)
def test_unreadable_uploads_get_a_clear_message(world: World, payload: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        practice_instrument_upload(
            actor=world.admin, practice=world.practice_a, definition_json=payload
        )
    assert expected in " ".join(caught.value.messages)


def test_a_shipped_code_cannot_be_reused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        practice_instrument_upload(
            actor=world.admin,
            practice=world.practice_a,
            definition_json=definition_to_json(shipped("phq2")),
        )
    assert "ships" in " ".join(caught.value.messages)


def test_the_same_version_cannot_be_loaded_twice(world: World) -> None:
    practice_instrument_upload(
        actor=world.admin, practice=world.practice_a, definition_json=local_definition()
    )
    with pytest.raises(ValidationError):
        practice_instrument_upload(
            actor=world.admin, practice=world.practice_a, definition_json=local_definition()
        )


def test_only_practice_admins_upload_or_load_text(world: World) -> None:
    for actor in (world.clinician, world.supervisor, world.clinician_b, world.client_user_1):
        with pytest.raises(PermissionDenied):
            practice_instrument_upload(
                actor=actor, practice=world.practice_a, definition_json=local_definition()
            )
        with pytest.raises(PermissionDenied):
            licensed_text_load(
                actor=actor,
                practice=world.practice_a,
                instrument_code="epds",
                texts_json=licensed_texts("epds"),
            )


def test_loading_licensed_text_makes_epds_administrable(world: World) -> None:
    """GIVEN EPDS shipped without its wording WHEN the practice admin loads licensed text
    THEN clinicians of that practice can give it (and only that practice)."""
    assert not is_administrable(instrument_for_practice(world.practice_a, "epds"))
    licensed_text_load(
        actor=world.admin,
        practice=world.practice_a,
        instrument_code="epds",
        texts_json=json.dumps(licensed_texts("epds")),
    )
    instrument = instrument_for_practice(world.practice_a, "epds")
    assert is_administrable(instrument)
    assert instrument.item("epds-1").text == "Test question epds-1"
    assert not is_administrable(instrument_for_practice(world.practice_b, "epds"))
    administration = measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="epds",
        answers={f"epds-{n}": "a" for n in range(1, 11)},
    )
    assert administration.instrument_code == "epds"
    event = AuditEvent.objects.get(object_type="licensed_text")
    assert "texts" in event.changed_fields


def test_licensed_text_with_unknown_keys_is_refused(world: World) -> None:
    texts = licensed_texts("epds") | {"epds-99": "Nope", "epds-1:z": "Nope"}
    with pytest.raises(ValidationError) as caught:
        licensed_text_load(
            actor=world.admin, practice=world.practice_a, instrument_code="epds", texts_json=texts
        )
    joined = " ".join(caught.value.messages)
    assert "epds-99" in joined and "epds-1:z" in joined
    assert not LicensedText.objects.exists()


def test_incomplete_licensed_text_is_refused_naming_what_is_missing(world: World) -> None:
    texts = licensed_texts("epds")
    del texts["epds-4"], texts["epds-10:d"]
    with pytest.raises(ValidationError) as caught:
        licensed_text_load(
            actor=world.admin, practice=world.practice_a, instrument_code="epds", texts_json=texts
        )
    joined = " ".join(caught.value.messages)
    assert "epds-4" in joined and "epds-10:d" in joined


def test_licensed_text_is_only_for_unlicensed_instruments(world: World) -> None:
    with pytest.raises(ValidationError):
        licensed_text_load(
            actor=world.admin, practice=world.practice_a, instrument_code="phq9", texts_json={}
        )


# --- the admin pages -------------------------------------------------------------------------


def test_the_upload_page_lists_every_problem(world: World, client_for: ClientFor) -> None:
    bad = local_definition()
    bad["bands"][1]["low"] = 4
    bad["item"][1]["answerOption"] = []
    response = client_for(world.admin).post(
        reverse("measures:instrument_upload"), {"definition_text": json.dumps(bad)}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The definition was not added" in page
    assert page.count("<li>") >= 2
    assert json.dumps(bad)[:40].replace('"', "&quot;") in page  # what was pasted is kept


def test_a_definition_can_be_uploaded_as_a_file(world: World, client_for: ClientFor) -> None:
    upload = SimpleUploadedFile(
        "mood.json", json.dumps(local_definition()).encode(), content_type="application/json"
    )
    response = client_for(world.admin).post(
        reverse("measures:instrument_upload"), {"definition_file": upload}
    )
    assert response.status_code == 302
    assert PracticeInstrument.objects.get().code == "local-mood"


def test_the_instrument_list_shows_licence_status(world: World, client_for: ClientFor) -> None:
    http = client_for(world.admin)
    page = http.get(reverse("measures:instruments")).content.decode()
    assert "wording not included (licensed)" in page
    response = http.post(
        reverse("measures:licensed_text"),
        {"instrument": "epds", "texts": json.dumps(licensed_texts("epds"))},
    )
    assert response.status_code == 302
    page = http.get(reverse("measures:instruments")).content.decode()
    assert "licensed text loaded" in page


def test_the_licensed_text_page_shows_errors_and_keeps_the_text(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.admin).post(
        reverse("measures:licensed_text"), {"instrument": "epds", "texts": '{"epds-99": "x"}'}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The text was not loaded" in page
    assert "epds-99" in page
    assert not MeasureAdministration.objects.exists()
