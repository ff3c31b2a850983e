"""Accounts: the custom user, memberships (role + scope) and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.accounts.roles import Role

if TYPE_CHECKING:
    from realname.workers.models import Worker


class User(AbstractUser):
    """A person who logs in: a clerk, a manager, an inspector or a worker on a phone."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    preferred_language = models.CharField(_("界面语言"), max_length=10, blank=True, default="zh-hans")

    if TYPE_CHECKING:
        worker: Worker | None

    def __str__(self) -> str:
        return self.display_name or self.username


class ScopeKind(models.TextChoices):
    PLATFORM = "platform", _("全平台")
    COMPANY = "company", _("本企业全部项目")
    PROJECTS = "projects", _("指定项目")
    REGION = "region", _("行政区划")
    SELF = "self", _("本人")


class Membership(models.Model):
    """A user's role within a scope: the whole platform, one company, some projects, or a region."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    scope_kind = models.CharField(_("范围"), max_length=20, choices=ScopeKind.choices)
    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    projects = models.ManyToManyField("orgs.Project", blank=True, related_name="memberships")
    region_prefix = models.CharField(_("行政区划前缀"), max_length=6, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        constraints = [
            models.CheckConstraint(
                name="membership_scope_shape",
                condition=(
                    Q(scope_kind="platform", company__isnull=True, region_prefix="")
                    | Q(scope_kind__in=["company", "projects"], company__isnull=False, region_prefix="")
                    | Q(scope_kind="region", company__isnull=True, region_prefix__regex=r"^[0-9]{2,6}$")
                    | Q(scope_kind="self", region_prefix="")
                ),
            ),
            models.CheckConstraint(
                name="membership_platform_role_only_platform_scope",
                condition=~Q(role="platform_admin") | Q(scope_kind="platform"),
            ),
            models.CheckConstraint(
                name="membership_regulator_region_scope",
                condition=~Q(role="regulator") | Q(scope_kind="region"),
            ),
        ]

    def __str__(self) -> str:
        where = self.company or self.region_prefix or self.get_scope_kind_display()
        return f"{self.user} · {self.get_role_display()} · {where}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    PREFIX = "rn_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user} {self.key_prefix}…"

    @classmethod
    def new_token_text(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
