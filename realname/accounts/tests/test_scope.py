from __future__ import annotations

import pytest

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.orgs.models import Company, Participant, Project, Team
from realname.testing import World
from realname.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db


def names(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(getattr(o, "name", None) or getattr(o, "code", None) or o) for o in qs}


def test_the_general_contractor_sees_every_participants_workers_on_its_project(world: World) -> None:
    workers = restrict(Worker.objects.all(), world.alice, Perm.WORKERS_VIEW)
    assert names(workers) == {"张甲", "李乙"}


def test_a_subcontractor_sees_only_its_own_people(world: World) -> None:
    workers = restrict(Worker.objects.all(), world.bob, Perm.WORKERS_VIEW)
    assert names(workers) == {"李乙"}
    teams = restrict(Team.objects.all(), world.bob, Perm.ORGS_VIEW)
    assert names(teams) == {"乙木工班"}
    # the project itself and its participants are visible to every participant
    assert names(restrict(Project.objects.all(), world.bob, Perm.ORGS_VIEW)) == {"项目P1"}
    assert restrict(Participant.objects.all(), world.bob, Perm.ORGS_VIEW).count() == 2


def test_charlie_sees_nothing_of_the_other_company(world: World) -> None:
    for model in (Project, Participant, Team, Employment, Worker):
        visible = restrict(
            model.objects.all(),
            world.charlie,
            Perm.WORKERS_VIEW if model in (Employment, Worker) else Perm.ORGS_VIEW,
        )
        assert all(getattr(o, "project_id", None) in (None, world.p2.pk) for o in visible)
    assert names(restrict(Worker.objects.all(), world.charlie, Perm.WORKERS_VIEW)) == {"王丙"}
    assert names(restrict(Company.objects.all(), world.charlie, Perm.ORGS_VIEW)) == {"丙工程有限公司"}


def test_a_regulator_sees_its_region_and_may_change_nothing(world: World) -> None:
    assert names(restrict(Project.objects.all(), world.reggie, Perm.ORGS_VIEW)) == {"项目P1"}
    assert names(restrict(Worker.objects.all(), world.reggie, Perm.WORKERS_VIEW)) == {"张甲", "李乙"}
    assert not restrict(Worker.objects.all(), world.reggie, Perm.WORKERS_CHANGE).exists()
    assert not restrict(Project.objects.all(), world.reggie, Perm.ORGS_CHANGE).exists()


def test_a_worker_sees_only_themself(world: World) -> None:
    assert names(restrict(Worker.objects.all(), world.wendy, Perm.WORKERS_VIEW)) == {"张甲"}
    assert restrict(Employment.objects.all(), world.wendy, Perm.WORKERS_VIEW).count() == 1
    assert not restrict(Worker.objects.all(), world.wendy, Perm.REVEAL_ID).exists()


def test_the_platform_admin_sees_everything(world: World) -> None:
    assert restrict(Worker.objects.all(), world.admin, Perm.WORKERS_VIEW).count() == 3
