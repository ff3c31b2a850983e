"""Forms for the pay pages. Rows are chosen by their public UUID; the services do every check that matters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.forms import uuid_choice
from realname.payroll.calc import ITEM_KINDS
from realname.payroll.models import PieceOvertime

_MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}


class PeriodForm(forms.Form):
    def __init__(self, *args: Any, projects: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"] = uuid_choice(projects, _("项目"), required=True)
        self.order_fields(["project", "month", "pay_date"])

    month = forms.CharField(
        label=_("计薪月份"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
        help_text=_("格式：年-月，如 2026-10"),
    )
    pay_date = forms.DateField(
        label=_("发薪日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空则取合同约定的发薪日（次月），遇休息日、节假日提前"),
    )

    def clean_month(self) -> dt.date:
        return self.clean_month_text(self.cleaned_data["month"])

    @staticmethod
    def clean_month_text(value: str) -> dt.date:
        text = value.strip()
        try:
            year, month = (int(part) for part in text.split("-")[:2])
            return dt.date(year, month, 1)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("请按“年-月”填写，如 2026-10")) from None


def _item_choices() -> list[tuple[str, Any]]:
    labels = {"addition": _("增发"), "deduction": _("扣款")}
    return [
        (f"{direction}:{kind}", f"{labels[direction]} · {_(label)}")
        for direction, kinds in ITEM_KINDS.items()
        for kind, label in kinds.items()
    ]


class _EmploymentChoice(forms.ModelChoiceField):
    """An employment chosen by its public UUID, shown as the worker's name and team."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.worker.name}（{obj.team.name if obj.team else '—'}）"


def _employment_field(employments: QuerySet[Any]) -> forms.ModelChoiceField:
    return _EmploymentChoice(queryset=employments, to_field_name="public_id", required=True, label=_("工人"))


class ItemForm(forms.Form):
    def __init__(self, *args: Any, employments: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employment"] = _employment_field(employments)
        self.order_fields(["employment", "item", "amount", "note"])

    item = forms.ChoiceField(label=_("项目"), choices=_item_choices)
    amount = forms.DecimalField(label=_("金额（元）"), **_MONEY)  # type: ignore[arg-type]
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def split_item(self) -> tuple[str, str]:
        direction, kind = self.cleaned_data["item"].split(":", 1)
        return direction, kind


class PieceForm(forms.Form):
    def __init__(self, *args: Any, employments: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employment"] = _employment_field(employments)
        self.order_fields(["employment", "description", "quantity", "unit", "unit_price", "overtime"])

    description = forms.CharField(label=_("工作内容"), max_length=100)
    quantity = forms.DecimalField(
        label=_("数量"), max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    unit = forms.ChoiceField(label=_("计量单位"), choices=lambda: dictionaries.choices("units"))
    unit_price = forms.DecimalField(
        label=_("单价（元）"),
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("留空则取该工人计件合同的单价"),
    )
    overtime = forms.ChoiceField(label=_("加班"), choices=PieceOvertime.choices, required=False)


class NoteForm(forms.Form):
    """A note (optional) or a reason (required) for a workflow step."""

    def __init__(self, *args: Any, required: bool = False, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        if label is not None:
            self.fields["note"].label = label

    note = forms.CharField(label=_("说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DisputeForm(forms.Form):
    def __init__(self, *args: Any, parts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [("", _("整体（不针对某一项）")), *parts]  # type: ignore[attr-defined]

    part = forms.ChoiceField(label=_("对哪一项有异议"), required=False)
    reason = forms.CharField(
        label=_("异议原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：10月17日我上了班"),
    )


class DepositForm(forms.Form):
    def __init__(self, *args: Any, projects: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"] = uuid_choice(projects, _("项目"), required=True)
        self.order_fields(["project", "received_on", "for_month", "amount", "payer", "reference", "note"])

    received_on = forms.DateField(label=_("到账日期"), widget=forms.DateInput(attrs={"type": "date"}))
    for_month = forms.CharField(
        label=_("所属月份"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
        help_text=_("这笔钱支付哪个月的工资"),
    )
    amount = forms.DecimalField(
        label=_("金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    payer = forms.CharField(label=_("付款单位"), max_length=200, help_text=_("如建设单位名称"))
    reference = forms.CharField(label=_("银行流水号"), max_length=80, required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean_for_month(self) -> dt.date:
        return PeriodForm.clean_month_text(self.cleaned_data["for_month"])
