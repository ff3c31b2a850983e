"""Forms for the bank batch pages. The services do every check that matters; these only read the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from realname.bank.services import MAX_RETURN_BYTES


class CreateForm(forms.Form):
    """Which approved sheets go into the batch (checkboxes), and in which file layout."""

    def __init__(self, *args: Any, sheets: QuerySet[Any], layouts: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sheets"] = forms.ModelMultipleChoiceField(
            queryset=sheets,
            to_field_name="public_id",
            widget=forms.CheckboxSelectMultiple,
            label=_("总承包单位已审核的工资表"),
            error_messages={"required": _("请选择要代发的工资表")},
        )
        self.fields["layout"] = forms.ModelChoiceField(
            queryset=layouts,
            to_field_name="public_id",
            required=False,
            label=_("代发文件格式"),
            empty_label=_("按专户开户银行自动选择"),
        )


class ReturnForm(forms.Form):
    file = forms.FileField(
        label=_("回盘文件"), help_text=_(".xlsx 或 .csv，不超过 5 MB；列按该批次的代发文件格式读取")
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_RETURN_BYTES:
            raise forms.ValidationError(_("回盘文件不能超过 5 MB"))
        return upload


class ReissueForm(forms.Form):
    confirm_same_card = forms.BooleanField(
        label=_("仍用原卡补发"),
        required=False,
        help_text=_("仅当银行说明的失败原因与卡号无关（如账户冻结已解除）时勾选，并写明原因"),
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("核对结果"),
        choices=[("paid", _("已到账")), ("failed", _("发放失败"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("核对依据"), max_length=300, help_text=_("如银行回单号、流水号"))
    reason = forms.CharField(label=_("失败原因"), max_length=300, required=False)
