"""The English interface: the header switch changes the language, and the committed catalogue is complete.

The msgids are the Chinese texts, so Chinese needs no catalogue; English comes from
realname/locale/en/LC_MESSAGES/django.po, compiled to django.mo and committed (see docs/translations.md).
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from realname.testing import PASSWORD, World

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PAGES = ["core:home", "orgs:project_list", "workers:worker_list", "workers:import"]
# One text of each page's own (not the nav), in English and in Chinese.
PAGE_WORDS = {
    "core:home": ("Dashboard", "工作台"),
    "orgs:project_list": ("Project code", "项目编码"),
    "workers:worker_list": ("Worker roster", "工人花名册"),
    "workers:import": ("Import workers from Excel", "Excel 导入工人"),
}
CJK = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@dataclass
class Entry:
    """One message of a .po file: its flags, msgid, optional plural msgid and msgstr(s) by index."""

    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def read_po(path: Path) -> list[Entry]:
    """A tiny .po reader: enough for the files makemessages writes (obsolete `#~` entries are skipped)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] = ("", 0)
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry = None
            continue
        entry = entry or Entry()
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := re.fullmatch(r'(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])? (".*")', line):
            target = (match[1], int(match[2] or 0))
            _append(entry, target, ast.literal_eval(match[3]))
        elif line.startswith('"'):
            _append(entry, target, ast.literal_eval(line))
    return [e for e in entries if e.msgid or e.msgstr]


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = entry.msgstr.get(index, "") + text
    else:
        setattr(entry, name, (getattr(entry, name) or "") + text)


def messages() -> list[Entry]:
    return [e for e in read_po(CATALOGUE / "django.po") if e.msgid]


def nav(html: str) -> str:
    match = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S)
    assert match, "the page has no main navigation"
    return match[1]


def get(client: Client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200, name
    return response.content.decode()


def switch_language(client: Client, language: str) -> None:
    response = client.post(reverse("set_language"), {"language": language, "next": reverse("core:home")})
    assert response.status_code == 302


@pytest.fixture
def alice_client(client: Client, world: World) -> Client:
    assert client.login(username=world.alice.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_chinese_until_the_user_switches(alice_client: Client, name: str) -> None:
    html = get(alice_client, name)
    menu = nav(html)
    assert '<html lang="zh-hans">' in html
    assert "项目" in menu and "工人" in menu
    assert PAGE_WORDS[name][1] in html
    assert 'value="en">English</button>' in html


@pytest.mark.parametrize("name", PAGES)
def test_the_english_switch_translates_the_nav_and_the_page(alice_client: Client, name: str) -> None:
    switch_language(alice_client, "en")
    html = get(alice_client, name)
    menu = nav(html)
    assert '<html lang="en">' in html
    assert "Projects" in menu and "Workers" in menu and "Audit log" in menu
    assert "项目" not in menu and "工人" not in menu
    assert not CJK.search(menu), f"untranslated nav text: {CJK.findall(menu)}"
    assert PAGE_WORDS[name][0] in html and PAGE_WORDS[name][1] not in html
    assert 'value="zh-hans">中文</button>' in html


def test_the_chinese_switch_brings_chinese_back(alice_client: Client) -> None:
    switch_language(alice_client, "en")
    switch_language(alice_client, "zh-hans")
    menu = nav(get(alice_client, "core:home"))
    assert "项目" in menu and "Projects" not in menu


def test_every_message_in_the_catalogue_is_translated() -> None:
    entries = messages()
    assert len(entries) > 300
    untranslated = [e.msgid for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    missing_plurals = [e.msgid for e in entries if e.msgid_plural and sorted(e.msgstr) != [0, 1]]
    assert untranslated == [] and fuzzy == [] and missing_plurals == []


def test_translations_keep_every_placeholder() -> None:
    broken = [
        (e.msgid, text)
        for e in messages()
        for text in e.msgstr.values()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(e.msgid))
    ]
    assert broken == []


def test_translations_are_english() -> None:
    assert [e.msgid for e in messages() if any(CJK.search(text) for text in e.msgstr.values())] == []


def test_the_committed_mo_matches_the_po() -> None:
    # Content, not mtimes: a fresh git checkout writes django.mo and django.po in arbitrary order.
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        e.msgid for e in messages() if compiled_texts(compiled, e) != [e.msgstr[i] for i in sorted(e.msgstr)]
    ]
    assert stale == [], "run `manage.py compilemessages` and commit django.mo"


def compiled_texts(compiled: gettext.GNUTranslations, e: Entry) -> list[str]:
    if e.msgid_plural:  # English plural rule: n == 1 is form 0, anything else form 1
        if e.msgctxt:
            return [compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n) for n in (1, 2)]
        return [compiled.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
    return [compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid)]
