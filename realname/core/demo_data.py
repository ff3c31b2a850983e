"""The demo installation: companies, two projects, teams, N synthetic workers, contracts, a login per role.

Deterministic (fixed seed) and idempotent: running it again finds everything in place and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from realname.accounts.models import Membership, ScopeKind, User
from realname.accounts.roles import Role
from realname.attendance import services as attendance_services
from realname.attendance.demo import seed_attendance
from realname.attendance.models import Device, DeviceIdentity, DeviceKind, PersonRefKind
from realname.attendance.warnings import run_warnings
from realname.core import synthetic
from realname.core.context import acting_as
from realname.orgs import services as org_services
from realname.orgs.models import Company, Participant, Project, Section, Team
from realname.workers import services as worker_services
from realname.workers.models import Contract, Employment, Worker

DEMO_PASSWORD = "realname-demo"  # noqa: S105 - published demo password, printed by `manage.py demo`
TODAY = dt.date(2026, 11, 1)

COMPANIES = [
    # key, name, credit-code region, participant role on DEMO-1, on DEMO-2
    ("owner", "上海城市建设投资发展有限公司", "310104", "008", "008"),
    ("gc", "华东建工集团有限公司", "310104", "009", "009"),
    ("mep", "申城机电安装工程有限公司", "310110", "001", None),
    ("steel", "江南钢结构工程有限公司", "320102", "001", "001"),
    ("facade", "明光幕墙装饰工程有限公司", "330102", None, "001"),
    ("labour", "豫鑫建筑劳务有限公司", "410102", "006", "006"),
    ("supervisor", "沪信工程监理咨询有限公司", "310104", "007", "007"),
]

PROJECTS = [
    {
        "code": "DEMO-1",
        "name": "徐汇滨江综合开发项目一期",
        "category": "01",
        "region_code": "310104",
        "address": "上海市徐汇区龙腾大道 2000 号",
        "fence_lat": Decimal("31.180000"),
        "fence_lng": Decimal("121.460000"),
        "fence_radius_m": 400,
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2028, 6, 30),
        "wage_bank_code": "102",
        "wage_bank_branch": "中国工商银行上海徐汇支行",
        "wage_account_name": "华东建工集团有限公司徐汇滨江综合开发项目一期农民工工资专用账户",
        "wage_account_number": "1001234509000012345",
        "sections": [("BD1", "一标段（地下结构）"), ("BD2", "二标段（主体结构）")],
    },
    {
        "code": "DEMO-2",
        "name": "轨道交通 18 号线某站土建工程",
        "category": "02",
        "region_code": "310110",
        "address": "上海市杨浦区国权路 100 号",
        "fence_polygon": [[31.2960, 121.5030], [31.2975, 121.5060], [31.2950, 121.5080], [31.2940, 121.5045]],
        "start_date": dt.date(2026, 5, 10),
        "end_date": dt.date(2029, 12, 31),
        "wage_bank_code": "105",
        "wage_bank_branch": "中国建设银行上海杨浦支行",
        "wage_account_name": "华东建工集团有限公司轨道交通18号线某站土建工程农民工工资专用账户",
        "wage_account_number": "31050161360000001234",
        "sections": [("TJ1", "车站主体"), ("TJ2", "出入口及风亭")],
    },
]

# team name, trade code, participant key
TEAMS = {
    "DEMO-1": [
        ("钢筋一班", "020", "labour"),
        ("木工一班", "240", "labour"),
        ("混凝土班", "040", "labour"),
        ("架子工班", "030", "labour"),
        ("机电安装班", "100", "mep"),
        ("钢结构班", "270", "steel"),
        ("项目管理组", "900", "gc"),
    ],
    "DEMO-2": [
        ("钢筋二班", "020", "labour"),
        ("模板班", "050", "labour"),
        ("幕墙班", "210", "facade"),
        ("钢构吊装班", "180", "steel"),
        ("项目管理组", "900", "gc"),
    ],
}


PROVINCES = ["河南省", "四川省", "安徽省", "湖南省", "江西省"]


# serial, kind, name, the identifier kind its people are known by
DEVICES = [
    ("DEMOZK0001", DeviceKind.ZKTECO, "东大门考勤机 (ZKTeco)", PersonRefKind.PIN),
    ("DEMOHIK0001", DeviceKind.HIKVISION, "南门人脸终端 (Hikvision)", PersonRefKind.EMPLOYEE_NO),
]
# PINs / employeeNos 1…N are the first N demo workers of DEMO-1: all of them, up to this many, so that the
# seeded weeks of attendance cover the whole site (a worker the gate does not know is absent every day).
DEVICE_PEOPLE = 1000


@dataclass
class DemoDevice:
    """A demo gate device and what an operator needs to point the real terminal at this server."""

    serial: str
    kind: str
    name: str
    secret: str  # the Hikvision push URL's path segment: print it to the operator, never log it
    identities: int


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role label, scope
    workers: int = 0
    created_workers: int = 0
    devices: list[DemoDevice] = field(default_factory=list)
    punches: int = 0  # demo gate punches of the last 30 days (new ones on this run: new_punches)
    new_punches: int = 0
    notifications: int = 0
    admission: list[tuple[str, int, int]] = field(default_factory=list)  # project, allowed, refused


def _company(seed: int, name: str, region: str, registered_by: Company | None = None) -> Company:
    found = Company.objects.filter(name=name).first()
    if found is not None:
        return found
    rng = random.Random(f"{seed}-company-{name}")
    return org_services.create_company(
        name=name,
        credit_code=synthetic.credit_code(rng, region=region),
        registration_type="159",
        region_code=region,
        registered_by=registered_by,
    )


def _login(
    username: str,
    display: str,
    role: str,
    scope: str,
    *,
    company: Company | None = None,
    projects: list[Project] | None = None,
    region: str = "",
    superuser: bool = False,
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        if superuser:
            user = User.objects.create_superuser(username, password=DEMO_PASSWORD, display_name=display)
        else:
            user = User.objects.create_user(username, password=DEMO_PASSWORD, display_name=display)
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, scope_kind=scope, company=company, region_prefix=region
    )
    if created and projects:
        membership.projects.set(projects)
    return user


@transaction.atomic
def build_demo(*, workers: int = 600, seed: int = 2026) -> DemoResult:
    result = DemoResult()
    with acting_as(None, via="command"):
        companies: dict[str, Company] = {}
        for key, name, region, _r1, _r2 in COMPANIES:
            companies[key] = _company(seed, name, region, registered_by=companies.get("gc"))
        projects: dict[str, Project] = {}
        for index, spec in enumerate(PROJECTS):
            spec = dict(spec)
            sections: list[tuple[str, str]] = spec.pop("sections")  # type: ignore[assignment]
            project = Project.objects.filter(code=spec["code"]).first()
            if project is None:
                project = org_services.create_project(general_contractor=companies["gc"], **spec)  # type: ignore[arg-type]
            projects[project.code] = project
            for code, name in sections:
                if not Section.objects.filter(project=project, code=code).exists():
                    org_services.add_section(project=project, code=code, name=name)
            for key, _name, _region, *roles in COMPANIES:
                role = roles[index]
                if (
                    role
                    and role != "009"
                    and not Participant.objects.filter(project=project, company=companies[key]).exists()
                ):
                    org_services.add_participant(
                        project=project, company=companies[key], role=role, entry_date=project.start_date
                    )
        teams: dict[tuple[str, str], tuple[Team, str]] = {}
        for code, team_specs in TEAMS.items():
            project = projects[code]
            for team_name, trade, key in team_specs:
                participant = Participant.objects.get(project=project, company=companies[key])
                team = Team.objects.filter(project=project, name=team_name).first()
                if team is None:
                    team = org_services.create_team(
                        participant=participant, name=team_name, entry_date=project.start_date
                    )
                teams[(code, team_name)] = (team, trade)
        team_keys = list(teams)
        leaders: dict[int, Worker] = {}
        for number in range(workers):
            # One generator per worker, so a second run regenerates exactly the same people.
            rng = random.Random(f"{seed}-worker-{number}")
            sex = "M" if rng.random() < 0.88 else "F"
            age_max = 59 if sex == "M" else 49
            birth = synthetic.birth_date_for_age(rng, age_min=18, age_max=age_max, today=TODAY)
            id_number = synthetic.id_number(rng, birth_date=birth, sex=sex)
            bank_code, bank_name, card = synthetic.bank_card(rng)
            name = synthetic.person_name(rng, sex)
            phone = synthetic.mobile(rng)
            project_code, team_name = team_keys[number % len(team_keys)]
            team, trade = teams[(project_code, team_name)]
            start = projects[project_code].start_date or TODAY
            entry = start + dt.timedelta(days=rng.randrange(0, 200))
            registration = worker_services.register_worker(
                name=name,
                id_number=id_number,
                phone=phone,
                ethnicity="01" if rng.random() < 0.9 else rng.choice(["03", "04", "06", "08", "15"]),
                education=rng.choice(["01", "02", "02", "02", "03", "04"]),
                politics="13",
                marital_status=rng.choice(["01", "02", "02", "02"]),
                address=f"{rng.choice(PROVINCES)}某县某镇某村{rng.randrange(1, 99)}号",
                issuing_authority="某县公安局",
                emergency_contact_name=synthetic.person_name(rng, "F" if sex == "M" else "M"),
                emergency_contact_phone=synthetic.mobile(rng),
                bank_card=card,
                bank_code=bank_code,
                bank_name=bank_name,
                registered_by_company=team.participant.company,
            )
            worker = registration.worker
            result.created_workers += int(registration.created)
            employment = Employment.objects.filter(
                worker=worker, project=team.project, status="active"
            ).first()
            if employment is None:
                employment = worker_services.register_entry(
                    worker=worker,
                    project=team.project,
                    participant=team.participant,
                    team=team,
                    trade=trade,
                    role="10" if trade == "900" else "20",
                    entry_date=entry,
                ).employment
            if not Contract.objects.filter(employment=employment).exists():
                pay = rng.choice(["daily", "daily", "daily", "monthly", "piece"])
                all_terms: dict[str, dict[str, Any]] = {
                    "daily": {"daily_rate": Decimal(rng.choice([300, 350, 380, 420, 450]))},
                    "monthly": {"monthly_salary": Decimal(rng.choice([6500, 7500, 8800, 12000]))},
                    "piece": {"piece_unit": "81", "piece_unit_price": Decimal("38.50")},
                }
                terms = all_terms[pay]
                worker_services.create_contract(
                    employment=employment,
                    pay_type=pay,
                    period_type="1" if pay == "piece" else "0",
                    start_date=employment.entry_date,
                    end_date=None if pay == "piece" else projects[project_code].end_date,
                    pay_day=15,
                    signed_on=employment.entry_date,
                    **terms,
                )
            if team.pk not in leaders and trade != "900":
                leaders[team.pk] = worker
                if team.leader_id is None:
                    org_services.update_team(team=team, leader=worker)
        result.workers = Worker.objects.count()

        demo1, demo2 = projects["DEMO-1"], projects["DEMO-2"]
        result.devices = _devices(demo1)
        first_team = Team.objects.get(project=demo1, name="钢筋一班")
        logins = [
            ("admin", "平台管理员", Role.PLATFORM_ADMIN, ScopeKind.PLATFORM, {}, "全平台", True),
            (
                "gc_admin",
                "总包企业管理员",
                Role.COMPANY_ADMIN,
                ScopeKind.COMPANY,
                {"company": companies["gc"]},
                "华东建工",
                False,
            ),
            (
                "pm",
                "项目经理",
                Role.PROJECT_MANAGER,
                ScopeKind.PROJECTS,
                {"company": companies["gc"], "projects": [demo1]},
                "DEMO-1",
                False,
            ),
            (
                "labour",
                "劳务管理员",
                Role.LABOUR_MANAGER,
                ScopeKind.PROJECTS,
                {"company": companies["gc"], "projects": [demo1, demo2]},
                "DEMO-1, DEMO-2",
                False,
            ),
            (
                "sub_labour",
                "分包劳务员",
                Role.LABOUR_MANAGER,
                ScopeKind.COMPANY,
                {"company": companies["labour"]},
                "豫鑫劳务",
                False,
            ),
            (
                "team_leader",
                "班组长",
                Role.TEAM_LEADER,
                ScopeKind.COMPANY,
                {"company": companies["labour"]},
                "钢筋一班",
                False,
            ),
            (
                "finance",
                "财务",
                Role.FINANCE,
                ScopeKind.COMPANY,
                {"company": companies["gc"]},
                "华东建工",
                False,
            ),
            (
                "safety",
                "安全员",
                Role.SAFETY_OFFICER,
                ScopeKind.PROJECTS,
                {"company": companies["gc"], "projects": [demo1]},
                "DEMO-1",
                False,
            ),
            (
                "supervisor",
                "监理",
                Role.SUPERVISOR,
                ScopeKind.COMPANY,
                {"company": companies["supervisor"]},
                "沪信监理",
                False,
            ),
            (
                "owner",
                "建设单位",
                Role.COMPANY_ADMIN,
                ScopeKind.COMPANY,
                {"company": companies["owner"]},
                "上海城投",
                False,
            ),
            (
                "regulator",
                "住建局",
                Role.REGULATOR,
                ScopeKind.REGION,
                {"region": "3101"},
                "行政区划 3101",
                False,
            ),
            ("worker", "工人", Role.WORKER, ScopeKind.SELF, {}, "本人", False),
        ]
        for username, display, role, scope, extra, label, superuser in logins:
            user = _login(username, display, role, scope, superuser=superuser, **extra)  # type: ignore[arg-type]
            result.logins.append((username, str(Role(role).label), label))
            if (
                username == "team_leader"
                and first_team.leader is not None
                and first_team.leader.user_id is None
            ):
                Worker.objects.filter(pk=first_team.leader.pk).update(user=user)
            if username == "worker":
                member = (
                    Employment.objects.filter(team=first_team, status="active")
                    .exclude(worker=first_team.leader)
                    .select_related("worker")
                    .order_by("id")
                    .first()
                )
                if member is not None and member.worker.user_id is None and not hasattr(user, "worker"):
                    Worker.objects.filter(pk=member.worker.pk).update(user=user)
        # A month at the demo gate, then the warnings it gives (to the logins above).
        attendance = seed_attendance(seed=seed)
        result.punches, result.new_punches = attendance.punches, attendance.new
        result.notifications = run_warnings().notified.created
        result.admission = _seed_admission(list(projects.values()))
        from realname.payroll.demo import seed_payroll

        seed_payroll(demo1)
    return result


# Every this-many-th demo worker (by key) is left with an unchecked identity, so the demo shows refusals.
UNCHECKED_EVERY = 40
BLACKLIST_REASON = "多次违章动火作业，经安全教育后仍不改正"


def _seed_admission(projects: list[Project]) -> list[tuple[str, int, int]]:
    """Identities checked (but a few), the training plans and passes, the certificates, one blacklisting;
    then every employment decided and the gates' allow-lists queued. Returns (project, allowed, denied)."""
    with transaction.atomic():  # the rechecks these changes queue are worked off once, after the commit
        return _seed_admission_data(projects)


def _seed_admission_data(projects: list[Project]) -> list[tuple[str, int, int]]:
    from realname.admission import services as admission_services
    from realname.admission.models import AdmissionStatus, BlacklistEntry
    from realname.certificates.demo import seed_certificates
    from realname.training.demo import seed_training
    from realname.workers.models import IdentityCheck

    on_site = Employment.objects.filter(project__in=projects, status="active")
    for worker in Worker.objects.filter(pk__in=on_site.values("worker_id"), identity_checked_at__isnull=True):
        if worker.pk % UNCHECKED_EVERY != 7:
            worker_services.verify_identity(worker=worker, method=IdentityCheck.CARD_READER)
    for project in projects:
        seed_training(project)
        seed_certificates(project)
    first = projects[0]
    carpenter = (
        Employment.objects.filter(project=first, status="active", team__name="木工一班")
        .select_related("worker")
        .order_by("pk")
        .first()
    )
    if carpenter is not None and not BlacklistEntry.objects.filter(worker=carpenter.worker).exists():
        admission_services.add_to_blacklist(
            worker=carpenter.worker,
            level="project",
            project=first,
            reason=BLACKLIST_REASON,
            starts_on=TODAY - dt.timedelta(days=3),
        )
    counts = []
    for project in projects:
        admission_services.refresh(project)
        statuses = AdmissionStatus.objects.filter(project=project)
        counts.append(
            (project.code, statuses.filter(allowed=True).count(), statuses.filter(allowed=False).count())
        )
    return counts


def _devices(project: Project) -> list[DemoDevice]:
    """The demo gates of DEMO-1: identifier ``n`` (1…N) is the n-th demo worker on the project."""
    employments = list(
        Employment.objects.filter(project=project, status="active").order_by("id")[:DEVICE_PEOPLE]
    )
    devices: list[DemoDevice] = []
    for serial, kind, name, ref_kind in DEVICES:
        device = Device.objects.filter(serial=serial).first()
        if device is None:
            device = attendance_services.register_device(
                project=project, kind=kind, serial=serial, name=name, area="DEMO-1"
            )
        taken = set(
            DeviceIdentity.objects.filter(project=project, ref_kind=ref_kind).values_list("ref", flat=True)
        )
        for number, employment in enumerate(employments, start=1):
            if str(number) not in taken:
                attendance_services.map_person(
                    project=project, ref_kind=ref_kind, ref=str(number), employment=employment, device=device
                )
        count = DeviceIdentity.objects.filter(device=device).count()
        devices.append(DemoDevice(serial, kind, name, device.secret, count))
    return devices
