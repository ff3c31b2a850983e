from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_ui_is_chinese_whatever_the_browser_prefers_until_the_user_switches() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "zh-hans"
    assert 'lang="zh-hans"' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert client.get("/accounts/login/")["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_stylesheet_and_htmx_are_served_by_the_application_itself() -> None:
    client = Client()
    for path in ("/static/realname/app.css", "/static/django_htmx/htmx-2.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path


def test_an_accounts_preferred_language_applies_when_no_switch_was_used(world) -> None:  # type: ignore[no-untyped-def]
    from realname.testing import PASSWORD

    world.alice.preferred_language = "en"
    world.alice.save(update_fields=["preferred_language"])
    client = Client()
    client.login(username="alice", password=PASSWORD)
    assert client.get("/")["Content-Language"] == "en"
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert client.get("/")["Content-Language"] == "zh-hans"
