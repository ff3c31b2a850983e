"""Template helpers for admission decisions: the roster badge and reason lists."""

from __future__ import annotations

from typing import Any

from django import template

from realname.admission.rules import reason_from_json

register = template.Library()


@register.filter
def reason_messages(reasons: Any) -> list[str]:
    """A stored decision's reasons (``AdmissionStatus.reasons``) as messages in the active language."""
    return [reason_from_json(value).message for value in reasons or ()]


@register.inclusion_tag("admission/_badge.html")
def admission_badge(employment: Any) -> dict[str, Any]:
    """准入 / 不准入 (with every reason on hover and below) / 未判定, for a roster row."""
    try:
        status = employment.admission
    except AttributeError:  # no decision stored yet (RelatedObjectDoesNotExist is an AttributeError)
        status = None
    return {"status": status, "messages": reason_messages(status.reasons) if status is not None else []}
