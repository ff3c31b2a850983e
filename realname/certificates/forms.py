"""Page forms: they parse input; certificates.services validates, saves and audits (see core.forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from realname.certificates.models import (
    Certificate,
    CertificateType,
    RenewalKind,
    TradeRule,
    VerificationStatus,
)
from realname.certificates.services import TYPE_FIELDS
from realname.core.forms import DATE, ServiceForm
from realname.orgs.models import Project
from realname.workers.forms import ListFilterForm, ProjectChoiceField, clean_upload

SCAN_TYPES = ("pdf", "jpg", "jpeg", "png")


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        kind: CertificateType = obj
        return f"{kind.get_regime_display()} · {kind.name}"


class TypesChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        kind: CertificateType = obj
        return f"{kind.get_regime_display()} · {kind.name}"


class CertificateForm(ServiceForm):
    """Add or correct a certificate as printed. The holder's ID number is compared with the worker's and
    kept only masked; on an edit it is asked again only if the holder details are being corrected."""

    type = TypeChoiceField(
        queryset=CertificateType.objects.none(), to_field_name="public_id", label=_("证书类型")
    )
    number = forms.CharField(
        label=_("证书编号"), max_length=80, help_text=_("同一证书类型内唯一；加密保存，页面上只显示掩码")
    )
    holder_id_number = forms.CharField(
        label=_("持证人证件号码"), max_length=40, help_text=_("按证书上印的填写，须与该工人的证件号码一致")
    )

    class Meta:
        model = Certificate
        fields = [
            "type",
            "number",  # declared above: not a model field (stored encrypted)
            "holder_name",
            "issuing_authority",
            "issue_date",
            "expires_on",
            "last_reviewed_on",
            "next_review_on",
        ]
        widgets = {
            "issue_date": DATE,
            "expires_on": DATE,
            "last_reviewed_on": DATE,
            "next_review_on": DATE,
        }
        help_texts = {
            "expires_on": _("留空则按发证日期和证书类型的有效期计算"),
            "next_review_on": _("留空则按证书类型的复审周期计算"),
            "last_reviewed_on": _("已复审过的证书填写最近一次复审日期"),
        }

    def __init__(self, *args: Any, types: models.QuerySet[CertificateType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = types  # type: ignore[attr-defined]
        self.fields["expires_on"].required = False
        if self.instance.pk:
            # The number is never put back into the form in clear: blank keeps it, a value replaces it.
            self.fields["number"].required = False
            self.fields["number"].help_text = _("已登记：%(masked)s；如需更正证书编号才填写") % {
                "masked": self.instance.number_masked
            }
            self.fields["holder_id_number"].required = False
            self.fields["holder_id_number"].help_text = _(
                "已登记：%(masked)s；如需更正持证人证件号码才填写"
            ) % {"masked": self.instance.holder_id_masked}
            self.fields.pop("last_reviewed_on")

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        fields["number"] = self.cleaned_data.get("number") or ""
        if self.instance.pk and not fields["number"]:
            fields.pop("number")
        fields["holder_id_number"] = self.cleaned_data.get("holder_id_number") or ""
        if self.instance.pk and not fields["holder_id_number"]:
            fields.pop("holder_id_number")
        # A blank expiry or next review reaches the service as None: worked out from the type's rule there.
        return fields


class VerifyForm(forms.Form):
    status = forms.ChoiceField(
        label=_("核验结果"),
        choices=[
            (VerificationStatus.VERIFIED, _("与发证机关登记一致")),
            (VerificationStatus.REJECTED, _("核验不符")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明"), max_length=300, required=False, help_text=_("如：查询平台、查询结果；核验不符时必填")
    )


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("办理事项"), choices=RenewalKind.choices, widget=forms.RadioSelect)
    reviewed_on = forms.DateField(label=_("办理日期"), widget=DATE)
    new_date = forms.DateField(
        label=_("新日期"),
        required=False,
        widget=DATE,
        help_text=_("复审：下次复审日期；延期复核：新的有效期至。留空按证书类型规则计算"),
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class ScanForm(forms.Form):
    file = forms.FileField(
        label=_("扫描件"),
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=_("pdf / jpg / png，不超过 10 MB"),
    )
    caption = forms.CharField(label=_("说明"), max_length=60, required=False, help_text=_("如：正面、背面"))

    def clean_file(self) -> Any:
        return clean_upload(self.cleaned_data.get("file"), SCAN_TYPES)


class DeleteForm(forms.Form):
    reason = forms.CharField(label=_("删除原因"), max_length=300)


class CertificateTypeForm(ServiceForm):
    class Meta:
        model = CertificateType
        fields = list(TYPE_FIELDS)


class TradeRuleForm(ServiceForm):
    project = ProjectChoiceField(
        queryset=Project.objects.none(),
        to_field_name="public_id",
        required=False,
        label=_("项目"),
        help_text=_("留空为全平台规则；项目规则替代该工种的全平台规则"),
    )
    types = TypesChoiceField(
        queryset=CertificateType.objects.none(),
        to_field_name="public_id",
        label=_("可满足的证书类型（持有其一即可）"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = TradeRule
        fields = ["project", "trade", "label", "types"]

    def __init__(
        self,
        *args: Any,
        projects: models.QuerySet[Project],
        platform: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["project"].required = not platform
        self.fields["types"].queryset = CertificateType.objects.filter(active=True).order_by("regime", "code")  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields.pop("project")
            self.initial["types"] = list(self.instance.types.all())


class ExpiringFilterForm(ListFilterForm):
    project = ProjectChoiceField(
        queryset=Project.objects.none(), to_field_name="public_id", required=False, label=_("项目")
    )
    days = forms.IntegerField(label=_("天内到期或待复审"), min_value=0, max_value=3660, required=False)

    def __init__(self, *args: Any, projects: models.QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
