"""Start-up cost of the command line and of ``import nctransport`` (issue 13, item 4).

Each case runs as a fresh child process; its CPU time (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)``) is compared with ``python -c "import numpy"`` measured
in the same run. Cases are interleaved over several rounds and the medians compared, so a
busy machine slows baseline and cases alike. Targets: ``--version`` <= 3x, ``--help`` <= 4x,
``import nctransport`` <= 2x, a calculator command (``einstein``, issue 17) <= 4x. Run with
``.venv/bin/python benchmarks/startup.py``; exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

PYTHON = sys.executable
_SCRIPT = Path(PYTHON).with_name("nctransport")
NCTRANSPORT = [str(_SCRIPT)] if _SCRIPT.exists() else [shutil.which("nctransport") or "nctransport"]

BASELINE = ("python -c 'import numpy'", [PYTHON, "-c", "import numpy"])
#: (label, argv, target ratio to the baseline)
CASES = (
    ("nctransport --version", [*NCTRANSPORT, "--version"], 3.0),
    ("nctransport --help", [*NCTRANSPORT, "--help"], 4.0),
    ("python -c 'import nctransport'", [PYTHON, "-c", "import nctransport"], 2.0),
    # a one-line calculator (issue 17): no SciPy optimisers, statistics, xarray or matplotlib
    (
        "nctransport einstein (calculator)",
        [*NCTRANSPORT, "einstein", "--diffusivity", "0.01cm2/s", "--temperature", "300K"],
        4.0,
    ),
)


def cpu_seconds(argv: list[str]) -> float:
    """CPU time (user + system) of one child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, COLUMNS="100")
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    everything = (BASELINE[:2], *((label, argv) for label, argv, _ in CASES))
    for _, argv in everything:  # warm the file cache and the bytecode caches
        cpu_seconds(argv)
    times: dict[str, list[float]] = {label: [] for label, _ in everything}
    for _ in range(args.rounds):
        for label, argv in everything:
            times[label].append(cpu_seconds(argv))
    base = statistics.median(times[BASELINE[0]])
    print(f"start-up CPU time, medians of {args.rounds} interleaved runs")
    print(f"{BASELINE[0]:34s} {base * 1e3:7.0f} ms  (baseline)")
    ok = True
    for label, _, target in CASES:
        t = statistics.median(times[label])
        ratio = t / base
        ok &= ratio <= target
        verdict = "ok" if ratio <= target else "MISSED"
        print(
            f"{label:34s} {t * 1e3:7.0f} ms  {ratio:5.2f}x numpy import (target <= {target:g}x) "
            f"{verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
