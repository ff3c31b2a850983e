"""Page forms for companies, projects, sections, participants and teams.

The forms only parse input: rows are validated and saved by orgs.services, whose ValidationErrors come
back onto the form through :func:`add_service_errors`. Related rows are chosen by their public UUID.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from realname.core.forms import DATE, ServiceForm, uuid_choice
from realname.orgs.models import Company, Participant, Project, Section, Team
from realname.workers.models import Worker


def _dates_in_order(form: forms.BaseForm, start: str, end: str, message: str) -> None:
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first:
        form.add_error(end, message)


# --- geofence ----------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"\s*[,，\s]\s*")


Point = tuple[Decimal, Decimal]


def _orientation(a: Point, b: Point, c: Point) -> Decimal:
    # Exact in Decimal (6-decimal inputs), so collinear points give exactly zero.
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(a: Point, b: Point, c: Point) -> bool:  # c lies on segment ab (given collinear)
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    return (
        (d1 == 0 and on(q1, q2, p1))
        or (d2 == 0 and on(q1, q2, p2))
        or (d3 == 0 and on(p1, p2, q1))
        or (d4 == 0 and on(p1, p2, q2))
    )


def parse_polygon(text: str) -> list[list[float]] | None:
    """``"lat,lng"`` lines → ``[[lat, lng], …]`` (WGS-84, 6 decimals); None for empty text.

    Raises ValidationError (Chinese message naming the line) for a bad point, fewer than 3 distinct
    points, points on one line, or edges that cross each other.
    """
    points: list[tuple[Decimal, Decimal]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        if len(parts) != 2:
            raise ValidationError(
                gettext("第 %(n)s 行应为“纬度,经度”：%(line)s") % {"n": number, "line": line}
            )
        try:
            lat, lng = (Decimal(p).quantize(Decimal("0.000001")) for p in parts)
        except InvalidOperation:
            raise ValidationError(
                gettext("第 %(n)s 行不是数字：%(line)s") % {"n": number, "line": line}
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValidationError(
                gettext("第 %(n)s 行超出范围（纬度 -90~90，经度 -180~180）：%(line)s")
                % {"n": number, "line": line}
            )
        points.append((lat, lng))
    if not points:
        return None
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()  # a closed ring repeats its first point; store it open
    if len(set(points)) < 3:
        raise ValidationError(gettext("多边形围栏至少需要 3 个不同的点"))
    if len(set(points)) != len(points):
        raise ValidationError(gettext("多边形围栏的点不能重复"))
    ring = points
    if all(_orientation(ring[0], ring[1], c) == 0 for c in ring[2:]):
        raise ValidationError(gettext("多边形围栏的点不能在同一条直线上"))
    n = len(ring)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbouring edges share a corner
            if _segments_cross(ring[i], ring[(i + 1) % n], ring[j], ring[(j + 1) % n]):
                raise ValidationError(gettext("多边形围栏的边不能相交，请按顺序填写各点"))
    return [[float(lat), float(lng)] for lat, lng in ring]


def polygon_text(polygon: Any) -> str:
    if not polygon:
        return ""
    return "\n".join(f"{lat},{lng}" for lat, lng in polygon)


# --- companies ---------------------------------------------------------------------------------------------


class CompanyForm(ServiceForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "credit_code",
            "registration_type",
            "region_code",
            "address",
            "legal_representative",
            "contact_name",
            "contact_phone",
        ]
        help_texts = {"credit_code": _("18位，含校验位"), "region_code": _("6位行政区划代码，如 110105")}


# --- projects ----------------------------------------------------------------------------------------------


class ProjectForm(ServiceForm):
    fence_polygon_text = forms.CharField(
        label=_("围栏多边形"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "39.9087,116.3975\n39.9090,116.4010\n39.9060,116.4000"}
        ),
        help_text=_("每行一个点“纬度,经度”，至少 3 个点；与圆形围栏二选一"),
    )

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "category",
            "status",
            "region_code",
            "address",
            "time_zone",
            "start_date",
            "end_date",
            "fence_lat",
            "fence_lng",
            "fence_radius_m",
            "wage_bank_code",
            "wage_account_name",
            "wage_account_number",
            "wage_bank_branch",
        ]
        widgets = {"start_date": DATE, "end_date": DATE}
        help_texts = {
            "region_code": _("6位行政区划代码，如 110105"),
            "fence_radius_m": _("圆形围栏：中心纬度、经度和半径一起填写"),
        }

    field_order = [*Meta.fields[:12], "fence_polygon_text"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.fence_polygon:
            self.initial["fence_polygon_text"] = polygon_text(self.instance.fence_polygon)

    def clean_fence_polygon_text(self) -> list[list[float]] | None:
        return parse_polygon(self.cleaned_data.get("fence_polygon_text") or "")

    def clean_wage_account_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data.get("wage_account_number") or "")
        if number and not number.isdigit():
            raise ValidationError(gettext("专户账号只能包含数字"))
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _dates_in_order(self, "start_date", "end_date", gettext("竣工日期不能早于开工日期"))
        circle = {name: data.get(name) for name in ("fence_lat", "fence_lng", "fence_radius_m")}
        filled = [name for name, value in circle.items() if value is not None]
        if filled and len(filled) < 3:
            for name, value in circle.items():
                if value is None and name not in self.errors:
                    self.add_error(name, gettext("圆形围栏需同时填写中心纬度、经度和半径"))
        if circle["fence_radius_m"] == 0:
            self.add_error("fence_radius_m", gettext("半径必须大于 0"))
        if filled and data.get("fence_polygon_text"):
            self.add_error("fence_polygon_text", gettext("圆形围栏和多边形围栏只能填写一种"))
        return data

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        fields["fence_polygon"] = self.cleaned_data.get("fence_polygon_text")
        return fields


class ProjectCreateForm(ProjectForm):
    """A new project; its general contractor is the user's company (a choice only when they have several)."""

    def __init__(self, *args: Any, contractors: models.QuerySet[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = uuid_choice(contractors, _("总承包单位"), required=True)
        choices = list(contractors[:2])
        if len(choices) == 1:
            field.disabled = True  # shown for information; the value is always the user's one company
            self.initial["general_contractor"] = choices[0]
        self.fields["general_contractor"] = field
        self.order_fields(["general_contractor", *self.fields])


# --- sections ----------------------------------------------------------------------------------------------


class SectionForm(ServiceForm):
    class Meta:
        model = Section
        fields = ["code", "name"]


# --- participants ------------------------------------------------------------------------------------------


class ParticipantForm(ServiceForm):
    section = uuid_choice(Section.objects.none(), _("标段"))

    class Meta:
        model = Participant
        fields = ["role", "section", "entry_date", "exit_date", "manager_name", "manager_phone"]
        widgets = {"entry_date": DATE, "exit_date": DATE}

    def __init__(self, *args: Any, sections: models.QuerySet[Section], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = sections  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _dates_in_order(self, "entry_date", "exit_date", gettext("退场日期不能早于进场日期"))
        return data


class ParticipantCreateForm(ParticipantForm):
    """A participant for an existing company in the user's view, or for a company registered here by name."""

    company = uuid_choice(Company.objects.none(), _("已有企业"))
    new_company_name = forms.CharField(label=_("或新企业名称"), max_length=200, required=False)
    new_company_credit_code = forms.CharField(
        label=_("新企业统一社会信用代码"), max_length=30, required=False
    )

    field_order = ["company", "new_company_name", "new_company_credit_code", "role", "section"]

    def __init__(self, *args: Any, companies: models.QuerySet[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_new = bool(
            (data.get("new_company_name") or "").strip()
            or (data.get("new_company_credit_code") or "").strip()
        )
        if data.get("company") and has_new:
            self.add_error("company", gettext("请选择已有企业，或填写新企业，不要同时填写"))
        elif not data.get("company") and not has_new and "company" not in self.errors:
            self.add_error("company", gettext("请选择已有企业，或填写新企业的名称和统一社会信用代码"))
        elif has_new:
            if not (data.get("new_company_name") or "").strip():
                self.add_error("new_company_name", gettext("请填写新企业名称"))
            if not (data.get("new_company_credit_code") or "").strip():
                self.add_error("new_company_credit_code", gettext("请填写新企业的统一社会信用代码"))
        return data


# --- teams -------------------------------------------------------------------------------------------------


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        worker: Worker = obj
        return f"{worker.name}（{worker.id_number_masked}）"


class TeamForm(ServiceForm):
    participant = uuid_choice(Participant.objects.none(), _("参建单位"), required=True)
    leader = LeaderChoiceField(
        queryset=Worker.objects.none(),
        to_field_name="public_id",
        required=False,
        label=_("班组长"),
        help_text=_("本项目在场的工人"),
    )
    section = uuid_choice(Section.objects.none(), _("标段"))

    class Meta:
        model = Team
        fields = ["participant", "name", "leader", "section", "entry_date", "exit_date"]
        widgets = {"entry_date": DATE, "exit_date": DATE}

    def __init__(
        self,
        *args: Any,
        participants: models.QuerySet[Participant],
        leaders: models.QuerySet[Worker],
        sections: models.QuerySet[Section],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants  # type: ignore[attr-defined]
        self.fields["leader"].queryset = leaders  # type: ignore[attr-defined]
        self.fields["section"].queryset = sections  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _dates_in_order(self, "entry_date", "exit_date", gettext("退场日期不能早于进场日期"))
        return data


# --- list filters ------------------------------------------------------------------------------------------


class CompanyFilter(forms.Form):
    q = forms.CharField(label=_("名称或信用代码"), required=False)


class ProjectFilter(forms.Form):
    q = forms.CharField(label=_("编码或名称"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    category = forms.ChoiceField(label=_("分类"), required=False)
    region = forms.CharField(label=_("行政区划"), required=False, max_length=6)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("status", "category"):
            field: Any = self.fields[name]
            model_field: Any = Project._meta.get_field(name)
            field.choices = [("", gettext("全部")), *(model_field.choices or [])]

    def value(self, name: str) -> str:
        return str(self.cleaned_data.get(name) or "") if self.is_valid() else ""


class TeamFilter(forms.Form):
    project = uuid_choice(Project.objects.none(), _("项目"))
    participant = uuid_choice(Participant.objects.none(), _("参建单位"))
    q = forms.CharField(label=_("班组或班组长"), required=False)

    def __init__(
        self,
        *args: Any,
        projects: models.QuerySet[Project],
        participants: models.QuerySet[Participant],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["participant"].queryset = participants  # type: ignore[attr-defined]
