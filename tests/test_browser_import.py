"""A person in a real browser: log in, import a filled template through the page, see the roster."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from realname.core import synthetic
from realname.testing import PASSWORD, build_world, rng

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("REALNAME_REQUIRE_BROWSER"):
            pytest.fail(
                f"Chromium is required here (REALNAME_REQUIRE_BROWSER is set) but {CHROMIUM} is missing"
            )
        pytest.skip("no Chromium on this machine")
    # Playwright's sync API runs an event loop in this thread; the ORM calls below happen outside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
            ],
        )
        page = browser.new_page(locale="zh-CN")
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            browser.close()


def _filled_template(path: Path, credit_code: str, n: int) -> list[str]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "手机号", "工种", "班组", "参建单位", "银行卡号", "开户银行", "进场日期"])
    names = []
    for i in range(n):
        import datetime as dt

        sex = "M" if i % 3 else "F"
        birth = synthetic.birth_date_for_age(rng(), age_min=20, age_max=55, today=dt.date(2026, 11, 25))
        name = synthetic.person_name(rng(), sex) + "浏览器"
        names.append(name)
        _code, bank, card = synthetic.bank_card(rng())
        ws.append(
            [
                name,
                synthetic.id_number(rng(), birth_date=birth, sex=sex),
                synthetic.mobile(rng()),
                "钢筋工",
                "浏览器测试班",
                credit_code,
                card,
                bank,
                "2026-03-02",
            ]
        )
    wb.save(path)
    return names


def test_a_labour_manager_imports_a_template_and_sees_the_roster(
    browser_page: Any, live_server: Any, tmp_path: Path
) -> None:
    world = build_world()
    upload = tmp_path / "workers.xlsx"
    names = _filled_template(upload, world.company_a.credit_code, 3)
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/workers/import/")
    page.select_option("select[name=project]", str(world.p1.public_id))
    page.set_input_files("input[type=file]", str(upload))
    page.click("form#import-form button[type=submit]")
    page.wait_for_selector("text=导入成功")

    page.goto(f"{live_server.url}/workers/?project={world.p1.public_id}")
    roster = page.inner_text("main")
    for name in names:
        assert name in roster
    assert "张甲" in roster  # the people who were already there are still on the roster
