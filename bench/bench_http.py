"""HTTP throughput and p95 latency of the API under gunicorn, beside a cheap endpoint.

Run from the repository root:

    .venv/bin/python bench/bench_http.py [--clients 8] [--requests 25] [--rounds 4]
        [--workers 2] [--threads 4] [--yardstick PATH] [--summary-json PATH]

The script starts a throwaway PostgreSQL through ``tests/postgres.py`` (it
calls it itself), migrates, loads the catalogue, the shared data and the
rejection reasons, and writes through ``approvals.services`` what a working
day's lists show: per client an investor with three prefilled drafts, ten
applications waiting at the window and ten in review. Then it serves the
app with gunicorn (threaded workers, DEBUG off, the production settings; see
``tests/livehttp.py``) on a free loopback port and measures, in alternating
phases so that the shared machine's noise hits both alike:

* **mix**: ``--clients`` closed-loop clients (no think time), each sending
  ``--requests`` requests a phase, drawn with fixed weights from what the
  single window's users do most (``MIX`` below): the catalogue, the investor's
  list and application, the prefill preview, a new draft (prefill included),
  confirming a value, the clerk's window queue, a reviewer's queue and task;
* **yardstick**: the same clients sending the same number of ``GET`` requests
  to the cheapest endpoint of the same server: ``/health/`` when the app has
  it, until then the public verification form ``/verify/`` (a template, no
  query), else the catalogue ``/api/services/`` (``--yardstick`` to choose).
  The ratio says what the API's work costs beyond the server, the framework
  and a loopback round trip.

It prints throughput (requests a second over the phases' wall time), median
and nearest-rank 95th-percentile latency, the ratios mix/yardstick, and p95
per endpoint. ``--summary-json PATH`` writes the rows bench/run_all.py
collects. Every request's status is checked: a non-2xx response stops the
run (exit 1), as a benchmark of failing requests would measure nothing.
Times are reported, never asserted. ``BENCH_QUICK=1`` makes the defaults
smaller (2 rounds of 10 requests a client).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import livehttp as live  # noqa: E402  (standard library only)

FIXTURES = tuple(
    ROOT / "fixtures" / f"{name}.json" for name in ("catalogue", "shared_data", "rejection_reasons")
)
# Set only on the command this script runs under tests/postgres.py, so it never
# migrates a database somebody pointed DATABASE_URL at.
THROWAWAY_MARK = "HW_BENCH_HTTP_THROWAWAY_POSTGRES"
SERVICE = "fie-establishment"
DRAFTS_PER_CLIENT = 3
AT_THE_WINDOW = 10
IN_REVIEW = 10
# (label, weight): a working day's requests, reads first.
MIX = (
    ("catalogue", 10),
    ("service", 5),
    ("my-applications", 15),
    ("application", 20),
    ("prefill-preview", 5),
    ("create-draft", 5),
    ("confirm-value", 10),
    ("window-queue", 10),
    ("task-queue", 10),
    ("task", 10),
)


def say(message: str) -> None:
    print(f"[bench_http] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    quick = os.environ.get("BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(
        description="Throughput and p95 latency of an API mix under gunicorn, "
        "against a cheap endpoint of the same server."
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--requests", type=int, default=10 if quick else 25, help="requests a client a phase"
    )
    parser.add_argument(
        "--rounds", type=int, default=2 if quick else 4, help="mix and yardstick phases each"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--yardstick",
        default="",
        metavar="PATH",
        help="the cheap GET (default: /health/, else /api/services/)",
    )
    parser.add_argument(
        "--summary-json",
        metavar="PATH",
        help="also write the summary rows (bench/README.md, 'The interface') to PATH",
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.requests, args.rounds, args.workers, args.threads) < 1:
        parser.error("every count must be at least 1")
    return args


# --- the data (runs inside Django) ------------------------------------------------


def setup_django(database_url: str, workdir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hainan_window.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["PERMIT_RENDER_MODE"] = "off"
    import django

    django.setup()


def prepare_data(clients: int) -> dict:
    """Schema, catalogue, users with tokens, and the applications the lists show."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from approvals import services
    from approvals.demo import hand_in_missing
    from approvals.models import Department, Enterprise, Service
    from approvals.services import CLERK_GROUP, INVESTOR_GROUP

    say("migrate, load the catalogue, the shared data and the rejection reasons")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("loaddata", *map(str, FIXTURES), verbosity=0)
    User = get_user_model()

    def user(username: str, *groups: Group):
        u = User(username=username, email=f"{username}@bench.example")
        u.set_unusable_password()  # tokens only: no hashing cost
        u.save()
        u.groups.add(*groups)
        return u

    clerks, _ = Group.objects.get_or_create(name=CLERK_GROUP)
    clerks.permissions.add(
        Permission.objects.get(content_type__app_label="approvals", codename="accept_application")
    )
    investors_group, _ = Group.objects.get_or_create(name=INVESTOR_GROUP)
    service = Service.objects.get(code=SERVICE)
    enterprises = list(Enterprise.objects.order_by("pk"))
    clerk = user("clerk", clerks)
    departments = list(
        Department.objects.filter(services=service).select_related("reviewer_group").distinct()
    )
    reviewers = {d.code: user(f"rev-{d.code}", d.reviewer_group) for d in departments}

    say(f"{clients} investors with {DRAFTS_PER_CLIENT} drafts each")
    investors = []
    for i in range(clients):
        investor = user(f"investor-{i}", investors_group)
        drafts = []
        for j in range(DRAFTS_PER_CLIENT):
            enterprise = enterprises[(i * DRAFTS_PER_CLIENT + j) % len(enterprises)]
            app = services.application_create(
                applicant=investor, service=service, uscc=enterprise.uscc
            )
            drafts.append({"id": str(app.public_id), "uscc": enterprise.uscc})
        investors.append(
            {"token": Token.objects.create(user=investor).key, "drafts": drafts, "n": i}
        )

    say(f"{AT_THE_WINDOW} applications at the window, {IN_REVIEW} in review")
    filer = user("investor-lists", investors_group)
    for k in range(AT_THE_WINDOW + IN_REVIEW):
        enterprise = enterprises[k % len(enterprises)]
        app = services.application_create(applicant=filer, service=service, uscc=enterprise.uscc)
        hand_in_missing(app, actor=filer)
        app = services.application_submit(actor=filer, application=app)
        if k >= AT_THE_WINDOW:
            services.application_accept(actor=clerk, application=app)
    return {
        "investors": investors,
        "clerk": Token.objects.create(user=clerk).key,
        "reviewers": [Token.objects.create(user=r).key for r in reviewers.values()],
    }


# --- the mix ----------------------------------------------------------------------


class MixClient:
    """One client of the mix: an investor of its own, and the clerk's and a reviewer's
    tokens for the officials' requests it sends."""

    def __init__(self, base_url: str, data: dict, n: int, recorder, deadline: float) -> None:
        self.me = data["investors"][n]
        self.rng = random.Random(n)
        self.data = data

        def client(token):
            return live.HttpClient(base_url, token=token, recorder=recorder, deadline=deadline)

        self.investor = client(self.me["token"])
        self.clerk = client(data["clerk"])
        self.reviewer = client(data["reviewers"][n % len(data["reviewers"])])
        self.labels = [label for label, _w in MIX]
        self.weights = [w for _label, w in MIX]

    def one(self) -> None:
        label = self.rng.choices(self.labels, self.weights)[0]
        draft = self.rng.choice(self.me["drafts"])
        if label == "catalogue":
            self.investor.call("GET", "/api/services/", label=label)
        elif label == "service":
            self.investor.call("GET", f"/api/services/{SERVICE}/", label=label)
        elif label == "my-applications":
            self.investor.call("GET", "/api/applications/", label=label)
        elif label == "application":
            self.investor.call("GET", f"/api/applications/{draft['id']}/", label=label)
        elif label == "prefill-preview":
            self.investor.call("GET", f"/api/enterprises/{draft['uscc']}/prefill/", label=label)
        elif label == "create-draft":
            self.investor.call(
                "POST",
                "/api/applications/",
                label=label,
                json={"service": SERVICE, "uscc": draft["uscc"]},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
        elif label == "confirm-value":
            self.investor.call(
                "PATCH",
                f"/api/applications/{draft['id']}/",
                label=label,
                json={"values": {"enterprise.address": "海南省海口市龙华区滨海大道1号"}},
            )
        elif label == "window-queue":
            self.clerk.call("GET", "/api/window/", label=label)
        elif label == "task-queue":
            self.reviewer.call("GET", "/api/tasks/queue/", label=label)
        elif label == "task":
            queue = self.reviewer.call("GET", "/api/tasks/queue/?page_size=5", label="task-queue")
            rows = (queue.json or {}).get("results", [])
            if rows:
                self.reviewer.call("GET", f"/api/tasks/{rows[0]['id']}/", label=label)


def phase(kind: str, server, data: dict, args, yard_path: str) -> tuple[list, float]:
    """One phase: every client sends args.requests requests; returns the samples and the wall
    time from the common start to the last response."""
    recorder = live.Recorder()
    deadline = time.monotonic() + 600
    start = threading.Barrier(args.clients + 1)

    def run(n: int) -> None:
        if kind == "mix":
            client = MixClient(server.base_url, data, n, recorder, deadline)
            start.wait(timeout=60)
            for _ in range(args.requests):
                client.one()
        else:
            token = data["investors"][n]["token"]
            client = live.HttpClient(
                server.base_url, token=token, recorder=recorder, deadline=deadline
            )
            start.wait(timeout=60)
            for _ in range(args.requests):
                client.call("GET", yard_path, label="yardstick")

    crowd = live.Crowd([lambda n=n: run(n) for n in range(args.clients)])
    start.wait(timeout=60)
    began = time.perf_counter()
    results = crowd.join(timeout=620)
    elapsed = time.perf_counter() - began
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    samples = recorder.snapshot()
    bad = [s for s in samples if not 200 <= s.status < 300]
    if bad:
        raise RuntimeError(
            f"{len(bad)} of {len(samples)} requests failed in a {kind} phase, e.g. "
            f"{bad[0].label} HTTP {bad[0].status} {bad[0].code} {bad[0].error}\n{server.log_tail()}"
        )
    return samples, elapsed


def measure(args, workdir: Path) -> dict:
    from django.db import connection

    data = prepare_data(args.clients)
    url = live.database_url(connection.settings_dict)
    connection.close()
    say(f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1")
    with live.GunicornServer(
        database_url=url,
        workdir=workdir / "server",
        workers=args.workers,
        threads=args.threads,
        env={"MEDIA_ROOT": str(workdir / "media")},
    ) as server:
        yard_path = args.yardstick or live.cheapest_get(server.base_url)
        say("warm-up: every worker, every endpoint")
        warm = argparse.Namespace(**{**vars(args), "requests": max(3, args.requests // 5)})
        phase("mix", server, data, warm, yard_path)
        phase("yardstick", server, data, warm, yard_path)
        mix, yard = [], []
        mix_seconds = yard_seconds = 0.0
        for r in range(args.rounds):
            order = ("mix", "yardstick") if r % 2 == 0 else ("yardstick", "mix")
            for kind in order:
                say(f"round {r + 1}/{args.rounds}: {kind}")
                samples, seconds = phase(kind, server, data, args, yard_path)
                if kind == "mix":
                    mix += samples
                    mix_seconds += seconds
                else:
                    yard += samples
                    yard_seconds += seconds
    by_label: dict[str, list[float]] = {}
    for s in mix:
        by_label.setdefault(s.label, []).append(s.seconds * 1000)
    return {
        "server": "PostgreSQL {}.{}".format(*divmod(connection.pg_version, 10000)),
        "yardstick_path": yard_path,
        "mix": live.figures(mix, mix_seconds).__dict__,
        "yardstick": live.figures(yard, yard_seconds).__dict__,
        "endpoints": {
            label: {
                "requests": len(times),
                "p50_ms": live.percentile(times, 50),
                "p95_ms": live.percentile(times, 95),
            }
            for label, times in sorted(by_label.items())
        },
    }


# --- the report ---------------------------------------------------------------------


def rate(fig: dict) -> float:
    return fig["requests"] / fig["seconds"]


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.date.today():%Y-%m-%d}, {os.cpu_count()} CPU ({model}), "
        f"Python {platform.python_version()}, Django {version('Django')}, "
        f"gunicorn {version('gunicorn')}"
    )


def print_report(r: dict, args) -> None:
    mix, yard = r["mix"], r["yardstick"]
    print(f"HTTP benchmark: {machine()}")
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads (gthread), {r['server']}, "
        f"loopback; {args.clients} closed-loop clients, {args.rounds} rounds of "
        f"{args.requests} requests a client a phase, mix and yardstick alternating"
    )
    print()
    header = f"{'workload':<34} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    for name, fig in (("API mix", mix), (f"yardstick GET {r['yardstick_path']}", yard)):
        print(
            f"{name:<34} {fig['requests']:>8} {rate(fig):>8.1f} {fig['p50_ms']:>8.1f} "
            f"{fig['p95_ms']:>8.1f}"
        )
    print(
        f"{'ratio mix/yardstick':<34} {'':>8} {rate(mix) / rate(yard):>7.2f}x "
        f"{mix['p50_ms'] / yard['p50_ms']:>7.2f}x {mix['p95_ms'] / yard['p95_ms']:>7.2f}x"
    )
    print()
    header = f"{'endpoint (mix)':<34} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/yard':>9}"
    print(header)
    print("-" * len(header))
    for label, e in r["endpoints"].items():
        print(
            f"{label:<34} {e['requests']:>8} {e['p50_ms']:>8.1f} {e['p95_ms']:>8.1f} "
            f"{e['p95_ms'] / yard['p95_ms']:>8.2f}x"
        )
    print("(latency: from sending the request to the last byte, a new connection each)")


def summary_rows(r: dict, args) -> list[dict]:
    mix, yard = r["mix"], r["yardstick"]
    where = (
        f"gunicorn {args.workers}x{args.threads}, {args.clients} clients, {r['server']}; "
        f"yardstick: GET {r['yardstick_path']} of the same server, alternating phases"
    )
    rows = [
        {
            "benchmark": "http",
            "measure": "throughput, API mix",
            "ours": round(rate(mix), 2),
            "yardstick": round(rate(yard), 2),
            "ratio": rate(mix) / rate(yard),
            "unit": "req/s",
            "note": f"higher is better; {where}",
        },
        {
            "benchmark": "http",
            "measure": "p95 latency, API mix",
            "ours": round(mix["p95_ms"], 2),
            "yardstick": round(yard["p95_ms"], 2),
            "ratio": mix["p95_ms"] / yard["p95_ms"],
            "unit": "ms",
            "note": f"{mix['requests']} and {yard['requests']} requests; {where}",
        },
    ]
    for label, e in r["endpoints"].items():
        rows.append(
            {
                "benchmark": "http",
                "measure": f"p95 latency, {label}",
                "ours": round(e["p95_ms"], 2),
                "yardstick": round(yard["p95_ms"], 2),
                "ratio": e["p95_ms"] / yard["p95_ms"],
                "unit": "ms",
                "note": f"{e['requests']} requests within the mix; yardstick as above",
            }
        )
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not os.environ.get(THROWAWAY_MARK):
        # Re-run this script under a throwaway PostgreSQL server, with the same options.
        child = [sys.executable, str(Path(__file__).resolve())]
        for option in ("clients", "requests", "rounds", "workers", "threads", "yardstick"):
            child.append(f"--{option}={getattr(args, option)}")
        if args.summary_json:
            child.append(f"--summary-json={Path(args.summary_json).resolve()}")
        say("starting a throwaway PostgreSQL through tests/postgres.py")
        command = [sys.executable, str(ROOT / "tests" / "postgres.py"), "--", *child]
        return subprocess.run(command, cwd=ROOT, env={**os.environ, THROWAWAY_MARK: "1"}).returncode
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        say(f"expected a PostgreSQL DATABASE_URL from tests/postgres.py, got {url!r}")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-http-"))
    started = time.perf_counter()
    try:
        setup_django(url, workdir)
        results = measure(args, workdir)
        print_report(results, args)
        if args.summary_json:
            Path(args.summary_json).write_text(json.dumps(summary_rows(results, args), indent=1))
        say(f"done in {time.perf_counter() - started:.0f} s")
        return 0
    except Exception:
        traceback.print_exc()
        if args.summary_json:
            Path(args.summary_json).write_text("[]")
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
