"""HTTP throughput and p95 latency of the API under gunicorn, beside a cheap endpoint.

Run from the repository root:

    .venv/bin/python bench/bench_http.py [--clients 8] [--requests 25] [--rounds 4]
        [--workers 2] [--threads 4] [--yardstick PATH] [--summary-json PATH]

The script starts a throwaway PostgreSQL through ``devtools/postgres.py`` (it
calls it itself), migrates, loads the catalogue, the shared data and the
rejection reasons, and writes through ``approvals.services`` what a working
day's lists show: per client an investor with three prefilled drafts, ten
applications waiting at the window and ten in review. Then it serves the
app with gunicorn (threaded workers, DEBUG off, the production settings; see
``devtools/livehttp.py``) on a free loopback port and measures, in alternating
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
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import say  # noqa: E402
from devtools import livehttp as live  # noqa: E402  (standard library only)

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


def parse_args(argv: list[str]) -> argparse.Namespace:
    quick = common.quick()
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
    common.add_common_options(parser)
    args = parser.parse_args(argv)
    if min(args.clients, args.requests, args.rounds, args.workers, args.threads) < 1:
        parser.error("every count must be at least 1")
    return args


# --- the data (runs inside Django) ------------------------------------------------


def prepare_data(clients: int) -> dict:
    """Schema, catalogue, users with tokens, and the applications the lists show."""
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from approvals import demo, selectors, services
    from approvals.demo import hand_in_missing
    from approvals.models import Enterprise, Service

    say("migrate, load the catalogue, the shared data and the rejection reasons")
    call_command("migrate", verbosity=0, interactive=False)
    common.load_fixtures("catalogue", "shared_data", "rejection_reasons")
    clerks, investors_group = common.role_groups()
    service = Service.objects.get(code=SERVICE)
    enterprises = list(Enterprise.objects.order_by("pk"))
    clerk = common.user_create("clerk", clerks)
    departments = list(selectors.departments_deciding(SERVICE))
    reviewers = {d.code: common.user_create(f"rev-{d.code}", d.reviewer_group) for d in departments}

    say(f"{clients} investors with {DRAFTS_PER_CLIENT} drafts each")
    investors = []
    for i in range(clients):
        investor = common.filer_create(f"investor-{i}", investors_group)
        drafts = []
        for j in range(DRAFTS_PER_CLIENT):
            enterprise = enterprises[(i * DRAFTS_PER_CLIENT + j) % len(enterprises)]
            app = demo.application_for_script(
                applicant=investor, service=service, enterprise=enterprise
            )
            # An establishment's draft is named by its reservation (its code comes
            # at registration): asking for it again gives back this draft.
            reservation = app.name_reservation.number if app.name_reservation_id else ""
            drafts.append(
                {"id": str(app.public_id), "uscc": enterprise.uscc, "reservation": reservation}
            )
        investors.append(
            {"token": Token.objects.create(user=investor).key, "drafts": drafts, "n": i}
        )

    say(f"{AT_THE_WINDOW} applications at the window, {IN_REVIEW} in review")
    filer = common.filer_create("investor-lists", investors_group)
    for k in range(AT_THE_WINDOW + IN_REVIEW):
        enterprise = enterprises[k % len(enterprises)]
        app = demo.application_for_script(applicant=filer, service=service, enterprise=enterprise)
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
                json={"service": SERVICE, "reservation_number": draft["reservation"]}
                if draft["reservation"]
                else {"service": SERVICE, "uscc": draft["uscc"]},
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
        "server": common.database_server(),
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


def print_report(r: dict, args) -> None:
    mix, yard = r["mix"], r["yardstick"]
    print(f"HTTP benchmark: {common.machine('Django', 'gunicorn')}")
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
        common.summary_row(
            "http",
            "throughput, API mix",
            ours=rate(mix),
            yardstick=rate(yard),
            unit="req/s",
            note=f"higher is better; {where}",
            digits=2,
        ),
        common.summary_row(
            "http",
            "p95 latency, API mix",
            ours=mix["p95_ms"],
            yardstick=yard["p95_ms"],
            unit="ms",
            note=f"{mix['requests']} and {yard['requests']} requests; {where}",
            digits=2,
        ),
    ]
    for label, e in r["endpoints"].items():
        rows.append(
            common.summary_row(
                "http",
                f"p95 latency, {label}",
                ours=e["p95_ms"],
                yardstick=yard["p95_ms"],
                unit="ms",
                note=f"{e['requests']} requests within the mix; yardstick as above",
                digits=2,
            )
        )
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not common.in_throwaway_postgres():
        # Re-run this script under a throwaway PostgreSQL server, with the same options.
        child = [
            f"--{option}={getattr(args, option)}"
            for option in ("clients", "requests", "rounds", "workers", "threads", "yardstick")
        ]
        if args.summary_json:
            child.append(f"--summary-json={Path(args.summary_json).resolve()}")
        say("starting a throwaway PostgreSQL through devtools/postgres.py")
        return common.rerun_under_postgres(__file__, child)
    try:
        url = common.throwaway_database_url()
    except RuntimeError as exc:
        say(str(exc))
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-http-"))
    started = time.perf_counter()
    try:
        common.setup_django(url, workdir)
        results = measure(args, workdir)
        print_report(results, args)
        if args.summary_json:
            common.write_summary(args.summary_json, summary_rows(results, args))
        say(f"done in {time.perf_counter() - started:.0f} s")
        return 0
    except Exception:
        traceback.print_exc()
        if args.summary_json:
            common.write_summary(args.summary_json, [])
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
