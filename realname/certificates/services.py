"""Writes for certificate types, trade rules and workers' certificates (keyword-only, atomic, audited).

Every write that can change an admission decision queues the affected workers with
``realname.admission.changes.inputs_changed`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.models import User
from realname.admission.changes import inputs_changed
from realname.certificates import numbers, rules
from realname.certificates.models import (
    Certificate,
    CertificateReview,
    CertificateScan,
    CertificateType,
    RenewalKind,
    TradeRule,
    VerificationStatus,
)
from realname.core import audit, dictionaries
from realname.core.identifiers import clean_text
from realname.core.masking import mask_id_number
from realname.core.models import AuditAction
from realname.core.services import create_row, delete_row, update_row
from realname.orgs.models import Project
from realname.workers.models import Employment, EmploymentStatus, Worker
from realname.workers.services import checked_id, id_index

# --- certificate types -------------------------------------------------------------------------------------

TYPE_FIELDS = (
    "regime",
    "code",
    "name",
    "category",
    "sub_item",
    "validity_months",
    "renewal_window_days",
    "review_interval_months",
    "review_window_days",
    "active",
    "note",
)


def _type_values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, _("未知字段")))
    values = dict(fields)
    for name in ("code", "name", "category", "sub_item", "note"):
        if name in values:
            values[name] = clean_text(values[name] or "")
    if "code" in values:
        values["code"] = values["code"].upper()
    return values


@transaction.atomic
def create_certificate_type(**fields: Any) -> CertificateType:
    """A new certificate type. Existing certificates keep their printed dates whatever the rules say."""
    return create_row(CertificateType, **_type_values(fields))


@transaction.atomic
def update_certificate_type(*, certificate_type: CertificateType, **fields: Any) -> CertificateType:
    """Change a type's names or rules; the dates of certificates already registered do not move (they are
    what the certificate says), only new certificates and new reviews use the new rules."""
    return update_row(certificate_type, **_type_values(fields))


# --- trade rules -------------------------------------------------------------------------------------------


def _workers_in_trades(trades: Iterable[str], project: Project | None) -> list[int]:
    qs = Employment.objects.filter(trade__in=set(trades), status=EmploymentStatus.ACTIVE)
    if project is not None:
        qs = qs.filter(project=project)
    return list(qs.values_list("worker_id", flat=True).distinct())


def _check_rule(trade: str, types: list[CertificateType]) -> None:
    errors: dict[str, str] = {}
    if trade not in dictionaries.table("trades"):
        errors["trade"] = _("未知的工种代码：%(code)s") % {"code": trade}
    if not types:
        errors["types"] = _("请至少选择一种可满足要求的证书类型")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_trade_rule(
    *, trade: str, types: Iterable[CertificateType], project: Project | None = None, label: str = ""
) -> TradeRule:
    """Trade ``trade`` needs any one of ``types`` — everywhere, or on ``project`` only (where the project's
    rules for a trade replace the platform's)."""
    chosen = list(types)
    _check_rule(trade, chosen)
    rule = create_row(TradeRule, project=project, trade=trade, label=clean_text(label))
    rule.types.set(chosen)
    audit.record("update", rule, changes={"types": [[], sorted(t.code for t in chosen)]})
    inputs_changed(worker_ids=_workers_in_trades([trade], project))
    return rule


@transaction.atomic
def update_trade_rule(
    *,
    rule: TradeRule,
    types: Iterable[CertificateType] | None = None,
    trade: str | None = None,
    label: str | None = None,
) -> TradeRule:
    old_trade = rule.trade
    before = sorted(t.code for t in rule.types.all())
    chosen = list(types) if types is not None else list(rule.types.all())
    new_trade = trade if trade is not None else rule.trade
    _check_rule(new_trade, chosen)
    update_row(rule, trade=new_trade, label=clean_text(label) if label is not None else rule.label)
    after = sorted(t.code for t in chosen)
    if after != before:
        rule.types.set(chosen)
        audit.record("update", rule, changes={"types": [before, after]})
    inputs_changed(worker_ids=_workers_in_trades({old_trade, new_trade}, rule.project))
    return rule


@transaction.atomic
def delete_trade_rule(*, rule: TradeRule) -> None:
    trade, project = rule.trade, rule.project
    delete_row(rule)
    inputs_changed(worker_ids=_workers_in_trades([trade], project))


# --- workers' certificates ---------------------------------------------------------------------------------


def _holder_masked(worker: Worker, holder_id_number: str) -> str:
    """The holder's ID number as printed must be the worker's (compared through the blind index, never in
    clear); what is kept of it is the masked form."""
    checked = checked_id(worker.id_type, holder_id_number)
    if id_index(checked.id_type, checked.number) != worker.id_number_index:
        raise ValidationError(
            {"holder_id_number": _("证书上的持证人证件号码与该工人的证件号码不一致，不能登记为其证书")}
        )
    return mask_id_number(checked.number)


def _number_fields(number: str) -> dict[str, str]:
    """The stored forms of a certificate number: ciphertext, blind index, masked (never the plaintext)."""
    cleaned = numbers.normalise(number)
    if not cleaned:
        raise ValidationError({"number": _("请填写证书编号")})
    if len(cleaned) > 60:
        raise ValidationError({"number": _("证书编号不能超过60个字符")})
    return {
        "number_enc": numbers.encrypt(cleaned),
        "number_index": numbers.index(cleaned),
        "number_masked": numbers.mask(cleaned),
    }


def find_certificates(*, number: str) -> QuerySet[Certificate]:
    """Certificates with exactly this number (any type), looked up through the blind index."""
    cleaned = numbers.normalise(number)
    if not cleaned:
        return Certificate.objects.none()
    return Certificate.objects.filter(number_index=numbers.index(cleaned))


def reveal_number(*, certificate: Certificate, reason: str = "") -> str:
    """The plaintext certificate number, written to the audit log (AuditAction.REVEAL) like an ID reveal.
    Permission (``certificates.manage`` over the worker) is the caller's check."""
    audit.record(AuditAction.REVEAL, certificate, changes={"field": "number"}, note=reason)
    return certificate.full_number()


@transaction.atomic
def add_certificate(
    *,
    worker: Worker,
    type: CertificateType,  # noqa: A002 - the certificate's type, named as on the model
    number: str,
    holder_name: str,
    holder_id_number: str,
    issuing_authority: str,
    issue_date: dt.date,
    expires_on: dt.date | None = None,
    last_reviewed_on: dt.date | None = None,
    next_review_on: dt.date | None = None,
) -> Certificate:
    """Register a certificate the worker holds. Expiry defaults to the issue date plus the type's validity;
    the next review follows the type's review rule (after ``last_reviewed_on`` if one was made) unless
    given. The certificate starts unverified."""
    if not type.active:
        raise ValidationError({"type": _("该证书类型已停用，不能登记")})
    masked = _holder_masked(worker, holder_id_number)
    expires = expires_on or rules.default_expiry(issue_date, type.validity_months)
    review = next_review_on or rules.next_review(
        issue_date=issue_date,
        expires_on=expires,
        interval_months=type.review_interval_months,
        window_days=type.review_window_days,
        last_reviewed_on=last_reviewed_on,
    )
    certificate = create_row(
        Certificate,
        worker=worker,
        type=type,
        **_number_fields(number),
        holder_name=clean_text(holder_name),
        holder_id_masked=masked,
        issuing_authority=clean_text(issuing_authority),
        issue_date=issue_date,
        expires_on=expires,
        next_review_on=review,
        last_reviewed_on=last_reviewed_on,
    )
    inputs_changed(worker_ids=[worker.pk])
    return certificate


# Fields whose change means the certificate is no longer the one that was checked against the register:
# what identifies it, and the dates the register shows (a hand-changed expiry or review date is re-checked).
_RECHECK_FIELDS = (
    "type",
    "number_index",
    "holder_name",
    "holder_id_masked",
    "issuing_authority",
    "issue_date",
    "expires_on",
    "next_review_on",
)
EDITABLE_FIELDS = (
    "type",
    "number",
    "holder_name",
    "holder_id_number",
    "issuing_authority",
    "issue_date",
    "expires_on",
    "next_review_on",
    "last_reviewed_on",
)


@transaction.atomic
def update_certificate(*, certificate: Certificate, **fields: Any) -> Certificate:
    """Correct what was registered. A blank (None) date is worked out as on registration, never erased:
    ``next_review_on=None`` follows the type's review rule (after the last review, if any);
    ``expires_on=None`` is the issue date plus the type's validity when the issue date or the type changes,
    and otherwise stays (it may have been extended by a 延期复核). Changing what identifies the certificate
    (type, number, holder, issuer, issue date) or its dates sends it back to 未核验: the check was made
    against the old details."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, _("未知字段")))
    values = dict(fields)
    holder_id = values.pop("holder_id_number", "")
    if holder_id:
        values["holder_id_masked"] = _holder_masked(certificate.worker, holder_id)
    if "number" in values:
        stored = _number_fields(values.pop("number"))
        if stored["number_index"] != certificate.number_index:
            values.update(stored)  # the same number again keeps its ciphertext: nothing changed
    for name in ("holder_name", "issuing_authority"):
        if name in values:
            values[name] = clean_text(values[name])
    new_type: CertificateType = values.get("type", certificate.type)
    if new_type.pk != certificate.type_id and not new_type.active:
        raise ValidationError({"type": _("该证书类型已停用，不能登记")})
    issue_date: dt.date = values.get("issue_date") or certificate.issue_date
    if "expires_on" in values and values["expires_on"] is None:
        if new_type.pk != certificate.type_id or issue_date != certificate.issue_date:
            values["expires_on"] = rules.default_expiry(issue_date, new_type.validity_months)
        else:
            values.pop("expires_on")
    if "next_review_on" in values and values["next_review_on"] is None:
        values["next_review_on"] = rules.next_review(
            issue_date=issue_date,
            expires_on=values.get("expires_on", certificate.expires_on),
            interval_months=new_type.review_interval_months,
            window_days=new_type.review_window_days,
            last_reviewed_on=values.get("last_reviewed_on", certificate.last_reviewed_on),
        )
    changed = any(values[name] != getattr(certificate, name) for name in _RECHECK_FIELDS if name in values)
    note = ""
    if changed and certificate.verification_status != VerificationStatus.UNVERIFIED:
        values.update(
            verification_status=VerificationStatus.UNVERIFIED,
            verified_by=None,
            verified_at=None,
            verification_note=_("证书信息已修改，需重新核验"),
        )
        note = _("证书信息已修改，核验状态重置为未核验")
    update_row(certificate, audit_note=note, **values)
    inputs_changed(worker_ids=[certificate.worker_id])
    return certificate


@transaction.atomic
def verify_certificate(
    *,
    certificate: Certificate,
    status: str,
    note: str = "",
    by: User | None,
    at: dt.datetime | None = None,
) -> Certificate:
    """Record the check against the issuer's register (e.g. 全国工程质量安全监管信息平台 / 应急管理部特种
    作业操作证查询): verified, or rejected (the register does not show it as printed; a note is required)."""
    if status not in (VerificationStatus.VERIFIED, VerificationStatus.REJECTED):
        raise ValidationError({"status": _("核验结果应为“已核验”或“核验不符”")})
    note = clean_text(note)
    if status == VerificationStatus.REJECTED and not note:
        raise ValidationError({"note": _("核验不符时请说明情况")})
    update_row(
        certificate,
        verification_status=status,
        verified_by=by,
        verified_at=at or timezone.now(),
        verification_note=note,
    )
    inputs_changed(worker_ids=[certificate.worker_id])
    return certificate


def _check_window(
    reviewed_on: dt.date, *, expires_on: dt.date, due: dt.date, window_days: int, expired: str, early: str
) -> None:
    """Refuse a 复审 or 延期复核 dated after the certificate expired (``expired``: the holder must
    re-qualify) or before its window before ``due`` opens (``early``); the messages are the caller's."""
    if reviewed_on > expires_on:
        raise ValidationError({"reviewed_on": expired % {"date": expires_on.isoformat()}})
    opens = rules.window_opens(due, window_days)
    if opens is not None and reviewed_on < opens:
        values = {"due": due.isoformat(), "days": window_days, "opens": opens.isoformat()}
        raise ValidationError({"reviewed_on": early % values})


@transaction.atomic
def record_review(
    *,
    certificate: Certificate,
    reviewed_on: dt.date,
    note: str = "",
    next_review_on: dt.date | None = None,
    by: User | None = None,
) -> CertificateReview:
    """复审 passed on ``reviewed_on``: the next review moves one interval on from the one scheduled (or to
    ``next_review_on`` when given, e.g. the 6-year cycle for ten years' lawful practice, Art.21). Refused on
    an expired certificate (the holder must re-qualify) and before the type's review window opens (Art.22:
    within 60 days before the review date); a late review before the expiry is accepted."""
    scheduled = certificate.next_review_on
    if scheduled is None:
        raise ValidationError({"reviewed_on": _("该证书没有待复审的日期；如需延长有效期请登记延期复核")})
    if reviewed_on < certificate.issue_date:
        raise ValidationError({"reviewed_on": _("复审日期不能早于发证日期")})
    _check_window(
        reviewed_on,
        expires_on=certificate.expires_on,
        due=scheduled,
        window_days=certificate.type.review_window_days,
        expired=_("证书已过期，不能办理复审，须重新取证（有效期至 %(date)s）"),
        early=_("还未到复审申请期：复审须在复审日期（%(due)s）前 %(days)s 日内办理，即 %(opens)s 起"),
    )
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise ValidationError({"next_review_on": _("下次复审日期应晚于本次复审日期")})
    if next_review_on is not None and next_review_on > certificate.expires_on:
        raise ValidationError({"next_review_on": _("下次复审日期不能晚于有效期至")})
    new = next_review_on or rules.review_after(
        scheduled, certificate.expires_on, certificate.type.review_interval_months
    )
    update_row(certificate, next_review_on=new, last_reviewed_on=reviewed_on, audit_note=_("复审"))
    review = create_row(
        CertificateReview,
        certificate=certificate,
        kind=RenewalKind.REVIEW,
        reviewed_on=reviewed_on,
        previous_date=scheduled,
        new_date=new,
        note=clean_text(note),
        recorded_by=by,
    )
    inputs_changed(worker_ids=[certificate.worker_id])
    return review


@transaction.atomic
def renew_certificate(
    *,
    certificate: Certificate,
    reviewed_on: dt.date,
    note: str = "",
    new_expires_on: dt.date | None = None,
    by: User | None = None,
) -> CertificateReview:
    """延期复核 passed (住建: within 3 months before expiry, validity extended by 2 years): the expiry moves
    one validity period on (or to ``new_expires_on``); a type with periodic reviews starts a new cycle.
    Only within the type's renewal window up to the expiry day itself: an expired certificate cannot be
    renewed (the holder must re-qualify and register the new certificate)."""
    old = certificate.expires_on
    if reviewed_on < certificate.issue_date:
        raise ValidationError({"reviewed_on": _("复核日期不能早于发证日期")})
    _check_window(
        reviewed_on,
        expires_on=old,
        due=old,
        window_days=certificate.type.renewal_window_days,
        expired=_("证书已过期，不能办理延期复核，须重新取证（有效期至 %(date)s）"),
        early=_("还未到延期复核申请期：须在有效期届满（%(due)s）前 %(days)s 日内办理，即 %(opens)s 起"),
    )
    new = new_expires_on or rules.renewed_expiry(old, certificate.type.validity_months)
    if new <= old:
        raise ValidationError({"new_expires_on": _("延期后的有效期应晚于原有效期")})
    update_row(
        certificate,
        expires_on=new,
        next_review_on=rules.first_review(old, new, certificate.type.review_interval_months),
        last_reviewed_on=reviewed_on,
        audit_note=_("延期复核"),
    )
    review = create_row(
        CertificateReview,
        certificate=certificate,
        kind=RenewalKind.RENEWAL,
        reviewed_on=reviewed_on,
        previous_date=old,
        new_date=new,
        note=clean_text(note),
        recorded_by=by,
    )
    inputs_changed(worker_ids=[certificate.worker_id])
    return review


@transaction.atomic
def delete_certificate(*, certificate: Certificate, reason: str = "") -> None:
    """Remove a certificate registered by mistake (its scans' files go with it after the commit)."""
    worker_id = certificate.worker_id
    files = [scan.file for scan in certificate.scans.all()]
    delete_row(certificate, audit_note=clean_text(reason))
    inputs_changed(worker_ids=[worker_id])
    for stored in files:
        transaction.on_commit(partial(stored.delete, save=False))


@transaction.atomic
def add_scan(*, certificate: Certificate, file: UploadedFile, caption: str = "") -> CertificateScan:
    """Attach a scan (already checked by content and renamed by the form or endpoint that received it)."""
    return create_row(CertificateScan, certificate=certificate, file=file, caption=clean_text(caption))


@transaction.atomic
def delete_scan(*, scan: CertificateScan) -> None:
    stored = scan.file
    delete_row(scan)
    transaction.on_commit(partial(stored.delete, save=False))
