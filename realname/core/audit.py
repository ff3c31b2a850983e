"""Writing the audit log: one call per create / update / delete / reveal / import / export."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from realname.core.context import current_actor
from realname.core.models import AuditAction, AuditEntry

# Field names whose values never enter the audit log, only the fact that they changed.
SENSITIVE_FIELDS = {
    "id_number_enc",
    "id_number_index",
    "card_number_enc",
    "card_number_index",
    "number_enc",  # certificate numbers (an 应急管理 操作证 is numbered with the holder's ID number)
    "number_index",
    "password",
    "secret",  # gate devices' shared secrets
}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    if isinstance(value, (dt.date, dt.datetime, dt.time, uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audit-relevant field values of a row (sensitive fields appear only as a marker)."""
    values: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if f.name in {"id", "created_at", "updated_at"}:
            continue
        value = getattr(obj, f.name if not f.is_relation else f.attname)
        values[f.name] = "***" if f.name in SENSITIVE_FIELDS else _plain(value)
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


# Rows about a person (not a project): their entries are filed like the person's own, see _scope_of.
_FILED_UNDER_THE_WORKER = {
    "workers.Worker",
    "workers.BankAccount",
    "certificates.Certificate",
    "certificates.CertificateScan",
    "certificates.CertificateReview",
}
_ABOUT_A_CERTIFICATE = {"certificates.CertificateScan", "certificates.CertificateReview"}


def _scope_of(obj: models.Model) -> tuple[int | None, int | None]:
    project_id = getattr(obj, "project_id", None)
    company_id = getattr(obj, "company_id", None)
    if obj._meta.label == "orgs.Project":
        project_id = obj.pk
    if obj._meta.label == "orgs.Company":
        company_id = obj.pk
    worker: Any = obj if obj._meta.label == "workers.Worker" else getattr(obj, "worker", None)
    if worker is None and obj._meta.label in _ABOUT_A_CERTIFICATE:
        worker = obj.certificate.worker  # type: ignore[attr-defined]
    if worker is not None and obj._meta.label in _FILED_UNDER_THE_WORKER:
        # A person belongs to no project; file their entries under the registering company and the project
        # they are on now, so the people who manage them there can read the trail.
        company_id = worker.registered_by_company_id
        current = (
            worker.employments.filter(status="active").order_by("-entry_date").values("project_id").first()
        )
        project_id = current["project_id"] if current else None
    return project_id, company_id


def record(
    action: AuditAction | str,
    obj: models.Model,
    *,
    changes: dict[str, Any] | None = None,
    note: str = "",
    object_repr: str | None = None,
) -> AuditEntry:
    actor = current_actor()
    user = actor.user if actor else None
    project_id, company_id = _scope_of(obj)
    label = user.get_username() if user else (f"<{actor.via}>" if actor else "<system>")
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label,
        ip_address=actor.ip_address if actor else None,
        via=actor.via if actor else "",
        action=str(action),
        object_type=obj._meta.label,
        object_id=str(getattr(obj, "public_id", obj.pk) or ""),
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        project_id=project_id,
        company_id=company_id,
        changes=changes or {},
        note=note[:300],
    )


def record_create(obj: models.Model, **kwargs: Any) -> AuditEntry:
    return record(AuditAction.CREATE, obj, changes=snapshot(obj), **kwargs)


def record_update(obj: models.Model, before: dict[str, Any], **kwargs: Any) -> AuditEntry | None:
    changes = diff(before, snapshot(obj))
    if not changes:
        return None
    return record(AuditAction.UPDATE, obj, changes=changes, **kwargs)


def record_delete(obj: models.Model, **kwargs: Any) -> AuditEntry:
    return record(AuditAction.DELETE, obj, changes=snapshot(obj), **kwargs)
