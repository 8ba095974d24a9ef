"""One thing, one go: what a bundle spares the investor against applying matter by matter.

Run from the repository root:

    .venv/bin/python bench/bench_bundles.py [--summary-json PATH]

On a temporary SQLite database with the demo catalogue, for every open thing with all
its matters (the guide's rules set aside, as if every answer brought each one in):

* materials asked: the thing's one set, each material once however many matters need it,
  against the same matters applied for one by one (each matter's own materials, the
  shared ones counted once per matter);
* investor steps: one submission and one hand-in of each material the government
  cannot reuse (no reuse key), against one submission per matter and each matter's own
  such hand-ins.

Both figures come from the catalogue through ``approvals.guide.decide``, the rule the
drafts use. The yardstick (one by one) is computed in the same run from the same data.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import say  # noqa: E402


def measure() -> list[dict]:
    from django.core.management import call_command

    from approvals import guide
    from approvals.models import Service

    call_command("migrate", verbosity=0, interactive=False)
    common.load_fixtures("catalogue", "shared_data")
    figures = []
    for service in Service.objects.filter(is_active=True).order_by("pk"):
        thing = guide.service_for_guide(service)
        codes = [p.matter.code for p in thing.thing_matters.all() if p.matter.is_active]
        decision = guide.decide(thing, {}, picked=codes)
        bundled = decision.materials
        alone = [d for code in codes for d in guide.decide(thing, {}, picked=[code]).materials]

        def handed(materials):
            return sum(1 for d in materials if not d.material.reuse_key)

        figures.append(
            {
                "thing": service.code,
                "matters": len(codes),
                "materials": len(bundled),
                "materials_one_by_one": len(alone),
                "steps": 1 + handed(bundled),
                "steps_one_by_one": len(codes) + handed(alone),
            }
        )
    return figures


def summary_rows(figures: list[dict]) -> list[dict]:
    rows = []
    for f in figures:
        note = f"{f['matters']} matters; yardstick: the same matters applied for one by one"
        rows.append(
            common.summary_row(
                "bundles",
                f"{f['thing']}: materials asked",
                ours=f["materials"],
                yardstick=f["materials_one_by_one"],
                unit="materials",
                note=note,
            )
        )
        rows.append(
            common.summary_row(
                "bundles",
                f"{f['thing']}: investor steps",
                ours=f["steps"],
                yardstick=f["steps_one_by_one"],
                unit="steps",
                note=note + " (a step: a submission or a hand-in of a material not reusable)",
            )
        )
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_options(parser)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-"))
    try:
        common.setup_django(f"sqlite:///{workdir / 'bench.sqlite3'}", workdir)
        say("bundles: migrate, load the catalogue, decide every thing with all its matters")
        figures = measure()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("Bundles: each thing with all its matters, against its matters one by one")
    header = (
        f"{'thing':<28} {'matters':>7} {'materials':>10} {'one by one':>10} {'avoided':>8} "
        f"{'steps':>6} {'one by one':>10} {'avoided':>8}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        materials_avoided = 1 - f["materials"] / f["materials_one_by_one"]
        steps_avoided = 1 - f["steps"] / f["steps_one_by_one"]
        print(
            f"{f['thing']:<28} {f['matters']:>7} {f['materials']:>10} "
            f"{f['materials_one_by_one']:>10} {materials_avoided:>8.0%} "
            f"{f['steps']:>6} {f['steps_one_by_one']:>10} {steps_avoided:>8.0%}"
        )
    if args.summary_json:
        common.write_summary(args.summary_json, summary_rows(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
