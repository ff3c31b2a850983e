"""No page leaks across companies: crawl every page alice can reach, then replay each URL as charlie (an
unrelated company) and as bob (a subcontractor on alice's project who must not see the GC's own people)."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from realname.testing import PASSWORD, World
from realname.workers.models import BankAccount, Contract, Employment

pytestmark = pytest.mark.django_db

SKIP = ("/accounts/logout", "/i18n/", "/admin/", "/static/", "/api/v1/docs")
HREF = re.compile(r'href="([^"#]+)"')
MAX_PAGES = 400


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def crawl(client: Client) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if href.startswith("/") and not href.startswith(SKIP) and href not in seen:
                queue.append(href)
    return seen


def p1_ids(world: World) -> set[str]:
    ids = {world.p1.public_id, world.company_a.public_id, world.company_b.public_id, world.gc_p1.public_id}
    ids |= {world.sub_b.public_id, world.team_a.public_id, world.team_b.public_id}
    ids |= {world.worker_a.public_id, world.worker_b.public_id}
    ids |= set(world.p1.sections.values_list("public_id", flat=True))
    ids |= set(Employment.objects.filter(project=world.p1).values_list("public_id", flat=True))
    ids |= set(Contract.objects.filter(project=world.p1).values_list("public_id", flat=True))
    ids |= set(
        BankAccount.objects.filter(worker__in=[world.worker_a, world.worker_b]).values_list(
            "public_id", flat=True
        )
    )
    return {str(i) for i in ids}


def test_alices_pages_reached_by_crawling_leak_nothing_to_charlie(world: World) -> None:
    pages = crawl(login("alice"))
    assert len(pages) > 15, f"the crawl found too few pages: {sorted(pages)}"
    assert all(code in (200, 302) for code in pages.values()), {u: c for u, c in pages.items() if c >= 400}
    secret_ids = p1_ids(world)
    secret_words = {"张甲", "李乙", "项目P1", world.company_a.name, world.company_b.name, world.p1.code + " "}
    charlie = login("charlie")
    checked_objects = 0
    for url in pages:
        response = charlie.get(url)
        if any(i in urlsplit(url).path for i in secret_ids):
            checked_objects += 1
            assert response.status_code == 404, f"charlie got {response.status_code} for {url}"
            continue
        # a list filtered by someone else's project id may answer (empty) or refuse, but shows nothing of it
        assert response.status_code in (200, 302, 403, 404), f"charlie got {response.status_code} for {url}"
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode(errors="replace")
        for word in secret_ids | secret_words:
            shown = body.replace(url.replace("&", "&amp;"), "").replace(url, "")  # the page's own address
            assert word not in shown, f"{url} shows charlie {word!r}"
    assert checked_objects > 20, checked_objects


def test_a_subcontractor_cannot_open_the_general_contractors_own_people(world: World) -> None:
    pages = crawl(login("alice"))
    gc_only = {str(world.worker_a.public_id), str(world.team_a.public_id)}
    gc_only |= {str(e.public_id) for e in Employment.objects.filter(participant=world.gc_p1)}
    gc_only |= {str(c.public_id) for c in Contract.objects.filter(employment__participant=world.gc_p1)}
    bob = login("bob")
    hits = [url for url in pages if any(i in url for i in gc_only)]
    assert hits
    for url in hits:
        assert bob.get(url).status_code == 404, url
