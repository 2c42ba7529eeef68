"""Load: N concurrent browser sessions against one server while one more session trains.

    python bench/load.py                      # N = 5 and N = 20, each against a fresh server
    python bench/load.py --sessions 5 --record
    python bench/load.py --url http://127.0.0.1:8501 --pid 1234   # attach to a running server

Each of the N sessions (browser contexts of one headless chromium, so that the browsers' own CPU stays
small) opens Home, Embedding explorer, GAN samples and Train once, in that order, all sessions at once.
A page is drawn when the script has finished, the main area has content, no spinner or progress bar is
left (the explorer's map is computed by then) and every plotly chart has its SVG. One more session
trains on the Train page throughout; its images/s (read from the progress text) are sampled alone for
`--alone` seconds, then while the N sessions run. Printed: one table — p50/p95 time-to-drawn per page,
errors, server RSS before (once the warmed server is idle) / after, the trainer's images/s alone vs under load, the server's CPU 10 s
after every session has closed, the load average. `--record` writes it into BENCHMARKS.md (section
"load"). Needs /usr/bin/chromium and playwright (requirements-dev.txt).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
PAGES = (("home", ""), ("Embedding explorer", "embed_explorer"), ("GAN samples", "gan_samples"), ("Train", "train"))
PAGE_TIMEOUT_S = 120


# ---- the server process ------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chromium_cpu_seconds() -> float:
    """CPU seconds of every live chromium process, with the children each has reaped (closed tabs' renderers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text.split("(", 1)[1].rsplit(")", 1)
        if comm.startswith("chrom"):
            fields = rest.split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def cpu_share(pid: int, seconds: float) -> float:
    """Cores the process used over the next `seconds`."""
    t0, c0 = time.monotonic(), cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def wait_idle(pid: int, timeout_s: float = 300.0, below: float = 0.05) -> float:
    """Seconds until the process uses under `below` cores over 2 s (the UMAP warm-up, numba compiling in a
    background thread for a minute or more, grows RSS while it runs: "before" is read once it is done)."""
    t0 = time.monotonic()
    while cpu_share(pid, 2.0) >= below and time.monotonic() - t0 < timeout_s:
        pass
    return time.monotonic() - t0


def load_average() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server():
    """A fresh `streamlit run app.py` (the repo's config, GENVIZ_HOME in a temp folder); yields (url, pid)."""
    port = _free_port()
    home = tempfile.mkdtemp(prefix="genviz-load-")
    env = {**os.environ, "GENVIZ_HOME": home, "PYTHONUNBUFFERED": "1"}
    shared = ROOT.parent / "shared" / "data"
    if "GENVIZ_DATA_DIR" not in os.environ and shared.is_dir():
        env["GENVIZ_DATA_DIR"] = str(shared)
    log = open(Path(home) / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start; see {log.name}") from None
                time.sleep(0.2)
        yield url, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        log.close()


# ---- one browser session -------------------------------------------------------------------------------
@dataclass
class Results:
    drawn: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name, _ in PAGES})
    errors: list[str] = field(default_factory=list)


async def drawn(page, timeout_s: float = PAGE_TIMEOUT_S) -> None:
    """Until the script has finished and the page is fully drawn (see the module docstring)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        ok = await page.evaluate("""() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const main = document.querySelector('[data-testid="stMain"]');
            if (!app || !main) return false;
            const conn = (app.getAttribute('data-test-connection-state') || 'CONNECTED').toUpperCase();
            if (app.getAttribute('data-test-script-state') !== 'notRunning' || conn !== 'CONNECTED') return false;
            if (!main.querySelector('[data-testid="stElementContainer"]')) return false;
            if (main.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"], [data-testid="stProgress"]'))
                return false;
            const charts = main.querySelectorAll('[data-testid="stPlotlyChart"]');
            return [...charts].every(c => c.querySelector('.main-svg'));
        }""")
        if ok:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 0.4:
                return
        else:
            quiet_since = None
        await asyncio.sleep(0.1)
    raise TimeoutError(f"not drawn within {timeout_s:.0f} s")


async def page_errors(page) -> list[str]:
    return await page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stException"], [data-testid="stAlertContentError"]')].map(e => e.innerText.slice(0, 200))""")


async def visitor(browser, url: str, results: Results, start: asyncio.Event) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        page.on("pageerror", lambda err: results.errors.append(f"JavaScript: {err}"))
        await start.wait()
        for name, path in PAGES:
            t0 = time.monotonic()
            try:
                await page.goto(f"{url}/{path}", wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_S * 1000)
                await drawn(page)
                results.drawn[name].append(time.monotonic() - t0)
                results.errors.extend(f"{name}: {e}" for e in await page_errors(page))
            except Exception as err:  # noqa: BLE001 — a timeout or a crash counts as an error of that page
                results.errors.append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
    finally:
        await context.close()


# ---- the training session ------------------------------------------------------------------------------
async def start_trainer(browser, url: str, dataset: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{url}/train?dataset={dataset}", wait_until="domcontentloaded")
    await drawn(page)
    box = page.locator('[data-testid="stMain"] .st-key-train_epochs input')
    await box.fill("1000")
    await box.press("Enter")
    await drawn(page)
    await page.locator('[data-testid="stMain"] .st-key-train_start button').click()
    deadline = time.monotonic() + 120
    while await images_per_s(page) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the training session did not start training within 120 s")
        await asyncio.sleep(0.5)
    return context, page


async def images_per_s(page) -> float | None:
    bar = page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
    try:
        text = await bar.first.inner_text(timeout=1000) if await bar.count() else ""
    except Exception:  # noqa: BLE001 — redrawn while reading
        return None
    found = re.search(r"running .*?([\d,]+) images/s", text)
    return float(found.group(1).replace(",", "")) if found else None


async def sample_rate(page, seconds: float | None, stop: asyncio.Event | None = None) -> list[float]:
    """The trainer's images/s every second, for `seconds` or until `stop`."""
    samples, t0 = [], time.monotonic()
    while (seconds is None or time.monotonic() - t0 < seconds) and not (stop and stop.is_set()):
        rate = await images_per_s(page)
        if rate is not None:
            samples.append(rate)
        await asyncio.sleep(1.0)
    return samples


# ---- one run -------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


async def run_load(url: str, pid: int | None, n: int, dataset: str, alone_s: float) -> list[dict]:
    from playwright.async_api import async_playwright

    results = Results()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        warm = await browser.new_context()
        warm_page = await warm.new_page()
        # Every page once, so the imports, compiled code and shared caches of a first visit are in the "before"
        # RSS: what must return to it after the load is what the sessions themselves took.
        for _, path in PAGES:
            await warm_page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            await drawn(warm_page, 180)
        await warm.close()
        await asyncio.sleep(3)
        idle_wait = wait_idle(pid) if pid else float("nan")
        rss_before = rss_mb(pid) if pid else float("nan")
        idle_cpu = cpu_share(pid, 2.0) if pid else float("nan")
        load_before = load_average()
        trainer_context, trainer = await start_trainer(browser, url, dataset)
        alone = await sample_rate(trainer, alone_s)
        start, done = asyncio.Event(), asyncio.Event()
        visitors = [asyncio.create_task(visitor(browser, url, results, start)) for _ in range(n)]
        sampler = asyncio.create_task(sample_rate(trainer, None, done))
        t0, server_cpu0, browser_cpu0 = time.monotonic(), cpu_seconds(pid) if pid else float("nan"), chromium_cpu_seconds()
        start.set()
        await asyncio.gather(*visitors)
        load_s = time.monotonic() - t0
        server_cpu = (cpu_seconds(pid) if pid else float("nan")) - server_cpu0
        browser_cpu = chromium_cpu_seconds() - browser_cpu0
        done.set()
        loaded = await sampler
        load_during = load_average()
        await trainer_context.close()
        await browser.close()
    closed = time.monotonic()
    cpu_10 = float("nan")
    rss_10 = rss_60 = float("nan")
    if pid:
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - closed)))
        cpu_10 = cpu_share(pid, 2.0)
        rss_10 = rss_mb(pid)
        await asyncio.sleep(max(0.0, 60 - (time.monotonic() - closed)))
        rss_60 = rss_mb(pid)

    rows = []
    setting = f"N = {n} sessions (+1 training on {dataset}), one chromium, {load_s:.0f} s of load"
    for name, _ in PAGES:
        times = results.drawn[name]
        rows.append({"benchmark": f"time to drawn: {name}", "setting": setting, "value": round(pct(times, 0.5), 2),
                     "unit": "s (p50)", "note": f"p95 {pct(times, 0.95):.2f} s; {len(times)}/{n} drawn"})
    rows.append({"benchmark": "errors", "setting": setting, "value": len(results.errors), "unit": "count",
                 "note": "; ".join(sorted(set(results.errors)))[:300] or "none"})
    rows.append({"benchmark": "trainer images/s", "setting": setting,
                 "value": round(statistics.median(loaded)) if loaded else float("nan"), "unit": "images/s (median)",
                 "note": f"alone {statistics.median(alone):,.0f} images/s ({len(alone)} samples); under load "
                         f"{len(loaded)} samples, min {min(loaded, default=float('nan')):,.0f}"})
    rows.append({"benchmark": "server RSS", "setting": setting, "value": round(rss_10), "unit": "MB (10 s after close)",
                 "note": f"before {rss_before:,.0f} MB (read once the warmed server was idle, after {idle_wait:.0f} s); "
                         f"60 s after all sessions closed {rss_60:,.0f} MB ({100 * (rss_60 / rss_before - 1):+.1f} %)"})
    rows.append({"benchmark": "server CPU 10 s after close", "setting": setting, "value": round(cpu_10, 3),
                 "unit": "cores (2 s mean)", "note": f"idle before the load {idle_cpu:.3f} cores"})
    rows.append({"benchmark": "CPU during the load", "setting": setting, "value": round(server_cpu / load_s, 2),
                 "unit": "server cores (mean)",
                 "note": f"server {server_cpu:.0f} core-s (the trainer's thread included), chromium {browser_cpu:.0f} core-s "
                         f"of the {os.cpu_count() * load_s:.0f} core-s the machine had"})
    rows.append({"benchmark": "machine load", "setting": setting, "value": load_during, "unit": "load average",
                 "note": f"before {load_before}; 1/5/15 min, 2 cores shared with other work"})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--dataset", default="digits", help="what the training session trains on")
    parser.add_argument("--alone", type=float, default=15.0, help="seconds the trainer is timed alone")
    parser.add_argument("--url", help="attach to this running server instead of starting one per N")
    parser.add_argument("--pid", type=int, help="the attached server's process id (for RSS and CPU)")
    parser.add_argument("--record", action="store_true", help="write the table into BENCHMARKS.md")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import run as bench_run  # bench/run.py: machine(), table(), record()

    rows = []
    for n in args.sessions:
        print(f"load: N = {n} …", file=sys.stderr, flush=True)
        if args.url:
            rows += asyncio.run(run_load(args.url.rstrip("/"), args.pid, n, args.dataset, args.alone))
        else:
            with streamlit_server() as (url, pid):
                rows += asyncio.run(run_load(url, pid, n, args.dataset, args.alone))
    bench_run.report("load", rows, f"python bench/load.py --sessions {' '.join(map(str, args.sessions))}",
                     record_it=args.record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
