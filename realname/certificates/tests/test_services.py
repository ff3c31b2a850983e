"""Registering, correcting, verifying and reviewing certificates; trade rules; the admission recheck queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from realname.admission.models import Recheck
from realname.certificates import services
from realname.certificates.models import Certificate, RenewalKind, TradeRule, VerificationStatus
from realname.certificates.tests.conftest import certify, kind
from realname.core.models import AuditEntry
from realname.testing import World, employ, make_worker, new_id_number
from realname.workers.models import Worker

pytestmark = pytest.mark.django_db


def queued(worker: Worker) -> int:
    return Recheck.objects.filter(worker_id=worker.pk).count()


def test_the_seeded_types_carry_the_three_regimes_rules() -> None:
    housing, emergency, market = kind("ZJ-DG"), kind("YJ-DG-DY"), kind("SJ-Q1")
    assert (housing.validity_months, housing.renewal_window_days, housing.review_interval_months) == (
        24,
        90,
        None,
    )
    assert (emergency.validity_months, emergency.review_interval_months, emergency.review_window_days) == (
        72,
        36,
        60,
    )
    assert market.regime == "market" and "未经法规核实" in market.note
    electric = TradeRule.objects.get(project__isnull=True, trade="130")
    assert {t.code for t in electric.types.all()} == {"ZJ-DG", "YJ-DG-DY"}
    assert set(TradeRule.objects.filter(project__isnull=True).values_list("trade", flat=True)) == {
        "130",
        "030",
        "170",
        "180",
        "270",
    }


def test_a_certificate_gets_its_expiry_and_review_from_its_type(world: World) -> None:
    housing = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2026, 3, 1), verified=False)
    assert housing.expires_on == dt.date(2028, 3, 1)
    assert housing.next_review_on is None
    assert housing.verification_status == VerificationStatus.UNVERIFIED
    assert housing.holder_id_masked == world.worker_a.id_number_masked
    emergency = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2026, 3, 1))
    assert (emergency.expires_on, emergency.next_review_on) == (dt.date(2032, 3, 1), dt.date(2029, 3, 1))


def test_a_holder_id_that_is_not_the_workers_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.add_certificate(
            worker=world.worker_a,
            type=kind("ZJ-DG"),
            number="京A042026000001",
            holder_name=world.worker_a.name,
            holder_id_number=world.worker_b.id_number(),
            issuing_authority="北京市住房和城乡建设委员会",
            issue_date=dt.date(2026, 1, 1),
        )
    assert "与该工人的证件号码不一致" in caught.value.message_dict["holder_id_number"][0]
    assert not Certificate.objects.exists()


def test_a_holder_id_that_is_no_valid_id_number_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        certify(world.worker_a, holder_id_number="110105199001011234")  # wrong check digit
    assert "holder_id_number" in caught.value.message_dict or "id_number" in caught.value.message_dict


def test_the_holder_id_never_reaches_the_database_or_the_audit_log_in_clear(world: World) -> None:
    certificate = certify(world.worker_a)
    plain = world.worker_a.id_number()
    row = Certificate.objects.filter(pk=certificate.pk).values().get()
    assert plain not in str(row)
    assert not any(plain in str(e.changes) for e in AuditEntry.objects.all())


def test_a_certificate_number_is_unique_per_type(world: World) -> None:
    certify(world.worker_a, "ZJ-DG", number="京A042026000007")
    with pytest.raises(ValidationError) as caught:
        certify(world.worker_b, "ZJ-DG", number=" 京a04 2026000007 ")
    assert "相同编号" in str(caught.value)
    certify(world.worker_b, "YJ-DG-DY", number="京A042026000007")  # another type may use the number


def test_an_expiry_before_the_issue_date_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        certify(world.worker_a, issue_date=dt.date(2026, 5, 1), expires_on=dt.date(2026, 4, 1))
    assert "不能早于发证日期" in str(caught.value)


def test_an_inactive_type_cannot_be_registered(world: World) -> None:
    services.update_certificate_type(certificate_type=kind("ZJ-DL"), active=False)
    with pytest.raises(ValidationError) as caught:
        certify(world.worker_a, "ZJ-DL")
    assert "已停用" in caught.value.message_dict["type"][0]


def test_verification_records_who_and_when_and_a_rejection_needs_a_note(world: World) -> None:
    certificate = certify(world.worker_a, verified=False)
    with pytest.raises(ValidationError):
        services.verify_certificate(certificate=certificate, status="rejected", note="", by=world.alice)
    services.verify_certificate(
        certificate=certificate, status="verified", note="住建平台查询一致", by=world.alice
    )
    certificate.refresh_from_db()
    assert certificate.verification_status == VerificationStatus.VERIFIED
    assert certificate.verified_by == world.alice and certificate.verified_at is not None


def test_correcting_what_identifies_a_verified_certificate_sends_it_back_to_unverified(world: World) -> None:
    certificate = certify(world.worker_a)
    services.update_certificate(certificate=certificate, issuing_authority="北京市住房和城乡建设委员会")
    certificate.refresh_from_db()
    assert certificate.verification_status == VerificationStatus.VERIFIED  # nothing changed
    services.update_certificate(certificate=certificate, number="京A042026009999")
    certificate.refresh_from_db()
    assert certificate.verification_status == VerificationStatus.UNVERIFIED
    assert certificate.verified_by is None and "重新核验" in certificate.verification_note


def test_a_correction_of_the_holder_id_is_checked_again(world: World) -> None:
    certificate = certify(world.worker_a)
    with pytest.raises(ValidationError):
        services.update_certificate(certificate=certificate, holder_id_number=new_id_number())


def test_recording_a_review_moves_the_next_review(world: World) -> None:
    # A certificate whose validity outlasts two review cycles (edited expiry, as some provinces print).
    certificate = certify(
        world.worker_a, "YJ-DG-DY", issue_date=dt.date(2020, 1, 10), expires_on=dt.date(2032, 1, 10)
    )
    assert certificate.next_review_on == dt.date(2023, 1, 10)
    review = services.record_review(certificate=certificate, reviewed_on=dt.date(2023, 2, 1), by=world.alice)
    certificate.refresh_from_db()
    assert (review.kind, review.previous_date, review.new_date) == (
        RenewalKind.REVIEW,
        dt.date(2023, 1, 10),
        dt.date(2026, 1, 10),
    )
    assert (certificate.next_review_on, certificate.last_reviewed_on) == (
        dt.date(2026, 1, 10),
        dt.date(2023, 2, 1),
    )


def test_a_review_can_set_a_longer_cycle_but_not_beyond_the_expiry(world: World) -> None:
    certificate = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2026, 1, 10))
    with pytest.raises(ValidationError):
        services.record_review(
            certificate=certificate, reviewed_on=dt.date(2029, 1, 1), next_review_on=dt.date(2033, 1, 1)
        )
    services.record_review(certificate=certificate, reviewed_on=dt.date(2029, 1, 1), next_review_on=None)
    certificate.refresh_from_db()
    assert certificate.next_review_on is None  # the next one would be the expiry itself


def test_a_certificate_without_review_is_renewed_instead(world: World) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as caught:
        services.record_review(certificate=certificate, reviewed_on=dt.date(2028, 1, 5))
    assert "延期复核" in caught.value.message_dict["reviewed_on"][0]
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2028, 1, 5))
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2030, 3, 1)
    assert certificate.reviews.get().kind == RenewalKind.RENEWAL


def test_every_change_queues_the_worker_for_a_new_admission_decision(world: World) -> None:
    worker = world.worker_a
    start, other = queued(worker), queued(world.worker_b)
    certificate = certify(worker, "YJ-DG-DY", verified=False)
    assert queued(worker) == start + 1
    services.verify_certificate(certificate=certificate, status="verified", by=None)
    services.update_certificate(certificate=certificate, number="X-1")
    services.record_review(certificate=certificate, reviewed_on=dt.date(2029, 1, 1))
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2031, 12, 1))
    services.delete_certificate(certificate=certificate, reason="登记错误")
    assert queued(worker) == start + 6
    assert queued(world.worker_b) == other


def test_a_trade_rule_change_queues_the_active_workers_of_that_trade(world: World) -> None:
    employ(world.worker_a, world.gc_p1, team=world.team_a, trade="130")
    employ(world.worker_c, world.gc_p2, team=world.team_c, trade="130")
    a, b, c = queued(world.worker_a), queued(world.worker_b), queued(world.worker_c)
    rule = services.create_trade_rule(project=world.p1, trade="130", types=[kind("YJ-DG-GY")])
    assert (queued(world.worker_a), queued(world.worker_c), queued(world.worker_b)) == (a + 1, c, b)
    platform = TradeRule.objects.get(project__isnull=True, trade="130")
    services.update_trade_rule(rule=platform, types=[kind("ZJ-DG")])
    assert (queued(world.worker_a), queued(world.worker_c)) == (a + 2, c + 1)
    services.delete_trade_rule(rule=rule)
    assert queued(world.worker_a) == a + 3
    assert queued(world.worker_b) == b
    assert AuditEntry.objects.filter(object_type="certificates.TradeRule", action="update").exists()


def test_a_trade_rule_needs_a_known_trade_and_at_least_one_type() -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_trade_rule(trade="999", types=[])
    assert set(caught.value.message_dict) == {"trade", "types"}


def test_writes_are_audited(world: World) -> None:
    certificate = certify(world.worker_a)
    assert AuditEntry.objects.filter(object_type="certificates.Certificate", action="create").count() == 1
    assert AuditEntry.objects.filter(object_type="certificates.Certificate", action="update").count() == 1
    services.delete_certificate(certificate=certificate, reason="重复登记")
    deleted = AuditEntry.objects.get(object_type="certificates.Certificate", action="delete")
    assert deleted.note == "重复登记"


def test_make_worker_is_usable_for_holders(world: World) -> None:
    other = make_worker("赵丁")
    assert certify(other).holder_name == "赵丁"


def test_a_blank_next_review_is_computed_from_the_types_rule(world: World) -> None:
    certificate = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2022, 1, 10))
    services.update_certificate(certificate=certificate, next_review_on=None)
    certificate.refresh_from_db()
    assert certificate.next_review_on == dt.date(2025, 1, 10)
    assert certificate.verification_status == VerificationStatus.VERIFIED
    # after a review, a blank counts the reviews already made
    services.update_certificate(
        certificate=certificate, next_review_on=dt.date(2025, 3, 1), last_reviewed_on=dt.date(2024, 12, 1)
    )
    services.update_certificate(certificate=certificate, next_review_on=None)
    certificate.refresh_from_db()
    assert certificate.next_review_on is None  # 2028-01-10 is the expiry itself: no review left
    housing = certify(world.worker_a, "ZJ-DG")
    services.update_certificate(certificate=housing, next_review_on=None)
    housing.refresh_from_db()
    assert housing.next_review_on is None  # the type has no periodic review


def test_a_blank_expiry_is_recomputed_only_when_the_issue_date_or_type_changes(world: World) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2026, 1, 10))
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2027, 12, 1))
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2030, 1, 10)
    services.update_certificate(certificate=certificate, expires_on=None)
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2030, 1, 10)  # a renewed expiry is not undone
    services.update_certificate(certificate=certificate, issue_date=dt.date(2026, 2, 1), expires_on=None)
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 2, 1)
    services.update_certificate(
        certificate=certificate, type=kind("YJ-DG-DY"), expires_on=None, next_review_on=None
    )
    certificate.refresh_from_db()
    assert (certificate.expires_on, certificate.next_review_on) == (dt.date(2032, 2, 1), dt.date(2029, 2, 1))


@pytest.mark.parametrize(
    "fields",
    [{"next_review_on": dt.date(2030, 1, 10)}, {"expires_on": dt.date(2033, 1, 10)}],
    ids=["next_review_on", "expires_on"],
)
def test_a_hand_changed_date_sends_a_verified_certificate_back_to_unverified(
    world: World, fields: dict[str, dt.date]
) -> None:
    certificate = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2026, 1, 10))
    assert certificate.verification_status == VerificationStatus.VERIFIED
    services.update_certificate(certificate=certificate, **fields)
    certificate.refresh_from_db()
    assert certificate.verification_status == VerificationStatus.UNVERIFIED
    assert "重新核验" in certificate.verification_note


def test_an_expired_certificate_cannot_be_renewed(world: World) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2024, 1, 10))  # expires 2026-01-10
    with pytest.raises(ValidationError) as caught:
        services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2026, 1, 11))
    assert "证书已过期，不能办理延期复核，须重新取证" in caught.value.message_dict["reviewed_on"][0]
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2026, 1, 10) and not certificate.reviews.exists()
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2026, 1, 10))  # the last day
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 1, 10)


def test_a_renewal_before_its_window_is_refused(world: World) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2024, 1, 10))  # 90 days before
    with pytest.raises(ValidationError) as caught:
        services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2025, 10, 11))
    message = caught.value.message_dict["reviewed_on"][0]
    assert "90" in message and "2025-10-12" in message and "2026-01-10" in message
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2025, 10, 12))
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 1, 10)


def test_a_type_without_a_renewal_window_may_be_renewed_any_time_before_expiry(world: World) -> None:
    services.update_certificate_type(certificate_type=kind("ZJ-DG"), renewal_window_days=0)
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2024, 1, 10))
    services.renew_certificate(certificate=certificate, reviewed_on=dt.date(2024, 6, 1))
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 1, 10)


def test_reviews_are_refused_on_expired_certificates_and_before_their_window(world: World) -> None:
    certificate = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2020, 1, 10))  # review 2023-01-10
    with pytest.raises(ValidationError) as caught:
        services.record_review(certificate=certificate, reviewed_on=dt.date(2022, 11, 10))
    message = caught.value.message_dict["reviewed_on"][0]
    assert "60" in message and "2022-11-11" in message and "2023-01-10" in message
    services.record_review(certificate=certificate, reviewed_on=dt.date(2022, 11, 11))
    late = certify(
        world.worker_b, "YJ-DG-DY", issue_date=dt.date(2019, 1, 10), expires_on=dt.date(2026, 1, 10)
    )
    services.update_certificate(certificate=late, next_review_on=dt.date(2025, 6, 1))
    with pytest.raises(ValidationError) as caught:
        services.record_review(certificate=late, reviewed_on=dt.date(2026, 1, 11))
    assert "证书已过期" in caught.value.message_dict["reviewed_on"][0]
    assert not late.reviews.exists()
