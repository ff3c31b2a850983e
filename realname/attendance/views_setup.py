"""Pages for setting up attendance: the device registry (status list, registration, connection settings,
audited secret reveal, person mappings, the ZKTeco command queue, raw messages and their replay), the
attendance rules of a project and its teams, and the platform's holiday overrides.

Who: device pages need DEVICES_MANAGE with project-wide scope (:func:`setup.wide_projects`); the status
list is also shown read-only to project-wide ATTENDANCE_VIEW roles (owner, supervisor, regulators). Rules
need ATTENDANCE_RULES with project-wide scope; holiday overrides are platform data (platform admins).
A row outside the user's scope is 404 (core.pages.scoped_get); in scope but not site-wide is 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from realname.accounts.roles import Perm
from realname.accounts.scope import is_platform, restrict
from realname.attendance import daycalc, services, setup
from realname.attendance.allowlist import EDGE_COMMANDS_PATH
from realname.attendance.days import DEFAULT_DAY_RULES, AttendanceRules, DayKindChoice, HolidayOverride
from realname.attendance.models import (
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceRole,
    ParseStatus,
    PersonRefKind,
)
from realname.attendance.native import NATIVE_PATH
from realname.attendance.views_devices import HIK_PATH
from realname.core.forms import DATE, ServiceForm, add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get
from realname.orgs.models import Project, Team
from realname.workers.models import Employment, EmploymentStatus

MASK = "••••••••"
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

# --- forms -------------------------------------------------------------------------------------------------


class DeviceForm(ServiceForm):
    class Meta:
        model = Device
        fields = ["kind", "serial", "name", "area", "role", "time_zone"]
        help_texts = {
            "serial": _("须与设备上显示的序列号完全一致（中控设备按序列号识别）"),
            "time_zone": _("留空则使用项目时区；设备上报的本地时间按此时区换算"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            # Phone "devices" are created by the phone check-in itself; corrections by the 补卡 workflow.
            field: Any = self.fields["kind"]
            field.choices = [(k.value, k.label) for k in DeviceKind if k != DeviceKind.PHONE]


class DeviceEditForm(DeviceForm):
    class Meta(DeviceForm.Meta):
        fields = ["serial", "name", "area", "role", "time_zone"]


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=200, required=False)


class EmploymentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        employment: Employment = obj
        team = employment.team.name if employment.team is not None else gettext("无班组")
        return f"{employment.worker.name}（{employment.worker.id_number_masked}）· {team}"


APPLIES_DEVICE, APPLIES_KIND, APPLIES_ALL = "device", "kind", "all"


class MappingForm(forms.Form):
    ref_kind = forms.ChoiceField(label=_("标识类型"), choices=PersonRefKind.choices)
    ref = forms.CharField(label=_("标识"), max_length=64, help_text=_("设备上的工号 PIN、人员编号或卡号"))
    employment = EmploymentChoice(
        queryset=Employment.objects.none(), to_field_name="public_id", label=_("工人（本项目在场）")
    )
    applies_to = forms.ChoiceField(
        label=_("适用范围"),
        choices=[
            (APPLIES_KIND, _("本项目同类型的所有设备")),
            (APPLIES_ALL, _("本项目所有设备")),
            (APPLIES_DEVICE, _("仅本设备")),
        ],
        initial=APPLIES_KIND,
    )

    def __init__(self, *args: Any, employments: QuerySet[Employment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["employment"]
        field.queryset = employments

    def clean_ref(self) -> str:
        ref = str(self.cleaned_data["ref"]).strip()
        if not ref or any(ch.isspace() for ch in ref):
            raise ValidationError(gettext("标识不能为空，也不能含空格"))
        return ref


AUTO_NONE, AUTO_SHIFT_END, AUTO_HOURS = "none", "shift_end", "hours"


class RulesForm(ServiceForm):
    """The rule fields, with the auto clock-out rule split into a choice and a number of hours."""

    auto_mode = forms.ChoiceField(
        label=_("缺少出场打卡时"),
        choices=[
            (AUTO_NONE, _("不自动出场（记为缺卡）")),
            (AUTO_SHIFT_END, _("按下班时间自动出场")),
            (AUTO_HOURS, _("进场后若干小时自动出场")),
        ],
    )
    auto_hours = forms.DecimalField(
        label=_("自动出场小时数"),
        required=False,
        min_value=Decimal("0.5"),
        max_value=Decimal(24),
        decimal_places=2,
        help_text=_("仅在“进场后若干小时自动出场”时填写"),
    )
    recompute_from = forms.DateField(
        label=_("从此日期起重新计算日考勤"),
        required=False,
        widget=DATE,
        help_text=_("留空则已有的日考勤保持原值，只有之后的打卡按新规则计算；最多 %(n)s 天")
        % {"n": setup.MAX_RECOMPUTE_DAYS},
    )

    class Meta:
        model = AttendanceRules
        fields = [
            "work_day_start",
            "shift_start",
            "shift_end",
            "break_start",
            "break_end",
            "late_grace_min",
            "early_grace_min",
            "full_day_hours",
            "half_day_hours",
            "debounce_min",
            "max_day_hours",
        ]
        widgets = {
            "work_day_start": TIME,
            "shift_start": TIME,
            "shift_end": TIME,
            "break_start": TIME,
            "break_end": TIME,
        }
        help_texts = {
            "work_day_start": _("早于此时间的打卡计入前一工作日（夜班跨零点）"),
            "break_start": _("不计工时的休息时段；不设休息时两项都留空"),
            "debounce_min": _("此时间内的重复打卡只计一次"),
            "max_day_hours": _("超过即标记疲劳"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance.auto_clock_out or DEFAULT_DAY_RULES.auto_clock_out
        if rule.startswith("hours:"):
            self.initial.setdefault("auto_mode", AUTO_HOURS)
            self.initial.setdefault("auto_hours", rule.removeprefix("hours:"))
        else:
            self.initial.setdefault("auto_mode", rule)
        self.order_fields([*self._meta.fields, "auto_mode", "auto_hours", "recompute_from"])  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("auto_mode")
        if mode == AUTO_HOURS:
            hours = data.get("auto_hours")
            if hours is None:
                if "auto_hours" not in self.errors:
                    self.add_error("auto_hours", gettext("请填写自动出场的小时数"))
            else:
                data["auto_clock_out"] = f"hours:{hours.normalize():f}"
        elif mode:
            data["auto_clock_out"] = mode
        return data

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        fields["auto_clock_out"] = self.cleaned_data.get("auto_clock_out", DEFAULT_DAY_RULES.auto_clock_out)
        return fields


# The pure rules explain a contradiction in English (rules.DayRules); the page says it in Chinese, on the
# field to change.
RULE_ERRORS: tuple[tuple[str, str | None, Any], ...] = (
    ("half_day_hours", "half_day_hours", _("半天工时须大于 0 且不超过全天工时")),
    ("max_day_hours", "max_day_hours", _("每日工时上限须大于 0")),
    ("shift_start and shift_end", "shift_end", _("上班时间与下班时间不能相同")),
    ("break_start and break_end", "break_end", _("休息开始与结束须同时填写（或同时留空），且不能相同")),
    ("auto_clock_out", "auto_mode", _("自动出场规则无效：小时数须大于 0 且不超过 24")),
    ("crosses the work-day boundary", "work_day_start", _("班次跨越了工作日起始时间，请调整工作日起始时间")),
    ("must not be negative", None, _("分钟数不能为负")),
)


def _rule_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError on the rules form, in Chinese where the pure rules spoke English."""
    if hasattr(exc, "error_dict"):
        fields = dict(exc.error_dict)
        general = fields.pop("__all__", [])
        if fields:
            add_service_errors(form, ValidationError(fields))
        texts = [m for e in general for m in e.messages]
    else:
        texts = list(exc.messages)
    for text in texts:
        hit = next((item for item in RULE_ERRORS if item[0] in text), None)
        if hit is None:
            form.add_error(None, text)
        else:
            form.add_error(hit[1], str(hit[2]))


class HolidayForm(ServiceForm):
    class Meta:
        model = HolidayOverride
        fields = ["date", "kind", "name"]
        widgets = {"date": DATE}
        help_texts = {"name": _("如“国庆节”“调休上班”，可留空")}


# --- helpers -----------------------------------------------------------------------------------------------


def _require_wide(request: HttpRequest, perm: str, project: Project) -> None:
    if not setup.is_wide(request.user, perm, project):
        raise PermissionDenied


def _managed_device(request: HttpRequest, device_id: UUID) -> Device:
    device = scoped_get(request, Device.objects.select_related("project"), Perm.DEVICES_MANAGE, device_id)
    _require_wide(request, Perm.DEVICES_MANAGE, device.project)
    return device


def _device_url(device: Device, name: str = "device_detail") -> str:
    return reverse(f"attendance:{name}", args=[device.public_id])


def _project_today(project: Project) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(project.time_zone)).date()


def _service_error_text(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


# --- device list ------------------------------------------------------------------------------------------


def _device_list(request: HttpRequest, devices: QuerySet[Device], project: Project | None) -> HttpResponse:
    manageable_projects = setup.wide_projects(request.user, Perm.DEVICES_MANAGE)
    page = paginate(request, devices.select_related("project").order_by("project__code", "serial"))
    manageable = set(
        manageable_projects.filter(pk__in={d.project_id for d in page}).values_list("pk", flat=True)
    )
    return render(
        request,
        "attendance/devices/list.html",
        {
            "project": project,
            "page_obj": page,
            "rows": setup.device_statuses(list(page), manageable=manageable),
            "query": query_without_page(request),
            "can_create": project is not None and setup.is_wide(request.user, Perm.DEVICES_MANAGE, project),
            "can_rules": project is not None and setup.is_wide(request.user, Perm.ATTENDANCE_RULES, project),
            "online_minutes": int(setup.ONLINE_WINDOW.total_seconds() // 60),
        },
    )


def _listable_projects(request: HttpRequest) -> QuerySet[Project]:
    view = setup.wide_projects(request.user, Perm.ATTENDANCE_VIEW).values("pk")
    manage = setup.wide_projects(request.user, Perm.DEVICES_MANAGE).values("pk")
    return Project.objects.filter(Q(pk__in=view) | Q(pk__in=manage))


@never_cache
@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    """Every device on the projects where the user sees the whole site."""
    devices = Device.objects.filter(project__in=_listable_projects(request).values("pk"))
    return _device_list(request, devices, None)


@never_cache
@login_required
def project_devices(request: HttpRequest, project_id: UUID) -> HttpResponse:
    project = scoped_get(request, Project.objects.all(), Perm.ATTENDANCE_VIEW, project_id)
    if not _listable_projects(request).filter(pk=project.pk).exists():
        raise PermissionDenied
    return _device_list(request, Device.objects.filter(project=project), project)


# --- registering and changing devices ----------------------------------------------------------------------


@login_required
def device_create(request: HttpRequest, project_id: UUID) -> HttpResponse:
    project = scoped_get(request, Project.objects.all(), Perm.DEVICES_MANAGE, project_id)
    _require_wide(request, Perm.DEVICES_MANAGE, project)
    form = DeviceForm(request.POST or None, initial={"role": DeviceRole.BOTH})
    if request.method == "POST" and form.is_valid():
        try:
            device = services.register_device(project=project, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("已登记设备 %(serial)s") % {"serial": device.serial})
            return redirect("attendance:device_detail", device_id=device.public_id)
    back = reverse("attendance:project_devices", args=[project.public_id])
    title = gettext("登记考勤设备：%(p)s") % {"p": project.code}
    return render(request, "attendance/devices/form.html", {"form": form, "title": title, "back": back})


@login_required
def device_edit(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    form = DeviceEditForm(request.POST or None, instance=device)
    if request.method == "POST" and form.is_valid():
        try:
            setup.update_device(device=device, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("已保存"))
            return redirect("attendance:device_detail", device_id=device.public_id)
    title = gettext("编辑设备：%(d)s") % {"d": device}
    return render(
        request, "attendance/devices/form.html", {"form": form, "title": title, "back": _device_url(device)}
    )


@login_required
@require_POST
def device_set_enabled(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    enabled = request.POST.get("enabled") == "1"
    try:
        setup.set_enabled(device=device, enabled=enabled)
    except ValidationError as exc:
        messages.error(request, _service_error_text(exc))
        return redirect(_device_url(device))
    messages.success(request, gettext("设备已启用") if enabled else gettext("设备已停用"))
    return redirect(_device_url(device))


@login_required
@require_POST
def device_rotate_secret(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    try:
        setup.rotate_secret(device=device)
    except ValidationError as exc:
        messages.error(request, _service_error_text(exc))
        return redirect(_device_url(device))
    messages.warning(request, gettext("已更换设备密钥：请在设备上填入新的地址或密钥，旧的已立即失效"))
    return redirect(_device_url(device))


def _connection(request: HttpRequest, device: Device, secret: str = MASK) -> dict[str, Any]:
    """What to enter on the terminal, for this server as the browser reached it."""
    host = request.get_host()
    domain, port = split_domain_port(host)
    secure = request.is_secure()
    base = f"{request.scheme}://{host}"
    return {
        "domain": domain or host,
        "port": port or ("443" if secure else "80"),
        "https": secure,
        "base": base,
        "hik_path": HIK_PATH.replace("***", secret),
        "hik_url": base + HIK_PATH.replace("***", secret),
        "native_url": base + NATIVE_PATH,
        "edge_commands_url": base + EDGE_COMMANDS_PATH.format(serial=device.serial),
    }


@never_cache
@login_required
def device_detail(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    (status,) = setup.device_statuses([device], manageable={device.project_id})
    return render(
        request,
        "attendance/devices/detail.html",
        {
            "device": device,
            "project": device.project,
            "status": status,
            "conn": _connection(request, device),
            "unknown": setup.unknown_persons(device=device),
            "mapping_count": setup.identities_for(device).count(),
            "commands": list(_commands_of(device)[:10]),
            "raw_messages": list(setup.raw_messages_for(device).order_by("-received_at", "-id")[:10]),
            "failed_raw": setup.raw_messages_for(device).filter(parse_status=ParseStatus.FAILED).count(),
            "replayable": setup.REPLAYABLE_KINDS,
            "reveal_form": RevealForm(),
            "online_minutes": int(setup.ONLINE_WINDOW.total_seconds() // 60),
        },
    )


@never_cache
@login_required
@require_POST
def device_reveal_secret(request: HttpRequest, device_id: UUID) -> HttpResponse:
    """The device credential in plain text: an explicit, audited POST; never in lists or on the detail."""
    device = _managed_device(request, device_id)
    if device.kind not in (DeviceKind.HIKVISION, DeviceKind.NATIVE):
        raise Http404
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        secret = setup.reveal_secret(device=device, reason=reason)
    except ValidationError as exc:
        messages.error(request, _service_error_text(exc))
        return redirect(_device_url(device))
    if device.kind == DeviceKind.HIKVISION:
        label = gettext("%(d)s 的事件推送地址") % {"d": device.serial}
        value = str(_connection(request, device, secret)["hik_url"])
    else:
        label, value = gettext("%(d)s 的接口签名密钥") % {"d": device.serial}, secret
    context = {"label": label, "value": value, "back": _device_url(device), "element_id": "device-secret"}
    template = (
        "attendance/devices/_revealed.html"
        if request.headers.get("HX-Request")
        else "attendance/devices/revealed.html"
    )
    return render(request, template, context)


# --- person mappings --------------------------------------------------------------------------------------


def _employment_choices(request: HttpRequest, device: Device) -> QuerySet[Employment]:
    qs = Employment.objects.filter(project_id=device.project_id, status=EmploymentStatus.ACTIVE)
    return (
        restrict(qs, request.user, Perm.DEVICES_MANAGE)
        .select_related("worker", "team")
        .order_by("worker__name")
    )


@login_required
def device_mappings(request: HttpRequest, device_id: UUID) -> HttpResponse:
    """The mappings that apply to the device (searchable, paginated) and the form to add one."""
    device = _managed_device(request, device_id)
    initial = {
        "ref_kind": request.GET.get("ref_kind") or _default_ref_kind(device),
        "ref": request.GET.get("ref", ""),
        "applies_to": APPLIES_KIND,
    }
    choices = _employment_choices(request, device)
    who = (request.GET.get("who") or "").strip()
    if who and request.method != "POST":  # narrows the picker on a large site; a POST accepts any of them
        choices = choices.filter(worker__name__icontains=who)
    form = MappingForm(request.POST or None, employments=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        applies = data["applies_to"]
        try:
            services.map_person(
                project=device.project,
                ref_kind=data["ref_kind"],
                ref=data["ref"],
                employment=data["employment"],
                device=device if applies == APPLIES_DEVICE else None,
                kind=device.kind if applies == APPLIES_KIND else "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"__all__": "ref"})
            if not form.errors:
                form.add_error("ref", _service_error_text(exc))
        else:
            messages.success(
                request,
                gettext("已映射 %(ref)s → %(name)s")
                % {"ref": data["ref"], "name": data["employment"].worker.name},
            )
            return redirect(_device_url(device, "device_mappings"))
    text = (request.GET.get("q") or "").strip()
    rows = setup.identities_for(device).select_related("employment__worker", "employment__team", "device")
    if text:
        rows = rows.filter(Q(ref__icontains=text) | Q(employment__worker__name__icontains=text))
    return render(
        request,
        "attendance/devices/mappings.html",
        {
            "device": device,
            "project": device.project,
            "form": form,
            "page_obj": paginate(request, rows.order_by("ref_kind", "ref")),
            "query": query_without_page(request),
            "q": text,
            "who": who,
            "can_queue": device.kind == DeviceKind.ZKTECO,
        },
    )


def _default_ref_kind(device: Device) -> str:
    return PersonRefKind.EMPLOYEE_NO if device.kind == DeviceKind.HIKVISION else PersonRefKind.PIN


def _posted_identity(request: HttpRequest, device: Device) -> Any:
    identity = setup.get_identity(
        device=device, ref_kind=request.POST.get("ref_kind", ""), ref=request.POST.get("ref", "")
    )
    if identity is None:
        raise Http404
    return identity


@login_required
@require_POST
def device_unmap(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    identity = _posted_identity(request, device)
    setup.unmap_person(identity=identity)
    messages.success(request, gettext("已删除映射 %(ref)s") % {"ref": identity.ref})
    return redirect(_device_url(device, "device_mappings"))


@login_required
@require_POST
def device_queue_command(request: HttpRequest, device_id: UUID) -> HttpResponse:
    """Queue "update user" (a mapped PIN with the worker's name and card) or "delete user" (a PIN)."""
    device = _managed_device(request, device_id)
    action = request.POST.get("action")
    try:
        if action == "update":
            command = setup.queue_user_update(device=device, identity=_posted_identity(request, device))
        elif action == "delete":
            pin = request.POST.get("ref", "").strip()
            if not pin:
                raise Http404
            command = setup.queue_user_delete(device=device, pin=pin)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _service_error_text(exc))
    else:
        messages.success(request, gettext("已加入命令队列：%(id)s") % {"id": command.command_id})
    page = "device_mappings" if request.POST.get("next_page") == "mappings" else "device_commands"
    return redirect(_device_url(device, page))


def _commands_of(device: Device) -> QuerySet[DeviceCommand]:
    """The device's command queue, newest first, with the worker each person command is about."""
    return (
        DeviceCommand.objects.filter(device=device)
        .select_related("employment__worker")
        .order_by("-command_id")
    )


@never_cache
@login_required
def device_commands(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    status = request.GET.get("status", "")
    rows = _commands_of(device)
    if status in CommandStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "attendance/devices/commands.html",
        {
            "device": device,
            "project": device.project,
            "page_obj": paginate(request, rows),
            "query": query_without_page(request),
            "status": status,
            "statuses": CommandStatus.choices,
        },
    )


# --- raw messages -----------------------------------------------------------------------------------------


@never_cache
@login_required
def device_raw_messages(request: HttpRequest, device_id: UUID) -> HttpResponse:
    device = _managed_device(request, device_id)
    failed_only = request.GET.get("status") == ParseStatus.FAILED
    rows = setup.raw_messages_for(device).order_by("-received_at", "-id")
    if failed_only:
        rows = rows.filter(parse_status=ParseStatus.FAILED)
    return render(
        request,
        "attendance/devices/raw_messages.html",
        {
            "device": device,
            "project": device.project,
            "page_obj": paginate(request, rows),
            "query": query_without_page(request),
            "failed_only": failed_only,
            "replayable": setup.REPLAYABLE_KINDS,
        },
    )


@login_required
@require_POST
def device_replay(request: HttpRequest, device_id: UUID) -> HttpResponse:
    """Replay one failed raw message (``raw``), or all of the device's failed ones (``all``)."""
    device = _managed_device(request, device_id)
    back = _device_url(device, "device_raw_messages")
    try:
        if request.POST.get("all"):
            results = setup.replay_failed(device=device)
            ok = sum(1 for r in results if r.status == ParseStatus.PARSED)
            accepted = sum(r.accepted for r in results)
            messages.success(
                request,
                gettext("已重放 %(n)s 条报文：%(ok)s 条解析成功，新增打卡 %(a)s 条")
                % {"n": len(results), "ok": ok, "a": accepted},
            )
            return redirect(back)
        try:
            raw_id = int(request.POST.get("raw", ""))
        except ValueError:
            raise Http404 from None
        raw = setup.raw_messages_for(device).filter(pk=raw_id).first()
        if raw is None:
            raise Http404
        result = setup.replay_raw_message(device=device, raw=raw)
    except ValidationError as exc:
        messages.error(request, _service_error_text(exc))
        return redirect(back)
    if result.status == ParseStatus.PARSED:
        messages.success(
            request,
            gettext("重放成功：新增打卡 %(a)s 条，重复 %(d)s 条")
            % {"a": result.accepted, "d": result.duplicates},
        )
    else:
        messages.error(request, gettext("重放后仍解析失败，请查看错误信息"))
    return redirect(back)


# --- attendance rules --------------------------------------------------------------------------------------


def _rules_form(request: HttpRequest, instance: AttendanceRules | None) -> RulesForm:
    return RulesForm(request.POST or None, instance=instance or AttendanceRules())


def _save_rules(request: HttpRequest, form: RulesForm, *, project: Project, team: Team | None) -> bool:
    if not form.is_valid():
        return False
    recompute_from = form.cleaned_data.get("recompute_from")
    try:
        _row, result = setup.save_attendance_rules(
            project=project,
            team=team,
            recompute_from=recompute_from,
            today=_project_today(project),
            **form.service_fields(),
        )
    except ValidationError as exc:
        _rule_errors(form, exc)
        return False
    if result is None:
        messages.success(request, gettext("考勤规则已保存；已有的日考勤未重新计算"))
    else:
        messages.success(
            request,
            gettext("考勤规则已保存；已重新计算：新增 %(c)s 条，更新 %(u)s 条，未变 %(n)s 条")
            % {"c": result.created, "u": result.updated, "n": result.unchanged},
        )
    return True


@login_required
def project_rules(request: HttpRequest, project_id: UUID) -> HttpResponse:
    project = scoped_get(request, Project.objects.all(), Perm.ATTENDANCE_RULES, project_id)
    _require_wide(request, Perm.ATTENDANCE_RULES, project)
    own, team_rules = setup.rules_of(project)
    form = _rules_form(request, own)
    if request.method == "POST" and _save_rules(request, form, project=project, team=None):
        return redirect("attendance:project_rules", project_id=project.public_id)
    overridden = {row.team_id for row in team_rules}
    teams = [t for t in Team.objects.filter(project=project).order_by("name") if t.pk not in overridden]
    return render(
        request,
        "attendance/settings/rules.html",
        {
            "project": project,
            "form": form,
            "own": own,
            "team_rules": team_rules,
            "teams_without": teams,
            "can_holidays": is_platform(request.user, Perm.ATTENDANCE_RULES),
        },
    )


@login_required
def team_rules(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team = scoped_get(request, Team.objects.select_related("project"), Perm.ATTENDANCE_RULES, team_id)
    project = team.project
    _require_wide(request, Perm.ATTENDANCE_RULES, project)
    row = AttendanceRules.objects.filter(project=project, team=team).first()
    if row is None:
        # A new override starts from the project's rules (or the platform defaults), not from blank fields.
        own, _teams = setup.rules_of(project)
        start = AttendanceRules(project=project, team=team)
        if own is not None:
            for name in [*RulesForm.Meta.fields, "auto_clock_out"]:
                setattr(start, name, getattr(own, name))
        form = RulesForm(request.POST or None, instance=start)
    else:
        form = _rules_form(request, row)
    if request.method == "POST" and _save_rules(request, form, project=project, team=team):
        return redirect("attendance:project_rules", project_id=project.public_id)
    return render(
        request,
        "attendance/settings/team_rules.html",
        {"project": project, "team": team, "form": form, "row": row},
    )


@login_required
@require_POST
def team_rules_delete(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team = scoped_get(request, Team.objects.select_related("project"), Perm.ATTENDANCE_RULES, team_id)
    _require_wide(request, Perm.ATTENDANCE_RULES, team.project)
    row = AttendanceRules.objects.filter(project=team.project, team=team).first()
    if row is None:
        raise Http404
    setup.remove_team_rules(rules=row)
    messages.success(request, gettext("已删除班组 %(t)s 的单独规则，改用项目规则") % {"t": team.name})
    return redirect("attendance:project_rules", project_id=team.project.public_id)


# --- holiday overrides -------------------------------------------------------------------------------------


def _require_platform(request: HttpRequest) -> None:
    require(request, Perm.ATTENDANCE_RULES)
    if not is_platform(request.user, Perm.ATTENDANCE_RULES):
        raise PermissionDenied


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= 2100:
        raise Http404
    return year


MONTH_WEEKS = 6


def _months(days: list[setup.CalendarDay]) -> list[dict[str, Any]]:
    """The year as 12 month grids (weeks × Monday…Sunday, None outside the month)."""
    months: list[dict[str, Any]] = []
    for month in range(1, 13):
        in_month = [d for d in days if d.date.month == month]
        lead = in_month[0].date.weekday()
        cells: list[setup.CalendarDay | None] = [None] * lead + list(in_month)
        cells += [None] * (-len(cells) % 7)
        months.append({"month": month, "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)]})
    return months


@never_cache
@login_required
def holidays(request: HttpRequest) -> HttpResponse:
    """The year's overrides and the calendar that results from them."""
    _require_platform(request)
    year = _year(request)
    days = setup.year_calendar(year)
    special = [d for d in days if d.overridden or d.kind in ("holiday", "in_lieu_rest", "adjusted_workday")]
    return render(
        request,
        "attendance/settings/holidays.html",
        {
            "year": year,
            "overrides": HolidayOverride.objects.filter(date__year=year).order_by("date"),
            "special": special,
            "months": _months(days),
            "kinds": DayKindChoice.choices,
        },
    )


@login_required
def holiday_edit(request: HttpRequest) -> HttpResponse:
    """Add or change the override of one date (GET ?date= fills the form with the stored one)."""
    _require_platform(request)
    existing = None
    if request.method != "POST" and request.GET.get("date"):
        try:
            existing = HolidayOverride.objects.filter(date=dt.date.fromisoformat(request.GET["date"])).first()
        except ValueError:
            raise Http404 from None
    form = HolidayForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        try:
            row = daycalc.set_holiday_override(**form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("已设置 %(d)s 为 %(k)s") % {"d": row.date.isoformat(), "k": row.get_kind_display()},
            )
            return redirect(f"{reverse('attendance:holidays')}?year={row.date.year}")
    return render(
        request,
        "attendance/settings/holiday_form.html",
        {"form": form, "back": reverse("attendance:holidays")},
    )


@login_required
@require_POST
def holiday_delete(request: HttpRequest) -> HttpResponse:
    _require_platform(request)
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        raise Http404 from None
    row = HolidayOverride.objects.filter(date=day).first()
    if row is None:
        raise Http404
    setup.delete_holiday_override(override=row)
    messages.success(request, gettext("已删除 %(d)s 的调整，恢复为法定日历") % {"d": day.isoformat()})
    return redirect(f"{reverse('attendance:holidays')}?year={day.year}")
