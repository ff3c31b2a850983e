"""Reads: the certificate facts admission decides on (in bulk), and the scoped lists the pages and API show.

Scope: a certificate belongs to a person, not a project, so it is seen by whoever may see that worker
(``restrict`` over ``workers.Worker`` with the permission asked) — the same rule as the worker's record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.admission.facts import CertificateFact, CertificateState, EmploymentKey
from realname.certificates import rules
from realname.certificates.models import (
    Certificate,
    CertificateType,
    TradeRule,
    VerificationStatus,
)
from realname.orgs.models import Project
from realname.workers.models import Employment, EmploymentStatus, Worker

# --- facts for admission -----------------------------------------------------------------------------------


class _AnyOf(Func):
    """``column = ANY(%s::bigint[])`` with the ids as one array parameter (PostgreSQL): an IN list of 10,000
    ids costs the driver more time to splice than the query takes to run. The cast matters: psycopg sends
    small ids as smallint[], and PostgreSQL cannot hash a bigint = smallint comparison, so it would compare
    every row with every id."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s::bigint[]))"
    output_field = BooleanField()


def _id_in(qs: QuerySet[Any], column: str, ids: set[int]) -> QuerySet[Any]:
    if connection.vendor == "postgresql":
        return qs.filter(_AnyOf(F(column), Value(sorted(ids))))
    return qs.filter(**{f"{column}__in": ids})


def _requirement_label(label: str, type_names: list[str]) -> str:
    return label or " 或 ".join(type_names)


def certificate_facts(
    employments: Sequence[EmploymentKey], at: dt.datetime
) -> dict[int, list[CertificateFact]]:
    """Per employment pk: one fact per certificate requirement of its trade at ``at`` (the project's rules
    for that trade if it has any, else the platform's), with the best certificate held for it.

    Four queries whatever the number of employments: rules with their types, project time zones, the
    certificates of those workers and types. Dates are compared in each project's time zone."""
    if not employments:
        return {}
    trades = {e.trade for e in employments}
    project_ids = {e.project_id for e in employments}
    rule_rows = list(
        TradeRule.types.through.objects.filter(traderule__trade__in=trades)
        .filter(Q(traderule__project__isnull=True) | Q(traderule__project_id__in=project_ids))
        .order_by("traderule__trade", "traderule_id", "certificatetype__code")
        .values_list(
            "traderule_id",
            "traderule__trade",
            "traderule__project_id",
            "traderule__label",
            "certificatetype_id",
            "certificatetype__name",
            "certificatetype__regime",
        )
    )
    if not rule_rows:
        return {e.pk: [] for e in employments}
    # (project id or None, trade) → rule id → (label, [type ids], [type names])
    requirements: dict[tuple[int | None, str], dict[int, tuple[str, list[int], list[str]]]] = defaultdict(
        dict
    )
    regime_names = dict(CertificateType._meta.get_field("regime").flatchoices)
    for rule_id, trade, project_id, label, type_id, type_name, regime in rule_rows:
        entry = requirements[(project_id, trade)].setdefault(rule_id, (label, [], []))
        entry[1].append(type_id)
        entry[2].append(f"{type_name}（{regime_names.get(regime, regime)}）")
    zones = {
        pk: ZoneInfo(tz)
        for pk, tz in Project.objects.filter(pk__in=project_ids).values_list("pk", "time_zone")
    }
    needed_types = {type_id for row in rule_rows for type_id in [row[4]]}
    wanted_workers = {e.worker_id for e in employments}
    held: dict[tuple[int, int], list[rules.Held]] = defaultdict(list)
    for pk, worker_id, type_id, number, status, expires_on, next_review_on in (
        _id_in(Certificate.objects.filter(type_id__in=needed_types), "worker_id", wanted_workers)
        .exclude(verification_status=VerificationStatus.REJECTED)
        .values_list(
            "pk",
            "worker_id",
            "type_id",
            "number_masked",
            "verification_status",
            "expires_on",
            "next_review_on",
        )
        .order_by()
    ):
        held[(worker_id, type_id)].append(
            rules.Held(pk, number, status == VerificationStatus.VERIFIED, expires_on, next_review_on)
        )
    days = {pk: at.astimezone(zone).date() for pk, zone in zones.items()}
    facts: dict[int, list[CertificateFact]] = {}
    for e in employments:
        rule_set = requirements.get((e.project_id, e.trade)) or requirements.get((None, e.trade))
        if not rule_set:
            facts[e.pk] = []
            continue
        today = days.get(e.project_id) or at.date()
        found: list[CertificateFact] = []
        for label, type_ids, type_names in rule_set.values():
            candidates = [h for type_id in type_ids for h in held.get((e.worker_id, type_id), ())]
            chosen = rules.best(candidates, today) if candidates else None
            requirement = _requirement_label(label, type_names)
            if chosen is None:
                found.append(CertificateFact(requirement=requirement, state=CertificateState.MISSING))
                continue
            certificate, state = chosen
            found.append(
                CertificateFact(
                    requirement=requirement,
                    state=state,
                    certificate_id=certificate.certificate_id,
                    number=certificate.number,
                    expires_on=certificate.expires_on,
                    next_review_on=certificate.next_review_on,
                )
            )
        facts[e.pk] = found
    return facts


# --- scoped reads ------------------------------------------------------------------------------------------


def visible_workers(user: Any, perm: str = Perm.WORKERS_VIEW) -> QuerySet[Worker]:
    return restrict(Worker.objects.all(), user, perm)


def certificates_for(user: Any, perm: str = Perm.WORKERS_VIEW) -> QuerySet[Certificate]:
    """The certificates of the workers ``user`` may ``perm``."""
    return Certificate.objects.filter(worker__in=visible_workers(user, perm).values("pk"))


def with_details(qs: QuerySet[Certificate]) -> QuerySet[Certificate]:
    return qs.select_related("worker", "type", "verified_by").order_by(
        "worker__name", "worker_id", "type__code", "-expires_on", "id"
    )


def list_certificates(
    user: Any,
    *,
    worker: Worker | None = None,
    project: Project | None = None,
    expiring_within: int | None = None,
    today: dt.date | None = None,
) -> QuerySet[Certificate]:
    """Certificates the user may see; narrowed to a worker, to the workers active on a project (whom the
    user may see there), or to those whose expiry or next review falls within ``expiring_within`` days
    (already expired or overdue included)."""
    qs = certificates_for(user)
    if worker is not None:
        qs = qs.filter(worker=worker)
    if project is not None:
        on_project = restrict(
            Employment.objects.filter(project=project, status=EmploymentStatus.ACTIVE),
            user,
            Perm.WORKERS_VIEW,
        )
        qs = qs.filter(worker__in=on_project.values("worker_id"))
    if expiring_within is not None:
        horizon = (today or timezone.localdate()) + dt.timedelta(days=expiring_within)
        qs = qs.filter(Q(expires_on__lte=horizon) | Q(next_review_on__lte=horizon)).exclude(
            verification_status=VerificationStatus.REJECTED
        )
    return with_details(qs)


def project_today(project: Project, at: dt.datetime) -> dt.date:
    return at.astimezone(ZoneInfo(project.time_zone)).date()


def visible_rules(user: Any, perm: str = Perm.ADMISSION_VIEW) -> QuerySet[TradeRule]:
    """Platform-wide rules, and the project rules of projects ``user`` may ``perm``."""
    projects = restrict(Project.objects.all(), user, perm)
    return (
        TradeRule.objects.filter(Q(project__isnull=True) | Q(project__in=projects.values("pk")))
        .select_related("project")
        .prefetch_related("types")
        .order_by("trade", "project__code", "id")
    )


def rule_projects(user: Any) -> QuerySet[Project]:
    """The projects whose certificate rules ``user`` may create, change or delete: a project's rule replaces
    the platform's for every worker of the trade there, whoever employs them, so it takes project-wide
    authority (general contractor, owner, supervisor; platform) with ``ADMISSION_POLICY`` — a
    subcontractor may read the rules, not change them (the same rule as training plans)."""
    from realname.attendance.setup import wide_projects

    return wide_projects(user, Perm.ADMISSION_POLICY)


def changeable_rules(user: Any) -> QuerySet[TradeRule]:
    """Rules the user may edit: platform rules need platform scope (``ADMISSION_POLICY`` everywhere),
    project rules project-wide ``ADMISSION_POLICY`` on that project (:func:`rule_projects`)."""
    from realname.accounts.scope import is_platform

    q = Q(project__in=rule_projects(user).values("pk"))
    if is_platform(user, Perm.ADMISSION_POLICY):
        q |= Q(project__isnull=True)
    return TradeRule.objects.filter(q)


def _types_by_rule(trades: set[str], project_ids: set[int]) -> dict[tuple[int | None, str], set[int]]:
    """(project id or None, trade) → the ids of the types any of its rules accepts (one query)."""
    found: dict[tuple[int | None, str], set[int]] = defaultdict(set)
    for trade, project_id, type_id in (
        TradeRule.types.through.objects.filter(traderule__trade__in=trades)
        .filter(Q(traderule__project__isnull=True) | Q(traderule__project_id__in=project_ids))
        .values_list("traderule__trade", "traderule__project_id", "certificatetype_id")
    ):
        found[(project_id, trade)].add(type_id)
    return found


def requirement_types(trade: str, project: Project | None) -> list[CertificateType]:
    """The certificate types that would satisfy ``trade`` on ``project`` (for the add form's hints): the
    project's own rules for the trade if it has any, else the platform's."""
    rules = _types_by_rule({trade}, {project.pk} if project is not None else set())
    chosen = (project is not None and rules.get((project.pk, trade))) or rules.get((None, trade), set())
    return list(CertificateType.objects.filter(pk__in=chosen).order_by("code")) if chosen else []


def required_for_worker(worker: Worker) -> list[tuple[Employment, list[CertificateType]]]:
    """The worker's active employments whose trade needs a certificate, with the types that satisfy it
    (a hint on the add form). Three queries whatever the number of employments."""
    employments = list(
        worker.employments.filter(status=EmploymentStatus.ACTIVE)
        .select_related("project")
        .order_by("project__code", "id")
    )
    if not employments:
        return []
    rules = _types_by_rule({e.trade for e in employments}, {e.project_id for e in employments})
    accepted = {
        e.pk: rules.get((e.project_id, e.trade)) or rules.get((None, e.trade), set()) for e in employments
    }
    wanted = set().union(*accepted.values())
    types = {t.pk: t for t in CertificateType.objects.filter(pk__in=wanted)} if wanted else {}
    found = []
    for employment in employments:
        chosen = sorted((types[pk] for pk in accepted[employment.pk]), key=lambda t: t.code)
        if chosen:
            found.append((employment, chosen))
    return found
