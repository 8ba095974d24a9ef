"""What a permit PDF costs, against weasyprint's own floor.

Run from the repository root:

    .venv/bin/python bench/bench_permits.py [--runs 30] [--batch 200] [--summary-json PATH]

It starts from nothing: a temporary SQLite file, migrated, with the demo
catalogue, shared data and demo applications (``seed_demo``), a throwaway
Ed25519 key, and media in the temporary directory. Then it measures:

* per permit: ``approvals.permits.render_pdf`` on the demo's real approved
  permit (token signing, QR code, template, weasyprint with the CJK fonts),
  run by run interleaved with weasyprint rendering a minimal one-page
  document (``render_minimal_pdf``), so machine noise hits both alike; the
  ratio of the medians is the price of a real permit over the floor;
* where a permit's time goes: the context (token and QR code) and the
  template, apart from weasyprint;
* a batch: ``--batch`` permits (200 by default) rendered and stored one after
  the other by ``approvals.permits.render_permit``, as ``manage.py
  render_permits`` does; permits per second, and the megabytes written;
* verification: ``verify_token`` per second on a genuine token (signature
  check and one query).

The first render (which imports weasyprint and loads the fonts) is reported
apart. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import p90, say  # noqa: E402
from devtools.livehttp import signing_key_pem  # noqa: E402  (standard library only)


def setup_django(workdir: Path) -> None:
    # The benchmark renders explicitly (common's PERMIT_RENDER_MODE=off):
    # nothing renders behind its back.
    common.setup_django(
        f"sqlite:///{workdir / 'bench.sqlite3'}", workdir, PERMIT_SIGNING_KEY=signing_key_pem()
    )


def prepare(batch: int):
    """The demo's approved permit, and `batch` more permits for the batch run."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import (
        Application,
        ApplicationMatter,
        ApplicationStatus,
        Enterprise,
        Licence,
        MatterState,
        Permit,
    )

    say("migrate and seed the demo (catalogue, shared data, users, demo applications)")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", history=0, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    real = (
        Permit.objects.select_related("holder", "application__service", "matter__matter")
        .order_by("pk")
        .first()
    )
    outcome = real.matter.matter

    say(f"create {batch} permits for the batch (rows only; each is rendered for real)")
    enterprises = list(Enterprise.objects.order_by("pk"))
    template = real.application
    now = timezone.now()
    with transaction.atomic():
        for i in range(batch):
            holder = enterprises[i % len(enterprises)]
            app = Application.objects.create(
                service=template.service,
                uscc=holder.uscc,
                enterprise=holder,
                applicant=template.applicant,
                status=ApplicationStatus.APPROVED,
                submitted_at=now,
                decided_at=now,
            )
            number = f"BENCH-{now:%Y}-{i:06d}"
            licence = Licence.objects.create(
                number=number,
                licence_type=outcome.outcome_licence_type,
                name_zh=outcome.outcome_name_zh,
                name_en=outcome.outcome_name_en,
                holder=holder,
                issuer=real.licence.issuer,
                issued_on=real.valid_from,
            )
            part = ApplicationMatter.objects.create(
                application=app, matter=outcome, state=MatterState.APPROVED, decided_at=now
            )
            Permit.objects.create(
                number=number,
                application=app,
                matter=part,
                holder=holder,
                scope=holder.business_scope,
                issued_at=now,
                valid_from=real.valid_from,
                licence=licence,
            )
    return real


def render_minimal_pdf() -> bytes:
    """One page of plain text: the yardstick a permit is compared with, rendered by the
    product's one weasyprint set-up (approvals.pdf), so only the document differs."""
    from approvals.pdf import html_to_pdf

    return html_to_pdf("<!doctype html><title>x</title><p>Hello, PDF.</p>")


def measure(real, runs: int, batch: int) -> dict:
    from django.template.loader import render_to_string

    from approvals import permits
    from approvals.models import Permit

    say("first render (imports weasyprint, loads the fonts)")
    started = time.perf_counter()
    render_minimal_pdf()
    first_minimal = time.perf_counter() - started
    started = time.perf_counter()
    permits.render_pdf(real)
    first_permit = time.perf_counter() - started

    say(f"{runs} interleaved runs: a real permit, a minimal page")
    permit_s, minimal_s, context_s, template_s = [], [], [], []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        size = len(permits.render_pdf(real))
        permit_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        render_minimal_pdf()
        minimal_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        context = permits.permit_context(real)
        context_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        render_to_string("permits/permit.html", context)
        template_s.append(time.perf_counter() - started)

    say(f"batch: render and store {batch} permits one after the other")
    todo = list(permits.permits_awaiting_render().exclude(pk=real.pk))
    started = time.perf_counter()
    for permit in todo:
        stored = permits.render_permit(permit)
        if stored.render_status != "rendered":
            raise SystemExit(f"{permit.number} failed: {stored.render_error}")
    batch_s = time.perf_counter() - started
    written = sum(p.pdf.size for p in Permit.objects.filter(pk__in=[p.pk for p in todo]))

    say("verification: verify_token on a genuine token")
    token = permits.permit_token(real)
    verify_s = []
    for _ in range(max(runs * 10, 200)):
        started = time.perf_counter()
        assert permits.verify_token(token).status == "valid"
        verify_s.append(time.perf_counter() - started)

    return {
        "first_minimal": first_minimal,
        "first_permit": first_permit,
        "permit": permit_s,
        "minimal": minimal_s,
        "context": context_s,
        "template": template_s,
        "size": size,
        "batch_n": len(todo),
        "batch_s": batch_s,
        "batch_bytes": written,
        "verify": verify_s,
    }


def report(r: dict, runs: int) -> None:
    ms = 1000.0
    med_permit, med_minimal = statistics.median(r["permit"]), statistics.median(r["minimal"])
    rows = [
        ("first render, minimal page (import + fonts)", f"{r['first_minimal'] * ms:8.1f} ms", ""),
        ("first render, real permit (after that)", f"{r['first_permit'] * ms:8.1f} ms", ""),
        (
            f"real permit, median of {runs}",
            f"{med_permit * ms:8.1f} ms",
            f"p90 {p90(r['permit']) * ms:.1f} ms",
        ),
        (
            f"minimal one-page document, median of {runs}",
            f"{med_minimal * ms:8.1f} ms",
            f"p90 {p90(r['minimal']) * ms:.1f} ms",
        ),
        ("ratio permit / minimal (medians)", f"{med_permit / med_minimal:8.1f} x", ""),
        (
            "  of a permit: context (sign token, QR code)",
            f"{statistics.median(r['context']) * ms:8.2f} ms",
            "",
        ),
        ("  of a permit: template", f"{statistics.median(r['template']) * ms:8.2f} ms", ""),
        ("permit PDF size", f"{r['size'] / 1024:8.0f} KiB", ""),
        (
            f"batch of {r['batch_n']} (render + store)",
            f"{r['batch_s']:8.1f} s",
            f"{r['batch_n'] / r['batch_s']:.1f} permits/s",
        ),
        ("  written", f"{r['batch_bytes'] / 1e6:8.1f} MB", ""),
        (
            "verify_token (signature + 1 query), median",
            f"{statistics.median(r['verify']) * 1e6:8.0f} us",
            f"{1 / statistics.median(r['verify']):.0f} per second",
        ),
    ]
    width = max(len(label) for label, _v, _n in rows)
    print()
    print(
        f"permits benchmark · Python {platform.python_version()} · weasyprint "
        f"{version('weasyprint')} · {os.cpu_count()} CPUs · {platform.machine()}"
    )
    print(f"{'measure'.ljust(width)} | {'value':>11} | note")
    print(f"{'-' * width}-+-{'-' * 11}-+-{'-' * 22}")
    for label, value, note in rows:
        print(f"{label.ljust(width)} | {value:>11} | {note}")


def summary_rows(r: dict, runs: int) -> list[dict]:
    """The run_all table's rows: a permit against weasyprint's minimal document."""
    med_permit, med_minimal = statistics.median(r["permit"]), statistics.median(r["minimal"])
    per_permit = r["batch_s"] / r["batch_n"]
    return [
        common.summary_row(
            "permits",
            "permit PDF (render_pdf)",
            ours=med_permit * 1000,
            yardstick=med_minimal * 1000,
            unit="ms",
            note=f"yardstick: minimal one-page weasyprint document; medians of {runs}",
            digits=3,
        ),
        common.summary_row(
            "permits",
            f"permit in a batch of {r['batch_n']} (render + store)",
            ours=per_permit * 1000,
            yardstick=med_minimal * 1000,
            unit="ms",
            note=f"yardstick: the minimal document; {r['batch_n'] / r['batch_s']:.1f} permits/s",
            digits=3,
        ),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="renders of each document timed")
    parser.add_argument("--batch", type=int, default=200, help="permits in the batch run")
    common.add_common_options(parser)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.batch < 1:
        parser.error("--runs and --batch must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-permits-") as tmp:
        setup_django(Path(tmp))
        real = prepare(args.batch)
        results = measure(real, args.runs, args.batch)
    report(results, args.runs)
    if args.summary_json:
        common.write_summary(args.summary_json, summary_rows(results, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
