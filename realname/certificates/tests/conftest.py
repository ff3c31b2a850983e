"""Fixtures for the certificate tests: the seeded types by code, a worker's ID number in clear, and
certificates made through the service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.certificates import services
from realname.certificates.models import Certificate, CertificateType
from realname.testing import World, employ, make_user
from realname.workers.models import Worker


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def kind(code: str) -> CertificateType:
    return CertificateType.objects.get(code=code)


def certify(
    worker: Worker,
    code: str = "ZJ-DG",
    *,
    issue_date: dt.date = dt.date(2026, 1, 10),
    verified: bool = True,
    number: str = "",
    **fields: Any,
) -> Certificate:
    certificate = services.add_certificate(
        worker=worker,
        type=kind(code),
        number=number or f"{code}-{worker.pk}-{Certificate.objects.count() + 1}",
        holder_name=worker.name,
        holder_id_number=fields.pop("holder_id_number", None) or worker.id_number(),
        issuing_authority="北京市住房和城乡建设委员会",
        issue_date=issue_date,
        **fields,
    )
    if verified:
        services.verify_certificate(certificate=certificate, status="verified", by=None)
    return certificate


@pytest.fixture
def electrician(world: World) -> Worker:
    """worker_a (张甲, on P1 under the general contractor) working as a 建筑电工 (trade 130)."""
    employ(world.worker_a, world.gc_p1, team=world.team_a, trade="130")
    return world.worker_a


@pytest.fixture
def sam(world: World) -> User:
    """Safety officer of company A (the general contractor on P1: sees every P1 worker)."""
    return make_user("sam", Role.SAFETY_OFFICER, ScopeKind.COMPANY, company=world.company_a)
