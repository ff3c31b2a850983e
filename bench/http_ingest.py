"""Benchmark: one punch per HTTP request, as real ZKTeco terminals post them, through the production server.

    python -m bench.http_ingest [--requests N] [--clients C] [--runs R] [--mode deferred|inline]

Uses its own fresh database (see bench.import_workers: SQLite file, or realname_bench on the PostgreSQL
server DATABASE_URL names). Builds a project with 1,000 workers mapped by PIN on one ZKTeco gate, starts
gunicorn with 2 sync workers (the deployment in docs/deployment.md) on a free local port, and sends from C
client threads (default 4):

* **ingest** — ``POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=…`` with one ATTLOG line each, answered
  ``OK: 1`` after the commit. ``--mode deferred`` (default; REALNAME_DEVICE_UPLOADS and
  REALNAME_DAY_RECOMPUTE both deferred, the production setting for busy gates): the request stores the raw
  body and answers; the worker's catch-up (parse, deduplicate, ledger, day records) is then timed in
  this process and printed beside it. ``--mode inline``: all of that inside each request;
* **minimal** — ``POST /bench/minimal`` with the same bodies: a Django view, same server and middleware,
  that INSERTs the body into a one-table log and commits (bench/http_urls.py).

Each is the best of R runs of N requests (default 3 × 3,000), after a warm-up (docs/performance.md).
The last line is one JSON object; value and baseline are requests/s, ratio = ingest / minimal.
Target: ratio ≥ 0.8.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.import_workers import drop_database, prepare_database, setup_django
from bench.ingest import SERIAL, _quiet, build_site

TARGET_RATIO = 0.8
WORKERS = 1000
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bodies(count: int, offset: int) -> list[bytes]:
    """``count`` distinct single-line ATTLOG bodies (PIN, time, in/out), in time order."""
    start = dt.datetime(2026, 10, 12, 7, 0)  # noqa: DTZ001 - a device's wall clock
    out = []
    for n in range(offset, offset + count):
        pin = n % WORKERS + 1
        at = start + dt.timedelta(seconds=n)
        out.append(f"{pin}\t{at:%Y-%m-%d %H:%M:%S}\t{n % 2}\t1\t0\t0\n".encode())
    return out


def _send(port: int, path: str, bodies: list[bytes], clients: int) -> tuple[float, list[str]]:
    """POST every body (split among ``clients`` threads); returns (seconds, distinct answers)."""
    answers: set[str] = set()
    lock = threading.Lock()
    share = [bodies[i::clients] for i in range(clients)]

    def client(mine: list[bytes]) -> None:
        seen: set[str] = set()
        for body in mine:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
            response = conn.getresponse()
            seen.add(f"{response.status} {response.read().decode().strip()}")
            conn.close()
        with lock:
            answers.update(seen)

    threads = [threading.Thread(target=client, args=(part,)) for part in share]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, sorted(answers)


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def _catch_up() -> tuple[float, int]:
    """The worker's jobs for deferred uploads and days, run until nothing waits: (seconds, uploads)."""
    from realname.attendance.models import ParseStatus, RawMessage
    from realname.core import jobs
    from realname.core.context import acting_as

    waiting = RawMessage.objects.filter(parse_status=ParseStatus.NEW).count()
    start = time.perf_counter()
    with acting_as(None, via="command"):
        while jobs.ingest_pending_uploads():
            pass
        while jobs.recompute_pending_days():
            pass
    return time.perf_counter() - start, waiting


def run(requests: int, clients: int, runs: int, mode: str) -> dict[str, Any]:
    kind, cleanup = prepare_database()
    proc: subprocess.Popen[bytes] | None = None
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        from bench.http_urls import MINIMAL_TABLE
        from realname.attendance.models import AccessEvent

        call_command("migrate", verbosity=0)
        with _quiet():
            build_site(WORKERS)
        with connection.cursor() as cursor:
            columns = (
                "id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL, received_at TIMESTAMPTZ NOT NULL"
                if kind == "postgresql"
                else "id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL, received_at TEXT NOT NULL"
            )
            cursor.execute(f"CREATE TABLE {MINIMAL_TABLE} ({columns})")
        connection.close()

        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.http_settings",
            "REALNAME_DAY_RECOMPUTE": mode,
            "REALNAME_DEVICE_UPLOADS": mode,
            "PYTHONPATH": str(ROOT),
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        proc = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
            [gunicorn, "config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"]
            + ["--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )
        _wait_ready(port, proc)
        ingest_path = f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=1"
        offset = 0
        warm = _bodies(200, offset)
        offset += 200
        _send(port, ingest_path, warm, clients)
        _send(port, "/bench/minimal", warm, clients)
        minimal_times, ingest_times = [], []
        for _ in range(runs):
            bodies = _bodies(requests, offset)
            offset += requests
            took, answers = _send(port, "/bench/minimal", bodies, clients)
            assert answers == ["200 OK: 1"], answers
            minimal_times.append(took)
            print(f"  minimal view: {took:.2f}s", flush=True)
            took, answers = _send(port, ingest_path, bodies, clients)
            assert answers == ["200 OK: 1"], answers
            ingest_times.append(took)
            print(f"  ingest (/iclock/cdata): {took:.2f}s", flush=True)
        catch_up, uploads = _catch_up()
        stored = AccessEvent.objects.count()
        assert stored == offset, (stored, offset)  # every punch once: none lost, none doubled
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop_database(kind, cleanup)
    minimal_rate = requests / min(minimal_times)
    ingest_rate = requests / min(ingest_times)
    ratio = ingest_rate / minimal_rate
    print(f"数据库 / database: {kind}；gunicorn 2 个 worker，{clients} 个客户端线程；各取 {runs} 次最快")
    print(f"最小视图（一次 INSERT）/ minimal view: {minimal_rate:,.0f} 请求/s")
    print(f"单条打卡上传 / one punch per request ({mode}): {ingest_rate:,.0f} 请求/s")
    if uploads:
        print(
            f"worker 追赶 / worker catch-up: {uploads} 条上传在 {catch_up:.2f}s 内解析入库并计算日考勤"
            f"（{uploads / catch_up:,.0f} 条/s）"
        )
    verdict = "达标" if ratio >= TARGET_RATIO else "未达标"
    print(f"为最小视图的 {ratio:.3f}（目标 ≥ {TARGET_RATIO}，{verdict}）；{stored} 条打卡全部入库且无重复")
    return {
        "bench": "http_ingest",
        "database": kind,
        "value": round(ingest_rate, 1),
        "unit": "requests/s",
        "baseline": round(minimal_rate, 1),
        "ratio": round(ratio, 3),
        "target": TARGET_RATIO,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=["deferred", "inline"], default="deferred")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.requests, args.clients, args.runs, args.mode), ensure_ascii=False))


if __name__ == "__main__":
    main()
