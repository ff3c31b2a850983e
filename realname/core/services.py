"""Small helpers every app's services share: validated saves that write the audit log."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from realname.core import audit

M = TypeVar("M", bound=models.Model)


def create_row(model: type[M], *, audit_note: str = "", **fields: Any) -> M:
    """Create a row after full model validation, and audit it."""
    obj = model(**fields)
    obj.full_clean()
    obj.save()
    audit.record_create(obj, note=audit_note)
    return obj


def update_row(obj: M, *, audit_note: str = "", **fields: Any) -> M:
    """Change the given fields after full validation; audit only what really changed."""
    unknown = [name for name in fields if name not in {f.name for f in obj._meta.get_fields()}]
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "未知字段"))
    before = audit.snapshot(obj)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    after = audit.snapshot(obj)
    if after != before:
        obj.save()
        audit.record_update(obj, before, note=audit_note)
    return obj


def delete_row(obj: models.Model, *, audit_note: str = "") -> None:
    audit.record_delete(obj, note=audit_note)
    obj.delete()
