"""Page forms: the inbox filter and the delivery preferences."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from realname.accounts.models import User
from realname.notifications import kinds, selectors
from realname.notifications.models import NotificationPreference


class InboxFilter(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False)
    project = forms.ChoiceField(label=_("项目"), required=False)
    unread = forms.BooleanField(label=_("只看未读"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            ("", _("全部")),
            *((k, kinds.label(k)) for k in selectors.inbox_kinds(user)),
        ]
        cast(forms.ChoiceField, self.fields["project"]).choices = [
            ("", _("全部")),
            *((str(p.public_id), f"{p.code} {p.name}") for p in selectors.inbox_projects(user)),
        ]


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "email_min_level", "sms_enabled", "sms_min_level"]
