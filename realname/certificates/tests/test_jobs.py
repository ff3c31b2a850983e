"""Certificate warnings: 30 and 7 days before expiry or review, on expiry; once each; to the right people."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.certificates import jobs, services
from realname.certificates.tests.conftest import certify
from realname.notifications.models import Notification
from realname.testing import World, make_user
from realname.workers.models import Worker

pytestmark = pytest.mark.django_db


def morning(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 8, tzinfo=ZoneInfo("Asia/Shanghai"))


def inbox(user: User) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", "dedupe_key"))


def test_findings_pick_the_most_urgent_threshold() -> None:
    expiry = dt.date(2026, 7, 1)
    assert jobs.findings_on(dt.date(2026, 5, 31), expiry, None) == []
    [f] = jobs.findings_on(dt.date(2026, 6, 1), expiry, None)
    assert (f.kind, f.threshold, f.days_left) == (jobs.EXPIRING, 30, 30)
    [f] = jobs.findings_on(dt.date(2026, 6, 26), expiry, None)
    assert (f.kind, f.threshold) == (jobs.EXPIRING, 7)
    [f] = jobs.findings_on(dt.date(2026, 7, 2), expiry, None)
    assert (f.kind, f.threshold) == (jobs.EXPIRED, 0)
    assert jobs.findings_on(dt.date(2026, 9, 1), expiry, None) == []  # an old expiry is not dug up
    [f] = jobs.findings_on(dt.date(2026, 6, 1), dt.date(2030, 1, 1), dt.date(2026, 6, 20))
    assert (f.kind, f.threshold) == (jobs.REVIEW_DUE, 30)


def test_each_threshold_is_sent_once_to_the_safety_officer_and_the_worker(
    world: World, electrician: Worker, sam: User
) -> None:
    certify(electrician, "ZJ-DG", issue_date=dt.date(2024, 7, 1))  # expires 2026-07-01
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 5, 20))) == 0
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 1))) == 2  # sam and wendy (worker_a)
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 1))) == 0
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 10))) == 0
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 25))) == 2  # the 7-day warning
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 30))) == 0
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 7, 2))) == 2  # expired
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 7, 3))) == 0
    kinds = [k for k, _ in inbox(sam)]
    assert kinds == sorted([jobs.EXPIRED, jobs.EXPIRING, jobs.EXPIRING])
    assert [k for k, _ in inbox(world.wendy)] == kinds
    note = Notification.objects.filter(recipient=sam, kind=jobs.EXPIRED).get()
    assert electrician.name in note.title and note.project_id == world.p1.pk
    assert note.link == f"/certificates/workers/{electrician.public_id}/"
    assert "您的" in Notification.objects.filter(recipient=world.wendy, kind=jobs.EXPIRED).get().title


def test_review_warnings_come_30_and_7_days_before_the_review(electrician: Worker, sam: User) -> None:
    certify(electrician, "YJ-DG-DY", issue_date=dt.date(2023, 7, 1))  # review due 2026-07-01
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 1))) == 2
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 24))) == 2
    assert [k for k, _ in inbox(sam)] == [jobs.REVIEW_DUE, jobs.REVIEW_DUE]


def test_a_renewed_certificate_is_warned_about_again_before_its_new_expiry(
    electrician: Worker, sam: User
) -> None:
    certificate = certify(electrician, "ZJ-DG", issue_date=dt.date(2024, 7, 1))
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 1))) == 2
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2026, 6, 5))
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 25))) == 0  # no longer expiring
    assert jobs.run_certificate_warnings(morning(dt.date(2028, 6, 1))) == 2


def test_people_who_do_not_manage_the_worker_hear_nothing(
    world: World, electrician: Worker, sam: User
) -> None:
    other_safety = make_user("sue", Role.SAFETY_OFFICER, ScopeKind.COMPANY, company=world.company_c)
    labour_b = world.bob  # labour manager of the subcontractor: worker_a is the general contractor's
    certify(electrician, "ZJ-DG", issue_date=dt.date(2024, 7, 1))
    certify(world.worker_b, "ZJ-DG", issue_date=dt.date(2024, 7, 1))  # worker_b is bob's
    jobs.run_certificate_warnings(morning(dt.date(2026, 6, 1)))
    assert inbox(other_safety) == [] and inbox(world.charlie) == [] and inbox(world.reggie) == []
    assert inbox(world.alice) == []  # a company administrator is not in the audience
    assert len(inbox(labour_b)) == 1 and len(inbox(sam)) == 2


def test_rejected_certificates_and_workers_no_longer_on_site_are_left_out(
    world: World, electrician: Worker, sam: User
) -> None:
    rejected = certify(world.worker_b, "ZJ-DG", issue_date=dt.date(2024, 7, 1), verified=False)
    services.verify_certificate(certificate=rejected, status="rejected", note="查无此证", by=None)
    certify(world.worker_c, "ZJ-DG", issue_date=dt.date(2024, 7, 1))
    from realname.workers.models import Employment
    from realname.workers.services import register_exit

    register_exit(employment=Employment.objects.get(worker=world.worker_c), exit_date=dt.date(2026, 5, 1))
    assert jobs.run_certificate_warnings(morning(dt.date(2026, 6, 1))) == 0
