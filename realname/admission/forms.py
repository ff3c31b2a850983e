"""Forms of the admission pages: blacklisting, taking off, age policy lines, trade risk classes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from realname.admission.models import AgePolicy, BlacklistLevel, RiskClass
from realname.core import dictionaries
from realname.orgs.models import Company, Project


class BlacklistForm(forms.Form):
    level = forms.ChoiceField(label=_("范围"), choices=BlacklistLevel.choices)
    company = forms.ModelChoiceField(label=_("企业"), queryset=Company.objects.none(), required=False)
    project = forms.ModelChoiceField(label=_("项目"), queryset=Project.objects.none(), required=False)
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空表示直到解除"),
    )

    def __init__(
        self, *args: Any, companies: QuerySet[Company], projects: QuerySet[Project], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        company_field = self.fields["company"]
        project_field = self.fields["project"]
        assert isinstance(company_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        assert isinstance(project_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        company_field.queryset = companies
        project_field.queryset = projects


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("解除原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class AgePolicyForm(forms.ModelForm):
    class Meta:
        model = AgePolicy
        fields = ["name", "project", "region_prefix", "sex", "risk_class", "min_age", "max_age", "source"]

    def __init__(self, *args: Any, projects: QuerySet[Project], platform: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)  # noqa: S101 - a foreign key
        project_field.queryset = projects
        self.platform = platform
        if not platform:
            project_field.required = True
            del self.fields["region_prefix"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("project") is not None and data.get("region_prefix"):
            self.add_error("region_prefix", _("项目规则与地区规则二选一"))
        prefix = data.get("region_prefix") or ""
        if prefix and not prefix.isdigit():
            self.add_error("region_prefix", _("地区代码前缀只能是数字，如 31 或 3101"))
        return data


class TradeRiskForm(forms.Form):
    """Set a trade's risk class, whether or not it is listed yet (a plain form: no unique check)."""

    trade = forms.ChoiceField(label=_("工种"), choices=dictionaries.choices("trades"))
    risk_class = forms.ChoiceField(label=_("风险类别"), choices=RiskClass.choices)
