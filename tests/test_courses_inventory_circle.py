"""The closeness circle (protocol note §5.2): drawing, moving people, versions, comparing."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.circle_svg import (
    CENTRE_RADIUS,
    HALF_HEIGHT,
    HALF_WIDTH,
    OUTER_RADIUS,
    VIEW_BOX,
    CircleEntry,
    Movement,
    band_width,
    compare_placements,
    label_box,
    layout_circle,
    rings_needed,
)
from openipt.courses.models import CircleVersion, Course, InventoryPerson
from openipt.courses.services import circle as circle_services
from openipt.courses.services import inventory as inventory_services
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def _url(name: str, course: Course, **kwargs: Any) -> str:
    return reverse(f"courses:{name}", kwargs={"public_id": course.public_id, **kwargs})


def _move_url(person: InventoryPerson) -> str:
    return reverse(
        "courses:circle_move",
        kwargs={"public_id": person.course.public_id, "person_id": person.public_id},
    )


def _add(
    world: World, name: str, ring: int, relationship: str = "friend", **extra: Any
) -> InventoryPerson:
    return inventory_services.inventory_person_add(
        actor=world.clinician,
        course=world.course_1,
        data={"name": name, "relationship": relationship, "ring": ring, **extra},
    )


# --- geometry (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rings_in_use", "stored", "expected"),
    [([], None, 3), ([1, 2], None, 3), ([3], None, 3), ([1, 4], None, 4), ([1], 4, 4), ([1], 3, 3)],
)
def test_the_circle_has_three_rings_unless_someone_needs_a_fourth(
    rings_in_use: list[int], stored: int | None, expected: int
) -> None:
    assert rings_needed(rings_in_use, stored) == expected


def _distance(x: float, y: float) -> float:
    return math.hypot(x, y)


def test_people_are_spread_evenly_on_their_own_ring() -> None:
    entries = [CircleEntry(str(i), f"P{i}", "friend", 2) for i in range(4)]
    drawing = layout_circle(entries)
    radii = {round(_distance(p.x, p.y)) for p in drawing.people}
    assert len(radii) == 1
    # Clockwise from the left, where a narrow gap is left for the ring numbers.
    clockwise = [(math.atan2(p.y, p.x) - math.pi) % (2 * math.pi) for p in drawing.people]
    gaps = {round(b - a, 2) for a, b in itertools.pairwise(clockwise)}
    assert len(gaps) == 1  # equal spacing
    assert min(clockwise) > math.radians(10) and max(clockwise) < math.radians(350)


def test_deceased_people_and_problem_area_links_are_marked() -> None:
    drawing = layout_circle(
        [
            CircleEntry("a", "Grandad", "deceased", 1, "grief"),
            CircleEntry("b", "A name that is much too long to draw", "partner", 2),
        ]
    )
    grandad, other = drawing.people
    assert grandad.deceased and grandad.area_letter == "G"
    assert grandad.fill == "#FFFFFF"
    assert not other.deceased and other.area_letter == ""
    assert other.label == "A name that is…"


@given(
    st.lists(st.integers(min_value=1, max_value=4), max_size=30),
)
def test_every_person_is_drawn_inside_their_band(rings: list[int]) -> None:
    entries = [
        CircleEntry(str(i), f"Person number {i:03d}", "friend", r) for i, r in enumerate(rings)
    ]
    drawing = layout_circle(entries)
    width = band_width(drawing.rings)
    assert drawing.rings == (4 if 4 in rings else 3)
    for placed in drawing.people:
        distance = _distance(placed.x, placed.y)
        inner = CENTRE_RADIUS + width * (placed.entry.ring - 1)
        assert inner < distance < inner + width
        assert distance < OUTER_RADIUS
        # Labels stay inside the drawing, shifted inward near the sides if need be.
        left, top, right, bottom = label_box(
            placed.label_x, placed.label_y, placed.label_anchor, placed.label
        )
        assert left >= -HALF_WIDTH and right <= HALF_WIDTH
        assert top >= -HALF_HEIGHT and bottom <= HALF_HEIGHT


BUSY_CIRCLE = [
    ("Mum", "parent", 1),
    ("Dad", "parent", 2),
    ("Sam", "partner", 1),
    ("Maria", "sibling", 2),
    ("Grandad Joe", "deceased", 2),
    ("Priya from work", "coworker", 3),
    ("Tom", "friend", 3),
    ("Aunt Lucy", "other_family", 2),
    ("Kofi", "friend", 3),
    ("Dr Patel", "professional", 4),
    ("Neighbour Jan", "neighbour", 3),
    ("Little Ben", "child", 1),
    ("Rosa", "friend", 2),
    ("Coach Mike", "other", 3),
    ("Sister Eva", "sibling", 1),
    ("Leo", "friend", 2),
    ("Hannah (ex)", "other", 4),
    ("Uncle Bert", "other_family", 3),
    ("Anita", "coworker", 2),
    ("Zoe", "friend", 3),
]


def test_in_a_busy_circle_no_label_covers_another_label_or_a_person() -> None:
    """GIVEN twenty people over four rings WHEN the circle is drawn THEN every name is
    readable: no label overlaps another label, a person's marker or the client."""
    entries = [CircleEntry(str(i), n, r, ring) for i, (n, r, ring) in enumerate(BUSY_CIRCLE)]
    drawing = layout_circle(entries, centre_label="Alice")
    boxes = [label_box(p.label_x, p.label_y, p.label_anchor, p.label) for p in drawing.people]
    reach = drawing.person_radius
    markers = [(p.x - reach, p.y - reach, p.x + reach, p.y + reach) for p in drawing.people]
    centre = (-CENTRE_RADIUS, -CENTRE_RADIUS, CENTRE_RADIUS, CENTRE_RADIUS)

    def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])

    for i, box in enumerate(boxes):
        assert not overlaps(box, centre), drawing.people[i].label
        for j, other in enumerate(boxes):
            assert i == j or not overlaps(box, other), (
                drawing.people[i].label,
                drawing.people[j].label,
            )
        for j, marker in enumerate(markers):
            assert not overlaps(box, marker), (drawing.people[i].label, drawing.people[j].label)


def test_comparing_two_circles_lists_who_moved() -> None:
    """GIVEN Sam on ring 3 then ring 1, Jo on ring 1 then 2, Kim only in the second,
    Lee only in the first and Ana unchanged WHEN compared THEN Sam moved closer by 2,
    Jo further, Kim was added, Lee left and Ana stayed — moves listed first."""
    before = {"sam": ("Sam", 3), "jo": ("Jo", 1), "lee": ("Lee", 2), "ana": ("Ana", 2)}
    after = {"ana": ("Ana", 2), "jo": ("Jo", 2), "sam": ("Sam", 1), "kim": ("Kim", 3)}
    changes = compare_placements(before, after)
    summary = [(c.name, c.movement, c.before, c.after) for c in changes]
    assert summary == [
        ("Sam", Movement.CLOSER, 3, 1),
        ("Jo", Movement.FURTHER, 1, 2),
        ("Kim", Movement.ADDED, None, 3),
        ("Lee", Movement.LEFT, 2, None),
        ("Ana", Movement.SAME, 2, 2),
    ]
    assert changes[0].steps == 2


# --- moving people --------------------------------------------------------------------------


def test_moving_closer_and_further_changes_the_ring_and_the_version(world: World) -> None:
    """GIVEN Jo on ring 3 WHEN moved closer THEN Jo is on ring 2, their version goes up
    and the audit trail names the field "ring" only."""
    jo = _add(world, "Jo", 3)
    moved = circle_services.circle_move_person(
        actor=world.clinician, course=world.course_1, person=jo, direction="closer"
    )
    assert moved.ring == 2 and moved.version == jo.version + 1
    event = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_public_id=jo.public_id
    ).get()
    assert event.changed_fields == ["ring"]
    further = circle_services.circle_move_person(
        actor=world.clinician, course=world.course_1, person=moved, direction="further"
    )
    assert further.ring == 3


def test_nobody_moves_past_the_first_or_fourth_ring(world: World) -> None:
    with pytest.raises(ValidationError, match="closest ring"):
        circle_services.circle_move_person(
            actor=world.clinician, course=world.course_1, person=world.person_1, direction="closer"
        )
    far = _add(world, "Far", 4)
    with pytest.raises(ValidationError, match="outermost ring"):
        circle_services.circle_move_person(
            actor=world.clinician, course=world.course_1, person=far, direction="further"
        )
    with pytest.raises(ValidationError):
        circle_services.circle_move_person(
            actor=world.clinician, course=world.course_1, person=far, ring=5
        )


def test_the_move_buttons_work_without_javascript(world: World, client_for: ClientFor) -> None:
    jo = _add(world, "Jo", 3)
    http = client_for(world.clinician)
    response = http.post(_move_url(jo), {"direction": "closer"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#person-{jo.public_id}")
    jo.refresh_from_db()
    assert jo.ring == 2
    page = http.get(_url("circle", world.course_1)).content.decode()
    assert "Jo moved to ring 2." in page

    blocked = http.post(_move_url(world.person_1), {"direction": "closer"}, follow=True)
    assert "Sam: They are already on the closest ring." in blocked.content.decode()
    assert http.post(_move_url(jo), {"ring": "9"}, follow=True).status_code == 200
    jo.refresh_from_db()
    assert jo.ring == 2


def test_a_move_makes_an_open_edit_form_stale(world: World, client_for: ClientFor) -> None:
    """GIVEN the edit form opened at version 1 WHEN the person is moved on the circle
    THEN saving the form is refused (409) instead of silently moving them back."""
    circle_services.circle_move_person(
        actor=world.clinician, course=world.course_1, person=world.person_1, direction="further"
    )
    url = reverse(
        "courses:inventory_edit",
        kwargs={"public_id": world.course_1.public_id, "person_id": world.person_1.public_id},
    )
    response = client_for(world.clinician).post(
        url, {"name": "Sam", "relationship": "partner", "ring": "1", "version": "1"}
    )
    assert response.status_code == 409
    world.person_1.refresh_from_db()
    assert world.person_1.ring == 2


def test_the_supervisor_cannot_move_people_or_save_versions(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.supervisor)
    assert http.post(_move_url(world.person_1), {"direction": "further"}).status_code == 403
    assert http.post(_url("circle_version_save", world.course_1), {"label": "X"}).status_code == 403
    with pytest.raises(PermissionDenied):
        circle_services.circle_version_save(
            actor=world.supervisor, course=world.course_1, label="X"
        )
    page = http.get(_url("circle", world.course_1)).content.decode()
    assert "Closer" not in page and "Save version" not in page
    world.person_1.refresh_from_db()
    assert world.person_1.ring == 1


@pytest.mark.parametrize("role", ["clinician_b", "colleague", "admin"])
def test_outsiders_get_404_on_the_circle(world: World, client_for: ClientFor, role: str) -> None:
    http = client_for(world.users_by_role_name()[role])
    assert http.get(_url("circle", world.course_1)).status_code == 404
    assert http.get(_url("circle_compare", world.course_1)).status_code == 404
    assert http.post(_move_url(world.person_1), {"direction": "further"}).status_code == 404


# --- versions ---------------------------------------------------------------------------------


def test_a_saved_version_keeps_the_rings_of_that_moment(world: World) -> None:
    """GIVEN Sam on ring 1 and Jo on ring 3 WHEN the circle is saved as "Start" and Jo
    then moves closer THEN "Start" still has Jo on ring 3; the next version is number 2."""
    jo = _add(world, "Jo", 3)
    start = circle_services.circle_version_save(
        actor=world.clinician, course=world.course_1, label="  Start   of course "
    )
    assert start.number == 1 and start.label == "Start of course" and start.rings == 3
    circle_services.circle_move_person(
        actor=world.clinician, course=world.course_1, person=jo, direction="closer"
    )
    end = circle_services.circle_version_save(
        actor=world.clinician, course=world.course_1, label="End"
    )
    assert end.number == 2
    rings_at = {
        v.label: dict(v.placements.values_list("person__public_id", "ring"))
        for v in CircleVersion.objects.filter(course=world.course_1)
    }
    assert rings_at["Start of course"][jo.public_id] == 3
    assert rings_at["End"][jo.public_id] == 2
    assert rings_at["End"][world.person_1.public_id] == 1
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_public_id=end.public_id)
    assert event.object_type == "circle_version"
    assert event.changed_fields == ["label", "placements", "rings"]


def test_a_version_with_someone_on_ring_four_is_drawn_with_four_rings(world: World) -> None:
    _add(world, "Far", 4)
    version = circle_services.circle_version_save(
        actor=world.clinician, course=world.course_1, label="Now"
    )
    assert version.rings == 4


def test_versions_need_a_name_and_people(world: World, client_for: ClientFor) -> None:
    with pytest.raises(ValidationError):
        circle_services.circle_version_save(
            actor=world.clinician, course=world.course_1, label="  "
        )
    inventory_services.inventory_person_remove(
        actor=world.clinician, course=world.course_1, person=world.person_1
    )
    with pytest.raises(ValidationError, match="Add people"):
        circle_services.circle_version_save(actor=world.clinician, course=world.course_1, label="S")
    page = client_for(world.clinician).post(
        _url("circle_version_save", world.course_1), {"label": ""}, follow=True
    )
    assert "Give this version a name" in page.content.decode()
    assert not CircleVersion.objects.exists()


# --- pages ------------------------------------------------------------------------------------

INLINE_STYLE = re.compile(r"<style|\sstyle=", re.IGNORECASE)


def test_the_circle_page_draws_an_inline_svg_without_inline_styles(
    world: World, client_for: ClientFor
) -> None:
    _add(world, "Grandad", 2, "deceased", problem_area="grief")
    _add(world, "Jo", 3, "coworker")
    response = client_for(world.clinician).get(_url("circle", world.course_1))
    assert response.status_code == 200
    page = response.content.decode()
    svg = page[page.index('<svg class="closeness-circle"') : page.index("</svg>")]
    assert f'viewBox="{VIEW_BOX}"' in svg
    assert svg.count('class="circle-person"') == 3
    assert ">Alice<" in svg  # the client in the centre
    assert 'stroke-dasharray="3 2"' in svg  # the deceased grandfather
    assert ">G<" in svg  # linked to grief
    assert svg.count('stroke="#a9cbc6"') == 3  # three rings
    assert not INLINE_STYLE.search(page)
    assert "openipt/circle.css" in page
    for legend in ("Partner", "Deceased", "Co-worker", "Linked to grief"):
        assert legend in page


def test_the_comparison_shows_two_circles_and_who_moved(
    world: World, client_for: ClientFor
) -> None:
    jo = _add(world, "Jo", 3)
    start = circle_services.circle_version_save(
        actor=world.clinician, course=world.course_1, label="Start"
    )
    circle_services.circle_move_person(
        actor=world.clinician, course=world.course_1, person=jo, direction="closer"
    )
    _add(world, "Kim", 2)
    end = circle_services.circle_version_save(
        actor=world.clinician, course=world.course_1, label="End"
    )
    http = client_for(world.supervisor)
    response = http.get(_url("circle_compare", world.course_1))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="closeness-circle"') == 2
    assert "<strong>Jo</strong> moved closer: ring 3 → 2" in page
    assert "<strong>Kim</strong> is new in the second circle" in page
    assert "On the same ring: Sam." in page
    second = page[page.rindex('<svg class="closeness-circle"') :]
    second = second[: second.index("</svg>")]
    assert second.count('fill="none" stroke="#1d7a46"') == 1  # Jo's "moved closer" halo
    assert "Moved closer (second circle)" in page
    assert (
        f'value="{start.public_id}" selected' in page
        and f'value="{end.public_id}" selected' in page
    )
    assert not INLINE_STYLE.search(page)

    reverse_order = http.get(
        _url("circle_compare", world.course_1), {"a": str(end.public_id), "b": str(start.public_id)}
    ).content.decode()
    assert "<strong>Jo</strong> moved further: ring 2 → 3" in reverse_order
    against_now = http.get(
        _url("circle_compare", world.course_1), {"a": str(start.public_id), "b": "current"}
    )
    assert against_now.status_code == 200
    assert "The circle now" in against_now.content.decode()
    junk = http.get(_url("circle_compare", world.course_1), {"a": "not-a-uuid", "b": "<x>"})
    assert junk.status_code == 200
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, actor=world.supervisor, object_type="circle_comparison"
        ).count()
        == 4
    )


def test_the_comparison_without_versions_explains_what_to_do(
    world: World, client_for: ClientFor
) -> None:
    page = client_for(world.clinician).get(_url("circle_compare", world.course_1)).content.decode()
    assert "No version of the circle has been saved yet." in page
