"""Small builders for tests: companies, projects, workers and the personas used everywhere.

Personas (after healthchecks): alice runs general contractor A on project P1; bob is labour manager of
subcontractor B on P1 (sees only B's people); charlie is admin of company C, which runs the unrelated
project P2 — charlie must see nothing of P1; reggie is a regulator for P1's region (read-only); wendy is
a worker on P1 who sees only herself.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from realname.accounts.models import Membership, ScopeKind, User
from realname.accounts.roles import Role
from realname.core import synthetic
from realname.orgs import services as org_services
from realname.orgs.models import Company, Participant, Project, Team
from realname.workers import services as worker_services
from realname.workers.models import Employment, Worker

PASSWORD = "Realname-test-2026"
_rng = random.Random(20261125)


def rng() -> random.Random:
    return _rng


def make_company(name: str, region: str = "110105", **fields: Any) -> Company:
    return org_services.create_company(
        name=name, credit_code=synthetic.credit_code(_rng, region=region), **fields
    )


def make_project(code: str, gc: Company, region_code: str = "110105", **fields: Any) -> Project:
    fields.setdefault("category", "01")
    fields.setdefault("start_date", dt.date(2026, 1, 1))
    return org_services.create_project(
        code=code, name=f"项目{code}", general_contractor=gc, region_code=region_code, **fields
    )


def new_id_number(*, age: int = 35, sex: str = "M") -> str:
    birth = synthetic.birth_date_for_age(_rng, age_min=age, age_max=age, today=dt.date(2026, 11, 25))
    return synthetic.id_number(_rng, birth_date=birth, sex=sex)


def make_worker(name: str = "", *, id_number: str = "", **fields: Any) -> Worker:
    sex = fields.pop("sex", "M")
    number = id_number or new_id_number(sex=sex)
    return worker_services.register_worker(
        name=name or synthetic.person_name(_rng, sex), id_number=number, **fields
    ).worker


def employ(
    worker: Worker,
    participant: Participant,
    *,
    team: Team | None = None,
    trade: str = "010",
    entry_date: dt.date = dt.date(2026, 3, 1),
) -> Employment:
    return worker_services.register_entry(
        worker=worker,
        project=participant.project,
        participant=participant,
        team=team,
        trade=trade,
        entry_date=entry_date,
    ).employment


def make_user(
    username: str,
    role: str,
    scope_kind: str,
    *,
    company: Company | None = None,
    projects: list[Project] | None = None,
    region_prefix: str = "",
) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    membership = Membership.objects.create(
        user=user, role=role, scope_kind=scope_kind, company=company, region_prefix=region_prefix
    )
    if projects:
        membership.projects.set(projects)
    return user


@dataclass
class World:
    company_a: Company
    company_b: Company
    company_c: Company
    p1: Project
    p2: Project
    gc_p1: Participant
    sub_b: Participant
    gc_p2: Participant
    team_a: Team
    team_b: Team
    team_c: Team
    worker_a: Worker
    worker_b: Worker
    worker_c: Worker
    alice: User
    bob: User
    charlie: User
    reggie: User
    wendy: User
    admin: User


def build_world() -> World:
    company_a = make_company("甲建设集团有限公司", region="110105")
    company_b = make_company("乙劳务有限公司", region="110105")
    company_c = make_company("丙工程有限公司", region="440103")
    p1 = make_project("P1", company_a, region_code="110105")
    p2 = make_project("P2", company_c, region_code="440103")
    gc_p1 = Participant.objects.get(project=p1, role="009")
    gc_p2 = Participant.objects.get(project=p2, role="009")
    sub_b = org_services.add_participant(project=p1, company=company_b, role="006")
    team_a = org_services.create_team(participant=gc_p1, name="甲钢筋班")
    team_b = org_services.create_team(participant=sub_b, name="乙木工班")
    team_c = org_services.create_team(participant=gc_p2, name="丙混凝土班")
    worker_a = make_worker("张甲", registered_by_company=company_a)
    worker_b = make_worker("李乙", registered_by_company=company_b)
    worker_c = make_worker("王丙", registered_by_company=company_c)
    for worker, participant, team in (
        (worker_a, gc_p1, team_a),
        (worker_b, sub_b, team_b),
        (worker_c, gc_p2, team_c),
    ):
        employment = employ(worker, participant, team=team)
        worker_services.create_contract(
            employment=employment,
            pay_type="daily",
            daily_rate=Decimal("380.00"),
            period_type="0",
            start_date=employment.entry_date,
            end_date=dt.date(2027, 12, 31),
        )
    alice = make_user("alice", Role.COMPANY_ADMIN, ScopeKind.COMPANY, company=company_a)
    bob = make_user("bob", Role.LABOUR_MANAGER, ScopeKind.COMPANY, company=company_b)
    charlie = make_user("charlie", Role.COMPANY_ADMIN, ScopeKind.COMPANY, company=company_c)
    reggie = make_user("reggie", Role.REGULATOR, ScopeKind.REGION, region_prefix="1101")
    wendy = make_user("wendy", Role.WORKER, ScopeKind.SELF)
    worker_a.user = wendy
    worker_a.save(update_fields=["user"])
    admin = User.objects.create_superuser("admin", password=PASSWORD)
    Membership.objects.create(user=admin, role=Role.PLATFORM_ADMIN, scope_kind=ScopeKind.PLATFORM)
    return World(
        company_a,
        company_b,
        company_c,
        p1,
        p2,
        gc_p1,
        sub_b,
        gc_p2,
        team_a,
        team_b,
        team_c,
        worker_a,
        worker_b,
        worker_c,
        alice,
        bob,
        charlie,
        reggie,
        wendy,
        admin,
    )
