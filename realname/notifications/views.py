"""Inbox pages: the user's own notifications (unread first, filter by kind and project), marking them read,
and the e-mail / SMS preferences. Every lookup goes through ``selectors.inbox`` (the user's own rows):
another person's notification is a 404, exactly like one that does not exist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from realname.accounts.models import User
from realname.core.pages import paginate, query_without_page
from realname.notifications import selectors, services
from realname.notifications.forms import InboxFilter, PreferenceForm
from realname.notifications.models import Notification
from realname.notifications.sms import masked_phone
from realname.orgs.models import Project


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


def _filtered(request: HttpRequest, data: Any) -> tuple[InboxFilter, QuerySet[Notification], Project | None]:
    user = _user(request)
    form = InboxFilter(data, user=user)
    qs = selectors.inbox(user)
    project: Project | None = None
    if form.is_valid():
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["project"]:
            project = selectors.inbox_projects(user).filter(public_id=form.cleaned_data["project"]).first()
            qs = qs.filter(project=project)
        if form.cleaned_data["unread"]:
            qs = qs.filter(read_at__isnull=True)
    return form, qs, project


@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    form, qs, _project = _filtered(request, request.GET)
    page = paginate(request, qs)
    return render(
        request,
        "notifications/inbox.html",
        {
            "filters": form,
            "page_obj": page,
            "query": query_without_page(request),
            "unread_total": selectors.unread_count(request.user),
        },
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("notifications:inbox")


@require_POST
@login_required
def read_one(request: HttpRequest, public_id: UUID) -> HttpResponse:
    notification = selectors.inbox(request.user).filter(public_id=public_id).first()
    if notification is None:
        raise Http404
    services.mark_read(user=_user(request), ids=[notification.pk])
    if getattr(request, "htmx", False):
        notification.refresh_from_db(fields=["read_at"])
        return render(
            request,
            "notifications/_item.html",
            # The navigation's unread count is swapped in too (htmx out-of-band).
            {"n": notification, "next": request.POST.get("next", ""), "oob": True},
        )
    return redirect(_back(request))


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    form, _qs, project = _filtered(request, request.POST)
    kind = form.cleaned_data.get("kind", "") if form.is_valid() else ""
    count = services.mark_all_read(user=_user(request), kind=kind, project=project)
    messages.success(request, _("已将 %(count)d 条通知标为已读") % {"count": count})
    keep = {k: v for k, v in (("kind", kind), ("project", request.POST.get("project", ""))) if v}
    return redirect(reverse("notifications:inbox") + (f"?{urlencode(keep)}" if keep else ""))


@never_cache
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = services.preferences_of(user)
    form = PreferenceForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.set_preferences(
            user=user, **{name: form.cleaned_data[name] for name in PreferenceForm.Meta.fields}
        )
        messages.success(request, _("通知设置已保存"))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "email": user.email, "phone": masked_phone(user.phone) if user.phone else ""},
    )
