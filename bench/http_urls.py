"""The site's URLs plus ``/bench/minimal``: the smallest Django view that stores one request (the HTTP
bench's baseline — same server, same middleware, one INSERT and its commit, nothing else)."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

MINIMAL_TABLE = "bench_minimal_post"


@csrf_exempt
def minimal(request: HttpRequest) -> HttpResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MINIMAL_TABLE} (body, received_at) VALUES (%s, %s)",  # noqa: S608
            [request.body, timezone.now()],
        )
    return HttpResponse("OK: 1", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/minimal", minimal),
    path("", include("config.urls")),
]
