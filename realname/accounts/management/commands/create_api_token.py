"""``manage.py create_api_token USERNAME [--name NAME]``: issue a personal API token and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.core.context import acting_as


class Command(BaseCommand):
    help = "为用户签发个人 API 令牌并打印（只显示这一次）/ Issue a personal API token and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="令牌用途说明 / what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在 / no such user: {options['username']}")
        if not user.is_active:
            raise CommandError(f"用户已停用 / user is inactive: {user.username}")
        with acting_as(None, via="command"):
            issued = create_api_token(user=user, name=options["name"])
        self.stderr.write(
            f"已为 {user.username} 签发令牌 {issued.token.key_prefix}…；请妥善保存，它不会再次显示。"
        )
        # The token alone on stdout, so scripts can capture it: TOKEN=$(manage.py create_api_token alice)
        self.stdout.write(issued.text)
