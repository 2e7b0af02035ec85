"""The programme manager's pages: overview, dashboard, site chart, settings, new programme."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.groups.models import MemberScore, Programme, ProgrammeSite
from openipt.groups.services.programmes import programme_create, programme_update
from openipt.practice.models import Membership, Organisation, Role
from tests.factories import OrganisationFactory, PracticeFactory, UserFactory
from tests.groups.test_dashboard import Dataset, _grow, answers_for, build_dataset
from tests.groups.world import GroupWorld
from tests.world import TOTP_SECRET

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]


@pytest.fixture
def data(group_world: GroupWorld) -> Dataset:
    return build_dataset(group_world)


@pytest.fixture
def manager(data: Dataset, client_for: ClientFor) -> HttpClient:
    return client_for(data.gw.world.programme_manager)


def dashboard_url(data: Dataset) -> str:
    return reverse("programmes:programme_dashboard", args=[data.gw.programme.public_id])


def chart_url(data: Dataset, site_public_id: uuid.UUID | None = None) -> str:
    site = site_public_id or data.gw.world.practice_a.public_id
    return reverse("programmes:site_chart", args=[data.gw.programme.public_id, site])


def settings_url(programme: Programme) -> str:
    return reverse("programmes:programme_settings", args=[programme.public_id])


def other_manager() -> User:
    organisation: Organisation = OrganisationFactory.create(name="Elsewhere Trust")
    user: User = UserFactory.create(full_name="Olga Other", email="olga@example.test")
    Membership.objects.create(user=user, organisation=organisation, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, TOTP_SECRET)
    return user


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_shows_figures_by_site_and_facilitator_never_a_member(
    data: Dataset, manager: HttpClient
) -> None:
    response = manager.get(dashboard_url(data))
    body = response.content.decode()
    assert response.status_code == 200
    for shown in ("Riverside Clinic", "Lakeside", "Fay Facilitator", "Bo Facilitator"):
        assert shown in body
    assert "fewer than 5" in body.lower()  # the rule is explained on the page
    assert "87.5" not in body and "88%" in body  # Fay's attendance, rounded
    assert "-4.1" in body  # Fay's mean change, −49/12
    for member_name in ("Grace", "Okafor", "Wendy", "Phiri", "Joy", "Banda", "Quillfeather"):
        assert member_name not in body
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        object_type="programme_dashboard",
        object_public_id=data.gw.programme.public_id,
        actor=data.gw.world.programme_manager,
    ).exists()


def test_the_dashboard_shows_suppressed_cells_as_fewer_than_five(
    data: Dataset, manager: HttpClient
) -> None:
    body = manager.get(dashboard_url(data), {"site": str(data.site_b.public_id)}).content.decode()
    assert "Riverside Clinic" not in body.split('id="totals-heading"')[1]
    # Lakeside has no completers: the end figures say so instead of a percentage.
    assert "no completers yet" in body
    assert 'class="suppressed"' not in body


def test_the_page_says_fewer_than_five_or_hidden_for_suppressed_cells(
    data: Dataset, manager: HttpClient
) -> None:
    """GIVEN Finn's one member scored (primary suppression) beside Fay's twelve
    WHEN the manager opens the dashboard
    THEN Finn's outcome cells read "fewer than 5" and Fay's (hidden to protect Finn's
    member) read "hidden"; Riverside's row still shows its mean change."""
    session = data.gw.group_2.sessions.get(number=1)
    MemberScore.objects.create(
        member=data.gw.member_2,
        session=session,
        practice=session.group.practice,
        instrument_version="1.0",
        answers=answers_for(13),
        total=13,
        band_code="moderate",
        administered_at=timezone.now(),
        entered_by=data.gw.facilitator_2,
    )
    body = manager.get(dashboard_url(data)).content.decode()
    outcomes = body.split("Symptoms: PHQ-9 since screening")
    riverside_people = outcomes[-1]  # the last site block's outcome table is Riverside's
    fay = riverside_people.split("Fay Facilitator", 1)[1].split("</tr>", 1)[0]
    finn = riverside_people.split("Finn Facilitator", 1)[1].split("</tr>", 1)[0]
    assert fay.count('class="suppressed">hidden<') == 3
    assert finn.count('class="suppressed">fewer than 5<') == 3
    riverside = outcomes[1].split("Riverside Clinic</a>", 1)[1].split("</tr>", 1)[0]
    assert ">-3.8<" in riverside  # Riverside's mean change, −50 / 13, in the site table


def test_the_dashboard_page_makes_the_same_queries_as_the_data_grows(
    group_world: GroupWorld,
    client_for: ClientFor,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    http = client_for(group_world.world.programme_manager)
    url = reverse("programmes:programme_dashboard", args=[group_world.programme.public_id])
    _grow(group_world, 1)
    with django_assert_max_num_queries(25):  # type: ignore[attr-defined]
        assert http.get(url).status_code == 200
    _grow(group_world, 6)
    with django_assert_max_num_queries(25):  # type: ignore[attr-defined]
        assert http.get(url).status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-13-45"}, "Write the date as year-month-day"),
        ({"to": "yesterday"}, "Write the date as year-month-day"),
        ({"from": "2026-06-01", "to": "2026-01-01"}, "before its start"),
        ({"site": "not-a-site"}, "Choose one of this programme"),
        ({"site": str(uuid.uuid4())}, "Choose one of this programme"),
    ],
)
def test_a_bad_filter_is_a_400_with_a_message_and_the_input_kept(
    data: Dataset, manager: HttpClient, params: dict[str, str], message: str
) -> None:
    response = manager.get(dashboard_url(data), params)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    for value in params.values():
        if value != params.get("site"):
            assert f'value="{value}"' in body
    assert "Correct the dates or the site" in body


def test_the_site_filter_by_public_id(data: Dataset, manager: HttpClient) -> None:
    body = manager.get(dashboard_url(data), {"site": str(data.site_b.public_id)}).content.decode()
    assert "Bo Facilitator" in body and "Fay Facilitator" not in body


def test_the_period_is_passed_to_the_charts(data: Dataset, manager: HttpClient) -> None:
    body = manager.get(dashboard_url(data), {"from": "2026-09-01"}).content.decode()
    assert "chart.svg?from=2026-09-01" in body


def test_a_manager_of_another_organisation_gets_404(data: Dataset, client_for: ClientFor) -> None:
    http = client_for(other_manager())
    for url in (dashboard_url(data), chart_url(data), settings_url(data.gw.programme)):
        assert http.get(url).status_code == 404, url
    assert http.post(settings_url(data.gw.programme), {"name": "Taken"}).status_code == 404
    data.gw.programme.refresh_from_db()
    assert data.gw.programme.name == "Community Group IPT"


# --------------------------------------------------------------------------- chart


def test_the_site_chart_is_an_svg_with_no_script_and_no_external_reference(
    data: Dataset, manager: HttpClient
) -> None:
    response = manager.get(chart_url(data))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    svg = response.content.decode()
    assert svg.startswith("<?xml")
    assert "<script" not in svg.lower()
    external = re.sub(r"http://(www\.w3\.org|purl\.org|creativecommons\.org)", "", svg)
    assert "http://" not in external and "https://" not in external
    assert 'id="means"' in svg
    assert "Screen" in svg  # the screening (baseline) point


def test_the_chart_leaves_out_means_of_fewer_than_five(data: Dataset, manager: HttpClient) -> None:
    svg = manager.get(chart_url(data, data.site_b.public_id)).content.decode()
    # Lakeside: five at screening and five at session 1 are drawn.
    assert 'id="mean-value-0"' in svg and 'id="mean-value-1"' in svg
    svg = manager.get(chart_url(data), {"from": "2026-10-01"}).content.decode()
    # Tuesday's six and Thursday's one member: session 2 has four scored, not drawn.
    assert 'id="mean-value-1"' in svg and 'id="mean-value-2"' not in svg
    assert "&lt;5" in svg


def test_the_chart_refuses_a_site_outside_the_programme_and_bad_input(
    data: Dataset, manager: HttpClient
) -> None:
    assert manager.get(chart_url(data, data.gw.world.practice_b.public_id)).status_code == 404
    assert manager.get(chart_url(data), {"size": "huge"}).status_code == 400
    response = manager.get(chart_url(data), {"from": "soon"})
    assert response.status_code == 400
    assert b"year-month-day" in response.content
    assert manager.get(chart_url(data), {"size": "narrow"}).status_code == 200


# --------------------------------------------------------------------------- overview


def test_the_overview_lists_programmes_with_headline_counts(
    data: Dataset, manager: HttpClient
) -> None:
    body = manager.get(reverse("programme_overview")).content.decode()
    assert "Community Group IPT" in body
    assert dashboard_url(data) in body and settings_url(data.gw.programme) in body
    row = body.split("Community Group IPT", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(\d+)</td>", row)
    assert cells == ["2", "3", "1", "12", "5", "1", "1"]


# --------------------------------------------------------------------------- settings


def settings_post(programme: Programme, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": programme.name,
        "variant_code": programme.variant_code,
        "group_sessions": programme.group_sessions,
        "initial_last": programme.initial_last,
        "middle_last": programme.middle_last,
        "min_phq9": programme.min_phq9,
        "max_phq9": "" if programme.max_phq9 is None else programme.max_phq9,
        "min_age": "" if programme.min_age is None else programme.min_age,
        "max_age": "" if programme.max_age is None else programme.max_age,
        "min_group_size": programme.min_group_size,
        "max_group_size": programme.max_group_size,
        "composition": programme.composition,
        "low_attendance_percent": programme.low_attendance_percent,
        "low_adherence_percent": programme.low_adherence_percent,
        "is_active": "on" if programme.is_active else "",
        "sites": [
            str(public_id)
            for public_id in programme.sites.values_list("practice__public_id", flat=True)
        ],
        "loaded_at": programme.updated_at.isoformat(),
    }
    data.update(changes)
    return data


def test_settings_change_the_rules_but_not_running_groups(
    data: Dataset, manager: HttpClient
) -> None:
    """GIVEN Tuesday group running on the 8-session plan (1 / 2–7 / 8)
    WHEN the manager moves the programme to 10 sessions (1 / 2–8 / 9–10) and groups of 12
    THEN the programme has the new rules, the running group keeps its plan and size,
    and the change is audited by field name."""
    programme = data.gw.programme
    response = manager.post(
        settings_url(programme),
        settings_post(
            programme, group_sessions=10, middle_last=8, max_group_size=12, max_phq9="24"
        ),
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.group_sessions, programme.middle_last, programme.max_group_size) == (
        10,
        8,
        12,
    )
    assert programme.max_phq9 == 24
    data.gw.group.refresh_from_db()
    assert (data.gw.group.planned_sessions, data.gw.group.middle_last) == (8, 7)
    assert data.gw.group.max_size == 8
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="programme")
    assert event.changed_fields == sorted(
        ["group_sessions", "middle_last", "max_group_size", "max_phq9"]
    )


def test_an_invalid_plan_is_a_400_with_the_engines_message_and_the_form_kept(
    data: Dataset, manager: HttpClient
) -> None:
    programme = data.gw.programme
    response = manager.post(
        settings_url(programme), settings_post(programme, group_sessions=8, middle_last=8)
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "The group needs at least one ending session" in body
    assert 'name="middle_last" value="8"' in body
    programme.refresh_from_db()
    assert programme.middle_last == 7


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"group_sessions": 20, "middle_last": 18}, "runs for 6 to 12 group sessions"),
        (
            {
                "caregiver_session": "on",
                "variant_code": "group_clinic",
                "group_sessions": 12,
                "initial_last": 2,
                "middle_last": 10,
            },
            "has no caregiver session",
        ),
        ({"min_phq9": 15, "max_phq9": 12}, "highest PHQ-9 total is below the lowest"),
        ({"min_age": 40, "max_age": 20}, "oldest age"),
        ({"min_group_size": 9, "max_group_size": 6}, "largest group is smaller"),
        ({"sites": []}, "groups are forming or running there"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_settings_validation(
    data: Dataset, manager: HttpClient, changes: dict[str, object], message: str
) -> None:
    programme = data.gw.programme
    response = manager.post(settings_url(programme), settings_post(programme, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_stale_settings_form_is_refused_with_409_and_the_text_kept(
    data: Dataset, manager: HttpClient
) -> None:
    programme = data.gw.programme
    stale = settings_post(programme, name="Renamed by me")
    programme_update(actor=data.gw.world.programme_manager, programme=programme, min_phq9=12)
    response = manager.post(settings_url(programme), stale)
    assert response.status_code == 409
    assert 'value="Renamed by me"' in response.content.decode()
    programme.refresh_from_db()
    assert (programme.name, programme.min_phq9) == ("Community Group IPT", 12)


def test_sites_can_be_added_and_an_idle_site_removed(data: Dataset) -> None:
    manager_user = data.gw.world.programme_manager
    programme = data.gw.programme
    practice_b = data.gw.world.practice_b
    programme_update(
        actor=manager_user,
        programme=programme,
        sites=[data.gw.world.practice_a, data.site_b, practice_b],
    )
    assert ProgrammeSite.objects.filter(programme=programme).count() == 3
    programme_update(
        actor=manager_user, programme=programme, sites=[data.gw.world.practice_a, data.site_b]
    )
    assert not ProgrammeSite.objects.filter(programme=programme, practice=practice_b).exists()


def test_the_service_refuses_other_people_and_unknown_fields(data: Dataset) -> None:
    with pytest.raises(PermissionDenied):
        programme_update(actor=data.gw.facilitator, programme=data.gw.programme, min_phq9=5)
    with pytest.raises(PermissionDenied):
        programme_update(actor=other_manager(), programme=data.gw.programme, min_phq9=5)
    with pytest.raises(TypeError):
        programme_update(
            actor=data.gw.world.programme_manager,
            programme=data.gw.programme,
            organisation=OrganisationFactory.create(),
        )


# --------------------------------------------------------------------------- new programme


def test_a_new_programme_takes_the_variants_default_plan(data: Dataset) -> None:
    programme = programme_create(
        actor=data.gw.world.programme_manager,
        organisation=data.gw.world.organisation,
        name="Short cycle pilot",
        variant_code="group_short",
        sites=[data.site_b],
    )
    assert (programme.group_sessions, programme.initial_last, programme.middle_last) == (6, 1, 5)
    assert list(programme.sites.values_list("practice", flat=True)) == [data.site_b.pk]
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_public_id=programme.public_id
    ).exists()
    with pytest.raises(ValidationError) as caught:
        programme_create(
            actor=data.gw.world.programme_manager,
            organisation=data.gw.world.organisation,
            name="short cycle PILOT",
            variant_code="group_short",
            group_sessions=20,
            sites=[data.site_b],
        )
    assert set(caught.value.message_dict) == {"name", "group_sessions"}


def test_the_new_programme_page_creates_and_keeps_a_bad_form(
    data: Dataset, manager: HttpClient
) -> None:
    url = reverse("programmes:programme_create")
    page = manager.get(url)
    assert page.status_code == 200 and 'value="8"' in page.content.decode()
    fields = {
        "name": "Youth groups",
        "variant_code": "group_who",
        "group_sessions": 8,
        "initial_last": 1,
        "middle_last": 9,
        "min_phq9": 10,
        "min_age": 12,
        "max_age": 17,
        "min_group_size": 4,
        "max_group_size": 8,
        "composition": "by_gender",
        "caregiver_session": "on",
        "low_attendance_percent": 60,
        "low_adherence_percent": 60,
        "is_active": "on",
        "sites": [str(data.site_b.public_id)],
    }
    response = manager.post(url, fields)
    assert response.status_code == 400
    assert 'value="Youth groups"' in response.content.decode()
    assert not Programme.objects.filter(name="Youth groups").exists()
    response = manager.post(url, {**fields, "middle_last": 7})
    created = Programme.objects.get(name="Youth groups")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "programmes:programme_dashboard", args=[created.public_id]
    )
    assert created.caregiver_session and created.max_age == 17
    assert created.organisation == data.gw.world.organisation


def test_a_site_of_another_organisation_cannot_be_chosen(
    data: Dataset, manager: HttpClient
) -> None:
    far_site = PracticeFactory.create(
        organisation=OrganisationFactory.create(name="Far away"), name="Far site"
    )
    programme = data.gw.programme
    response = manager.post(
        settings_url(programme),
        settings_post(
            programme,
            sites=[
                str(data.gw.world.practice_a.public_id),
                str(data.site_b.public_id),
                str(far_site.public_id),
            ],
        ),
    )
    assert response.status_code == 400
    assert "is not one of the available choices" in response.content.decode()
    assert not ProgrammeSite.objects.filter(practice=far_site).exists()
