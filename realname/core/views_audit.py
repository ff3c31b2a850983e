"""The audit log page: who did what to which record, when, from which address. Read-only by design."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.core.models import AuditAction, AuditEntry
from realname.core.pages import paginate, query_without_page, require

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _object_types() -> list[tuple[str, str]]:
    """Every model of the project's apps, by the label the audit log stores (``workers.Worker``)."""
    found = [
        (model._meta.label, f"{model._meta.verbose_name} ({model._meta.label})")
        for model in apps.get_models()
        if model.__module__.startswith("realname.")
    ]
    return [("", "---------"), *sorted(found)]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", "---------"), *AuditAction.choices]
    )
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = _object_types()  # type: ignore[attr-defined]

    def apply(self, qs: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """Narrow by the filters that parsed; one that did not parse is shown as an error, not applied."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(object_type=data["object_type"])
        if data.get("actor"):
            qs = qs.filter(actor_label__icontains=data["actor"].strip())
        if data.get("date_from"):
            qs = qs.filter(at__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
        return qs


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the current time zone (the dates a user types are local dates)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.AUDIT_VIEW)
    form = AuditFilterForm(request.GET)
    entries = form.apply(restrict(AuditEntry.objects.all(), request.user, Perm.AUDIT_VIEW)).order_by(
        "-at", "-id"
    )
    return render(
        request,
        "core/audit_list.html",
        {"form": form, "page_obj": paginate(request, entries), "query": query_without_page(request)},
    )
