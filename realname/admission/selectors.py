"""Gathering the facts of admission decisions in bulk (a constant number of queries per project, whatever
its size) and the age policy in force for a project."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from realname.accounts.models import User
from realname.accounts.roles import Perm, Role, role_has
from realname.accounts.scope import is_platform, memberships, restrict
from realname.admission.models import AdmissionStatus, AgePolicy, BlacklistEntry, TradeRiskClass
from realname.admission.rules import (
    AgeRule,
    BlacklistFact,
    BlacklistLevel,
    Decision,
    EmploymentFacts,
    Facts,
    decide,
)
from realname.certificates.selectors import certificate_facts
from realname.orgs.models import Company, Project
from realname.training.selectors import training_facts
from realname.workers.models import Contract, Employment, EmploymentStatus, Worker


def age_policy(project: Project) -> list[AgePolicy]:
    """The policy lines in force on ``project``: its own if it has any, else the region's with the longest
    prefix of its region code, else the national lines."""
    own = list(AgePolicy.objects.filter(project=project))
    if own:
        return own
    regional = [
        line
        for line in AgePolicy.objects.filter(project__isnull=True)
        if project.region_code.startswith(line.region_prefix)
    ]
    longest = max((len(line.region_prefix) for line in regional), default=0)
    return [line for line in regional if len(line.region_prefix) == longest]


def _age_rules(policy: Sequence[AgePolicy], sex: str, risk: str) -> list[AgeRule]:
    """The lines that concern a worker of ``sex`` in ``risk`` work. With no sex recorded, the lines for one
    sex come flagged ``sex_specific`` (the decision then says the sex is missing)."""
    return [
        AgeRule(
            policy=line.name,
            min_age=line.min_age,
            max_age=line.max_age,
            sex_specific=bool(line.sex and not sex),
        )
        for line in policy
        if (not line.sex or not sex or line.sex == sex) and (not line.risk_class or line.risk_class == risk)
    ]


def risk_classes() -> dict[str, str]:
    return dict(TradeRiskClass.objects.values_list("trade", "risk_class"))


def decided_employments(project: Project) -> QuerySet[Employment]:
    """The employments whose admission a whole-project refresh decides: everyone on site, and anyone the
    devices were last told to let in (an exit, even one dated in the past, must reach the allow-list)."""
    allowed = AdmissionStatus.objects.filter(project=project, allowed=True).values("employment_id")
    return Employment.objects.filter(project=project).filter(
        Q(status=EmploymentStatus.ACTIVE) | Q(pk__in=allowed)
    )


@dataclass(frozen=True, slots=True)
class EmploymentRow:
    """The columns of an employment (and its worker) a decision reads — plain values, not model instances:
    a 10,000-worker project would otherwise spend most of its rebuild making objects."""

    pk: int
    public_id: UUID
    project_id: int
    worker_id: int
    company_id: int
    trade: str
    entry_date: dt.date
    exit_date: dt.date | None
    worker_name: str
    birth_date: dt.date | None
    sex: str
    identity_checked_at: dt.datetime | None


_ROW_COLUMNS = (
    "pk",
    "public_id",
    "project_id",
    "worker_id",
    "participant__company_id",
    "trade",
    "entry_date",
    "exit_date",
    "worker__name",
    "worker__birth_date",
    "worker__sex",
    "worker__identity_checked_at",
)


def _employments(qs: QuerySet[Employment]) -> list[EmploymentRow]:
    return [EmploymentRow(*values) for values in qs.values_list(*_ROW_COLUMNS)]


# Ids per "IN (…)" list: under SQLite's limit on parameters of one statement.
_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class Decided:
    employment: EmploymentRow
    decision: Decision


def decide_employments(
    project: Project, employments: Sequence[EmploymentRow], at: dt.datetime
) -> list[Decided]:
    """Decide each of ``employments`` (of ``project``; loaded with their worker) at ``at``."""
    if not employments:
        return []
    tz = ZoneInfo(project.time_zone)
    today = at.astimezone(tz).date()
    ids = [e.pk for e in employments]
    contracts: defaultdict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        signed = Contract.objects.filter(
            project=project, employment_id__in=ids[start : start + _CHUNK], signed_on__isnull=False
        ).values_list("employment_id", "start_date", "end_date")
        for employment_id, first, last in signed:
            contracts[employment_id].append((first, last))
    blacklist = _blacklist(project, employments, today)
    training = training_facts(employments, at)
    certificates = certificate_facts(employments, at)
    policy = age_policy(project)
    risks = risk_classes() if any(line.risk_class for line in policy) else {}
    rules_by_key: dict[tuple[str, str], list[AgeRule]] = {}
    decided = []
    for employment in employments:
        key = (employment.sex, risks.get(employment.trade, "normal"))
        rules = rules_by_key.get(key)
        if rules is None:
            rules = rules_by_key[key] = _age_rules(policy, *key)
        facts = Facts(
            registered=True,
            identity_verified=employment.identity_checked_at is not None,
            employment=EmploymentFacts(employment.entry_date, employment.exit_date),
            contracts=contracts.get(employment.pk, ()),
            training=training.get(employment.pk, ()),
            certificates=certificates.get(employment.pk, ()),
            blacklist=blacklist.get((employment.worker_id, employment.company_id), ()),
            birth_date=employment.birth_date,
            age_rules=rules,
        )
        decided.append(Decided(employment, decide(facts, at, tz)))
    return decided


def _blacklist(
    project: Project, employments: Sequence[EmploymentRow], today: dt.date
) -> dict[tuple[int, int], list[BlacklistFact]]:
    """(worker pk, employing company pk) → the entries that bar them on this project, now or later."""
    companies = {e.company_id for e in employments}
    entries = BlacklistEntry.objects.filter(
        Q(level=BlacklistLevel.PLATFORM)
        | Q(level=BlacklistLevel.COMPANY, company_id__in=companies)
        | Q(level=BlacklistLevel.PROJECT, project=project),
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        removed_at__isnull=True,
        worker_id__in=Employment.objects.filter(project=project).values("worker_id"),
    ).values_list("worker_id", "level", "company_id", "reason", "starts_on", "ends_on")
    by_worker: defaultdict[int, list[tuple[str, int | None, BlacklistFact]]] = defaultdict(list)
    for worker_id, level, company_id, reason, starts_on, ends_on in entries:
        by_worker[worker_id].append(
            (level, company_id, BlacklistFact(BlacklistLevel(level), reason, starts_on, ends_on))
        )
    found: dict[tuple[int, int], list[BlacklistFact]] = {}
    for e in employments:
        hits = [
            fact
            for level, company_id, fact in by_worker.get(e.worker_id, ())
            if level != BlacklistLevel.COMPANY or company_id == e.company_id
        ]
        if hits:
            found[(e.worker_id, e.company_id)] = hits
    return found


def decide_project(
    project: Project, at: dt.datetime, *, employment_ids: Iterable[int] | None = None
) -> list[Decided]:
    """Decide the project's employments (all that a refresh decides, or just ``employment_ids``)."""
    qs = (
        decided_employments(project)
        if employment_ids is None
        else Employment.objects.filter(project=project, pk__in=list(employment_ids))
    )
    return decide_employments(project, _employments(qs.order_by("pk")), at)


def decide_worker(project: Project, worker: Worker, at: dt.datetime) -> Decision:
    """The decision for a worker at the gate of ``project`` — whether or not they work there: their current
    employment if any, else their latest one on the project, else none (then "no employment" is a reason,
    beside whatever else bars them)."""
    employments = _employments(
        Employment.objects.filter(project=project, worker=worker).order_by("status", "-entry_date", "-pk")
    )  # "active" sorts before "exited"
    if employments:
        return decide_employments(project, employments[:1], at)[0].decision
    tz = ZoneInfo(project.time_zone)
    today = at.astimezone(tz).date()
    entries = BlacklistEntry.objects.filter(
        Q(level=BlacklistLevel.PLATFORM) | Q(level=BlacklistLevel.PROJECT, project=project),
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        removed_at__isnull=True,
        worker=worker,
    )
    facts = Facts(
        registered=True,
        identity_verified=worker.identity_checked_at is not None,
        employment=None,
        blacklist=[BlacklistFact(BlacklistLevel(b.level), b.reason, b.starts_on, b.ends_on) for b in entries],
        birth_date=worker.birth_date,
        age_rules=_age_rules(age_policy(project), worker.sex, "normal"),
    )
    return decide(facts, at, tz)


# --- the blacklist: who sees and who manages which entries ----------------------------------------------


def visible_blacklist(user: User | Any) -> QuerySet[BlacklistEntry]:
    """Entries about workers the user may see admission of (removed ones included: the history) that are
    the user's business: platform-wide ones, their own companies' and those of projects in their scope —
    not another company's internal list, nor another project's."""
    workers = restrict(Worker.objects.all(), user, Perm.ADMISSION_VIEW).values("pk")
    entries = BlacklistEntry.objects.filter(worker__in=workers)
    if not is_platform(user, Perm.ADMISSION_VIEW):
        own = {m.company_id for m in memberships(user) if m.company_id is not None}
        projects = restrict(Project.objects.all(), user, Perm.ADMISSION_VIEW).values("pk")
        entries = entries.filter(
            Q(level=BlacklistLevel.PLATFORM)
            | Q(level=BlacklistLevel.COMPANY, company_id__in=own)
            | Q(level=BlacklistLevel.PROJECT, project__in=projects)
        )
    return entries.select_related("worker", "company", "project", "created_by", "removed_by").order_by(
        "-starts_on", "-pk"
    )


def managing_companies(user: User | Any) -> set[int]:
    return {
        m.company_id
        for m in memberships(user)
        if m.company_id is not None and role_has(m.role, Perm.BLACKLIST_MANAGE) and m.role != Role.WORKER
    }


def blacklist_level_error(
    user: User | Any, level: str, company: Company | None, project: Project | None
) -> str:
    """Why the user may not put someone on the blacklist at this level ("" when they may): a platform-wide
    entry needs platform scope; a company-wide one a membership of that company; a project one the project
    in the user's scope (the caller has looked the project up through restrict already)."""
    if is_platform(user, Perm.BLACKLIST_MANAGE):
        return ""
    if level == BlacklistLevel.PLATFORM:
        return "只有平台管理员可以设置平台黑名单"
    if level == BlacklistLevel.COMPANY and (company is None or company.pk not in managing_companies(user)):
        return "只能为本企业设置企业黑名单"
    if level == BlacklistLevel.PROJECT and project is None:
        return "项目黑名单须指定项目"
    return ""


def may_manage_entry(user: User | Any, entry: BlacklistEntry) -> bool:
    """Whether ``user`` may take ``entry`` off: platform and company entries as for putting one on; a
    project entry by whoever made it, or by someone with site-wide authority on the project (a
    subcontractor's manager cannot lift the general contractor's blacklisting)."""
    if entry.level == BlacklistLevel.PROJECT:
        if entry.project_id is None:
            return False
        if entry.created_by_id is not None and entry.created_by_id == getattr(user, "pk", None):
            return True
        from realname.attendance.setup import wide_projects

        return wide_projects(user, Perm.BLACKLIST_MANAGE).filter(pk=entry.project_id).exists()
    return not blacklist_level_error(user, entry.level, entry.company, entry.project)
