"""Run benchmarks, print one table, and record it in BENCHMARKS.md.

    python bench/run.py            # every bench/bench_*.py
    python bench/run.py ae team    # only bench_ae.py and bench_team.py

Each module `bench/bench_<name>.py` exposes `run() -> list[dict]` with keys benchmark, setting,
value, unit, note. Its section of BENCHMARKS.md (between `<!-- bench:<name> -->` markers) is
replaced; other sections stay. Run benchmarks alone: two torch processes on 2 cores slow each
other several-fold.
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import platform
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "BENCHMARKS.md"
COLUMNS = ("benchmark", "setting", "value", "unit", "note")


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"{cpu}, {cores} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"GPU: {gpu}, Python {platform.python_version()}")


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def record(name: str, rows: list[dict], header: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n\nRecorded by `python bench/run.py`; each section says where and when it ran.\n"
    section = f"<!-- bench:{name} -->\n## {name}\n\n{header}\n\n{table(rows)}\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def report(name: str, rows: list[dict], command: str, *, record_it: bool, context: str = "") -> None:
    """Print a standalone bench's header (machine, time, `context`, the command) and table; with `record_it`,
    also write them into BENCHMARKS.md as section `name`."""
    header = f"Machine: {machine()}. Run: {now()}{', ' + context if context else ''}. `{command}`."
    print(header)
    print(table(rows))
    if record_it:
        record(name, rows, header)


def main(names: list[str]) -> int:
    from genviz.core.device import configure_threads

    configure_threads()
    modules = sorted(HERE.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if m.stem.removeprefix("bench_") in names]
    all_rows = []
    for path in modules:
        name = path.stem.removeprefix("bench_")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        print(f"running {name} …", file=sys.stderr, flush=True)
        rows = module.run()
        record(name, rows, f"Machine: {machine()}. Run: {now()}.")
        all_rows += rows
    print(f"Machine: {machine()}")
    print(table(all_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
