"""Demo certificates: the project's active workers in trades that need a certificate (电工, 架子工, 电焊工,
and any other trade with a platform rule) get one of the first type their rule accepts — most verified and
in date, a few expiring within 30 days, one expired, one not yet verified — so the worker pages, the
expiring list, the warnings and the admission decisions have something to show.

Idempotent: a worker who already holds a certificate of a type their trade accepts is left alone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from realname.certificates import rules, selectors, services
from realname.certificates.models import Certificate, CertificateType, Regime, TradeRule, VerificationStatus
from realname.orgs.models import Project
from realname.workers.models import Employment, EmploymentStatus

AUTHORITIES = {
    "housing": "上海市住房和城乡建设管理委员会",
    "emergency": "上海市应急管理局",
    "market": "上海市市场监督管理局",
}
EXPIRING_IN_DAYS = (6, 13, 24)  # the few that expire within 30 days


def _type_for(trade: str, project: Project) -> CertificateType | None:
    rule = (
        TradeRule.objects.filter(trade=trade, project=project).first()
        or TradeRule.objects.filter(trade=trade, project__isnull=True).order_by("pk").first()
    )
    if rule is None:
        return None
    return rule.types.filter(active=True).order_by("pk").first()


def seed_certificates(project: Project) -> None:
    today = selectors.project_today(project, timezone.now())
    employments = list(
        Employment.objects.filter(project=project, status=EmploymentStatus.ACTIVE)
        .select_related("worker")
        .order_by("worker__name", "worker_id")
    )
    wanted: list[tuple[Employment, CertificateType]] = []
    types: dict[str, CertificateType | None] = {}
    for employment in employments:
        if employment.trade not in types:
            types[employment.trade] = _type_for(employment.trade, project)
        kind = types[employment.trade]
        if kind is not None:
            wanted.append((employment, kind))
    for index, (employment, kind) in enumerate(wanted):
        worker = employment.worker
        accepted = selectors.requirement_types(employment.trade, project)
        if Certificate.objects.filter(worker=worker, type__in=accepted).exists():
            continue
        if index == 0:
            expires = today - dt.timedelta(days=5)  # one expired
        elif 2 <= index < 2 + len(EXPIRING_IN_DAYS):
            expires = today + dt.timedelta(days=EXPIRING_IN_DAYS[index - 2])
        else:
            expires = rules.add_months(today, kind.validity_months) - dt.timedelta(days=90 + 7 * index)
        issue = rules.add_months(expires, -kind.validity_months)
        reviewed = rules.first_review(issue, expires, kind.review_interval_months)
        certificate = services.add_certificate(
            worker=worker,
            type=kind,
            # 应急管理 操作证 are numbered with the holder's ID number (stored encrypted, shown masked).
            number=worker.id_number()
            if kind.regime == Regime.EMERGENCY
            else f"DEMO{kind.code.replace('-', '')}{worker.pk:07d}",
            holder_name=worker.name,
            holder_id_number=worker.id_number(),
            issuing_authority=AUTHORITIES[kind.regime],
            issue_date=issue,
            expires_on=expires,
            last_reviewed_on=reviewed if reviewed is not None and reviewed <= today else None,
        )
        if index != 1:  # one left unverified
            services.verify_certificate(
                certificate=certificate,
                status=VerificationStatus.VERIFIED,
                note="演示数据：已在发证机关查询平台核验",
                by=None,
            )
