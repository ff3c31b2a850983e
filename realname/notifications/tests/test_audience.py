"""Who hears about what: holders of a permission whose scope covers the object, per membership, narrowed
by role; bob only about his company's people, a team leader only about their team, charlie nothing of P1,
platform administrators and regulators only when asked for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Perm, Role
from realname.notifications.selectors import Audience, audience_user_ids, recipients_by_object
from realname.notifications.tests.people import Staff, build_staff
from realname.testing import World, employ, make_user, make_worker
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

WORKER_ROLES = frozenset({Role.PROJECT_MANAGER, Role.LABOUR_MANAGER, Role.TEAM_LEADER})


@pytest.fixture
def staff(world: World) -> Staff:
    return build_staff(world)


def names(user_ids: set[int]) -> set[str]:
    return set(User.objects.filter(pk__in=user_ids).values_list("username", flat=True))


def employment(world: World, worker: str) -> Employment:
    return Employment.objects.get(worker=getattr(world, worker), status="active")


def test_a_general_contractor_worker_is_heard_of_by_the_pm_and_the_team_leader(
    world: World, staff: Staff
) -> None:
    audience = Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_a"), roles=WORKER_ROLES)
    assert names(audience_user_ids(audience)) == {"pam", "tina"}


def test_a_subcontractor_worker_is_heard_of_by_bob_and_the_pm_but_not_another_team_leader(
    world: World, staff: Staff
) -> None:
    audience = Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_b"), roles=WORKER_ROLES)
    assert names(audience_user_ids(audience)) == {"pam", "bob"}


def test_nobody_of_p1_hears_about_p2_and_charlie_hears_nothing_of_p1(world: World, staff: Staff) -> None:
    everyone = Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_c"))
    assert names(audience_user_ids(everyone)) == {"charlie"}
    p1 = Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_a"))
    assert "charlie" not in names(audience_user_ids(p1))


def test_without_a_role_filter_every_holder_in_scope_hears_but_platform_only_when_asked(
    world: World, staff: Staff
) -> None:
    over = employment(world, "worker_a")
    assert names(audience_user_ids(Audience(Perm.ATTENDANCE_VIEW, over))) == {
        "alice",
        "pam",
        "sara",
        "tina",
        "reggie",  # the regulator of P1's region reads attendance
        "wendy",  # the worker herself
    }
    with_platform = audience_user_ids(Audience(Perm.ATTENDANCE_VIEW, over, include_platform=True))
    assert "admin" in names(with_platform)


def test_a_permission_the_role_lacks_excludes_it(world: World, staff: Staff) -> None:
    audience = Audience(Perm.DEVICES_MANAGE, world.p1)
    assert names(audience_user_ids(audience)) == {"alice", "pam", "bob"}


def test_an_inactive_user_hears_nothing(world: World, staff: Staff) -> None:
    staff.pam.is_active = False
    staff.pam.save(update_fields=["is_active"])
    audience = Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_a"), roles=WORKER_ROLES)
    assert names(audience_user_ids(audience)) == {"tina"}


def test_a_projects_scoped_membership_covers_only_its_projects(world: World, staff: Staff) -> None:
    make_user("pia", Role.PROJECT_MANAGER, ScopeKind.PROJECTS, company=world.company_c, projects=[world.p2])
    make_user("pio", Role.PROJECT_MANAGER, ScopeKind.PROJECTS, company=world.company_a, projects=[world.p2])
    assert "pia" in names(audience_user_ids(Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_c"))))
    assert "pio" not in names(
        audience_user_ids(Audience(Perm.ATTENDANCE_VIEW, employment(world, "worker_a")))
    )


def test_recipients_are_answered_per_object(world: World, staff: Staff) -> None:
    a, b, c = (employment(world, w) for w in ("worker_a", "worker_b", "worker_c"))
    found = recipients_by_object(
        perm=Perm.ATTENDANCE_VIEW, model=Employment, ids=[a.pk, b.pk, c.pk], roles=WORKER_ROLES
    )
    assert {pk: names(users) for pk, users in found.items()} == {a.pk: {"pam", "tina"}, b.pk: {"pam", "bob"}}


def test_the_query_count_does_not_grow_with_objects_or_same_company_colleagues(
    world: World, staff: Staff
) -> None:
    def count() -> int:
        ids = list(Employment.objects.filter(project=world.p1).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            recipients_by_object(perm=Perm.ATTENDANCE_VIEW, model=Employment, ids=ids, roles=WORKER_ROLES)
        return len(queries)

    before = count()
    for n in range(15):
        employ(make_worker(), world.gc_p1, team=world.team_a)
        make_user(f"pm{n}", Role.PROJECT_MANAGER, ScopeKind.COMPANY, company=world.company_a)
    assert count() == before
