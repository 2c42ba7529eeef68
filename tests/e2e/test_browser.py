"""The real app in a real browser: `streamlit run` on a free port, driven by Debian's chromium.

Visits every page registered in app.py (found by parsing it, so new pages are picked up without
edits here), waits until the script has finished, fails on any exception, red error box or
"page not found", and saves a screenshot per page to tests/e2e/screenshots/. Pages with a live
"Play" button (a keyed button whose key ends in `_play`) get it pressed for two seconds.

On the Train page: changes the latent size (a number box), starts a long autoencoder run, checks that the
progress advances by itself (the st.fragment timer ticks) with a reconstruction grid and a loss chart
on screen, presses Stop (must end the run within a few seconds), trains 5 epochs to "done", saves,
and finds the saved model in the Reconstructions page's picker (same session, via the sidebar).
A server of its own checks that it listens on localhost only (the config's default) and that closing
a tab that trains brings the server's CPU and threads back to idle within 10 s.

Any console error in the browser fails a test, except the two probes Streamlit's frontend makes on a
deep link (`/<page>/_stcore/health` and `/<page>/_stcore/host-config`, 404, Streamlit issue 7074).
Issue 19's fixes are checked by test-id (st-key classes, data-testid), never by sleeping: readable
log-axis ticks on every chart, the Train page's pace, unshrunk previews, split charts and final
summary, the latent-space defaults, the bottleneck's button, no one-option radio, thumbnails on the
embedding map, nothing clipped on the Concepts pages; MNIST pages are visited too when the data is there.
Runs with GENVIZ_HOME in a temp folder. Skipped when /usr/bin/chromium is missing, except in CI.
"""
from __future__ import annotations

import ast
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE_TIMEOUT_S = 90  # cold start imports torch and may build models; UMAP compiles for ~40 s
TRAIN_TIMEOUT_S = 150
BACKGROUND_WAIT_S = 40  # a page's own background work (t-SNE, warm-ups) gets this long before its screenshot
IN_CI = bool(os.environ.get("CI"))

pytestmark = pytest.mark.e2e

if not CHROMIUM.exists():
    reason = f"{CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)"
    if IN_CI:
        raise RuntimeError(f"CI: {reason}")
    pytest.skip(reason, allow_module_level=True)
if IN_CI:
    from playwright.sync_api import Page, sync_playwright
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                   "(scripts/setup.sh --dev installs requirements-dev.txt)")
    Page, sync_playwright = sync_api.Page, sync_api.sync_playwright


# ----------------------------------------------------------------------------------------------------
# Which pages app.py registers
@dataclass(frozen=True)
class AppPage:
    path: str  # "pages/train.py"
    url_path: str  # "" for the default page
    title: str

    @property
    def name(self) -> str:
        return Path(self.path).stem


def _inferred_url_path(path: str) -> str:
    """What Streamlit derives from a file name: the stem, numeric prefix and leading emoji removed."""
    from streamlit.source_util import page_icon_and_name

    return page_icon_and_name(Path(path))[1]


def registered_pages() -> list[AppPage]:
    """Every `st.Page("pages/....py", ...)` call in app.py, in source order (parsed, never executed)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Page"
             and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]
    pages: list[AppPage] = []
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        path = node.args[0].value
        kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        url_path = "" if kw.get("default") else str(kw.get("url_path") or _inferred_url_path(path)).strip("/")
        page = AppPage(path, url_path, str(kw.get("title") or Path(path).stem))
        if page not in pages:
            pages.append(page)
    return pages


PAGES = registered_pages()


# ----------------------------------------------------------------------------------------------------
# The server and the browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def genviz_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e_genviz_home")


class ServerUrl(str):
    """The server's URL; `.pid` is the streamlit process (for its CPU time, threads and sockets)."""

    pid: int


@contextlib.contextmanager
def running_streamlit(genviz_home: Path, log_path: Path) -> Iterator[ServerUrl]:
    """`streamlit run app.py` with the repo's venv and its .streamlit/config.toml (which binds localhost)
    on a free port; yields its URL and always terminates it (the whole process group)."""
    port = _free_port()
    env = {**os.environ, "GENVIZ_HOME": str(genviz_home), "PYTHONUNBUFFERED": "1"}
    shared_data = ROOT.parent / "shared" / "data"
    if "GENVIZ_DATA_DIR" not in os.environ and shared_data.is_dir():
        env["GENVIZ_DATA_DIR"] = str(shared_data)
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def server_log() -> str:
        log.flush()
        return log_path.read_text(errors="replace")[-4000:]

    url = ServerUrl(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode} before answering:\n{server_log()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer {url}/_stcore/health within 60 s:\n{server_log()}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            t0 = time.monotonic()
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                print(f"\nstreamlit did not exit within 5 s of SIGTERM; killed after {time.monotonic() - t0:.1f} s")
        log.close()
        text = log_path.read_text(errors="replace")
        if "Traceback" in text:
            print(f"\n--- streamlit server log (has a traceback) ---\n{text[-4000:]}")


@pytest.fixture(scope="module")
def server(genviz_home: Path, tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[str]:
    """One server for the page tests. It is warmed up by opening "/" once: that pays the torch import
    outside any page's timing, and runs app.py's st.navigation, without which Streamlit 1.67 runs a
    sub-page URL's file alone (see test_cold_start_on_a_sub_page_url)."""
    with running_streamlit(genviz_home, tmp_path_factory.mktemp("e2e_server") / "streamlit.log") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            watch_console(page)
            page.goto(url, wait_until="domcontentloaded")
            wait_until_settled(page, "warm-up visit of /")
            assert_clean_console(page, "warm-up visit of /")
        finally:
            context.close()
        yield url


@pytest.fixture(scope="module")
def browser():
    for stale in [*SCREENSHOTS.glob("ERROR-*.png"), *SCREENSHOTS.glob("TIMEOUT-*.png")]:
        stale.unlink()  # failure screenshots of an earlier run would mislead
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def tab(browser):
    """A fresh tab (= a fresh Streamlit session) that records JavaScript errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch_console(page)
    try:
        yield page
    finally:
        context.close()


# Streamlit's frontend probes `<page>/_stcore/health` and `<page>/_stcore/host-config` on a deep link
# before the real endpoints (Streamlit issue 7074): two harmless 404s per full page load. Only these.
KNOWN_PROBE = re.compile(r"^https?://[^/]+/[^?#]+/_stcore/(health|host-config)(\?.*)?$")


def watch_console(page: Page) -> None:
    """Record uncaught JavaScript errors (`page.js_errors`) and console errors (`page.console_errors`),
    leaving out only the known deep-link probes."""
    page.js_errors = []
    page.console_errors = []
    page.on("pageerror", lambda err: page.js_errors.append(str(err)))

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if KNOWN_PROBE.match(url) and "404" in msg.text:
            return
        page.console_errors.append(f"{msg.text} ({url or 'no url'})")

    page.on("console", on_console)


def assert_clean_console(page: Page, what: str) -> None:
    assert not page.js_errors, f"{what}: JavaScript errors in the browser: {page.js_errors}"
    assert not page.console_errors, f"{what}: console errors in the browser: {page.console_errors}"


# ----------------------------------------------------------------------------------------------------
# Helpers
def _app_state(page: Page) -> tuple[str | None, str | None]:
    app = page.locator('[data-testid="stApp"]')
    if not app.count():
        return None, None
    return app.get_attribute("data-test-script-state"), app.get_attribute("data-test-connection-state")


def wait_until_settled(page: Page, what: str, timeout_s: float = PAGE_TIMEOUT_S, quiet_s: float = 0.4) -> None:
    """Wait until the script has finished: the app reports `notRunning` for `quiet_s` in a row
    (a page may st.rerun itself), the websocket is connected, the main area has content, and no
    element is still a grey skeleton placeholder (tolerated after 5 s of quiet)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    state = conn = "?"
    main = page.locator('[data-testid="stMain"]')
    while time.monotonic() < deadline:
        state, conn = _app_state(page)
        has_content = main.locator('[data-testid="stElementContainer"]').count() > 0
        if state == "notRunning" and has_content and (conn or "CONNECTED").upper() == "CONNECTED":
            quiet_since = quiet_since or time.monotonic()
            quiet_for = time.monotonic() - quiet_since
            skeletons = main.locator('[data-testid="stSkeleton"]').count()
            if quiet_for >= quiet_s and (not skeletons or quiet_for >= 5):
                return
        else:
            quiet_since = None
        page.wait_for_timeout(100)
    shot = _shot(page, f"TIMEOUT-{what}")
    pytest.fail(f"{what}: the app was still busy after {timeout_s:.0f} s (script state {state!r}, "
                f"connection {conn!r}); see {shot}", pytrace=False)


def wait_for_background_work(page: Page, what: str, max_s: float = BACKGROUND_WAIT_S) -> None:
    """A page may start work in the background (a t-SNE, a warm-up) and show a progress bar or spinner
    that a timer fragment refreshes. Wait (bounded, never failing) until it has gone, so the screenshot
    shows the result; a bar whose text has not changed for 8 s is taken as part of the page."""
    busy = page.locator('[data-testid="stMain"] [data-testid="stProgress"], '
                        '[data-testid="stMain"] [data-testid="stSpinner"]')
    t0 = last_change = time.monotonic()
    last_text = None
    while busy.count() and time.monotonic() - t0 < max_s:
        try:
            text = " | ".join(busy.all_inner_texts())
        except Exception:  # redrawn while reading
            text = None
        if text != last_text:
            last_text, last_change = text, time.monotonic()
        elif time.monotonic() - last_change > 8:
            break
        page.wait_for_timeout(200)
    if busy.count() and time.monotonic() - t0 >= max_s:
        print(f"\n{what}: still working in the background after {max_s:.0f} s ({last_text!r}); "
              "screenshot taken anyway")
    wait_until_settled(page, what)


def check_navigation(page: Page, what: str) -> None:
    """app.py must reach st.navigation: when it raises first, Streamlit silently falls back to listing
    pages/ (a nav entry called "app") and sub-pages still render, hiding the error."""
    nav = [t.strip() for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]
    if "app" in nav:
        pytest.fail(f"{what}: the sidebar lists pages/ by file name ({nav[:4]}...): Streamlit ran the page "
                    "file without app.py, treating pages/ as a v1 multipage folder (app.py's st.navigation has "
                    "not run in this server yet, or it raised: open / to see)", pytrace=False)


def errors_on(page: Page) -> list[str]:
    """Texts of Streamlit exceptions, red error boxes and 'page not found' dialogs on the page."""
    found = []
    for sel in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        for el in page.locator(sel).all():
            found.append(f"{sel}: {el.inner_text().strip()[:2000]}")
    for dialog in page.locator('[role="dialog"]').all():
        text = dialog.inner_text().strip()
        if "not found" in text.lower():
            found.append(f"dialog: {text[:500]}")
    return found


def assert_no_errors(page: Page, what: str) -> None:
    errs = errors_on(page)
    if errs:
        _shot(page, f"ERROR-{what}")
        pytest.fail(f"{what} shows {len(errs)} error(s):\n" + "\n---\n".join(errs), pytrace=False)


def _shot(page: Page, name: str) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside its main container, so the viewport is
    stretched to the content's height first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    try:
        height = page.evaluate(
            """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]',
                               '[data-testid="stSidebarContent"]']
                  .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight), 0)""")
        size = page.viewport_size or {"width": 1400, "height": 1000}
        page.set_viewport_size({"width": size["width"], "height": int(min(max(height, 1000), 8000))})
        page.wait_for_timeout(400)  # let plotly re-lay out to the new size
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(size)
    except Exception as err:  # a screenshot must never hide the real failure
        print(f"screenshot {name} failed: {err}")
    return path


def open_page(page: Page, base_url: str, app_page: AppPage, query: str = "") -> None:
    page.goto(f"{base_url}/{app_page.url_path}{query}", wait_until="domcontentloaded")
    page.locator('[data-testid="stApp"]').wait_for(state="attached", timeout=30_000)
    wait_until_settled(page, app_page.path)


def press_play_buttons(page: Page, app_page: AppPage) -> None:
    """Press every keyed `*_play` button for ~2 s of live drawing, then its stop/pause if there is one."""
    plays = page.locator('[data-testid="stMain"] [class*="st-key-"][class*="_play"] button')
    for i in range(plays.count()):
        button = plays.nth(i)
        if not button.is_visible() or not button.is_enabled():
            continue
        button.click()
        page.wait_for_timeout(2000)
        assert_no_errors(page, f"{app_page.path} after pressing Play")
        _shot(page, f"{app_page.name}-playing{'' if i == 0 else f'-{i}'}")
        stop = page.locator('[data-testid="stMain"] [class*="st-key-"][class*="_stop"] button,'
                            '[data-testid="stMain"] [class*="st-key-"][class*="_pause"] button')
        if stop.count() and stop.first.is_visible() and stop.first.is_enabled():
            stop.first.click()
            page.wait_for_timeout(500)
        assert_no_errors(page, f"{app_page.path} after stopping Play")


# ----------------------------------------------------------------------------------------------------
# Tests
def test_app_registers_pages():
    assert PAGES, "no st.Page(...) entries found in app.py"
    assert any(p.url_path == "" for p in PAGES), "app.py has no default page"
    missing = [p.path for p in PAGES if not (ROOT / p.path).is_file()]
    assert not missing, f"app.py registers page files that do not exist: {missing}"


@pytest.mark.parametrize("app_page", PAGES, ids=[p.name for p in PAGES])
def test_page_renders_in_browser(server: str, tab: Page, app_page: AppPage):
    if not (ROOT / app_page.path).is_file():
        pytest.fail(f"app.py registers {app_page.path}, which does not exist", pytrace=False)
    open_page(tab, server, app_page)
    check_navigation(tab, app_page.path)
    assert_no_errors(tab, app_page.path)
    wait_for_background_work(tab, app_page.path)
    assert_no_errors(tab, app_page.path)
    _shot(tab, app_page.name)
    check_readable_axes(tab, app_page.path)
    check_issue19(tab, app_page)
    press_play_buttons(tab, app_page)
    assert_clean_console(tab, app_page.path)


MNIST_DATA = Path(os.environ.get("GENVIZ_DATA_DIR") or ROOT.parent / "shared" / "data") / "MNIST"


@pytest.mark.skipif(not MNIST_DATA.is_dir(), reason=f"no MNIST files under {MNIST_DATA}")
@pytest.mark.parametrize("app_page", PAGES, ids=[p.name for p in PAGES])
def test_page_renders_on_mnist(server: str, tab: Page, app_page: AppPage):
    """Every page again with MNIST chosen (through the URL), for its screenshot and the same checks."""
    open_page(tab, server, app_page, "?dataset=mnist")
    assert_no_errors(tab, f"{app_page.path} on MNIST")
    wait_for_background_work(tab, f"{app_page.path} on MNIST")
    assert_no_errors(tab, f"{app_page.path} on MNIST")
    _shot(tab, f"{app_page.name}-mnist")
    check_readable_axes(tab, f"{app_page.path} on MNIST")
    check_issue19(tab, app_page, dataset="mnist")
    assert_clean_console(tab, f"{app_page.path} on MNIST")


# Issue 19 checks by test-id ----------------------------------------------------------------------------
def check_readable_axes(page: Page, what: str) -> None:
    """No plotly axis repeats a tick label: Plotly's default log ticks read "5 2 10 5 2 1 5 2 0.1"."""
    repeated = page.evaluate("""() => {
        const bad = [];
        document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"] .main-svg').forEach(svg => {
            svg.querySelectorAll('g.xaxislayer-above, g.yaxislayer-above').forEach(axis => {
                const ticks = [...axis.querySelectorAll('text')].map(t => t.textContent.trim()).filter(Boolean);
                if (new Set(ticks).size < ticks.length) bad.push(ticks.join(' '));
            });
        });
        return bad; }""")
    assert not repeated, f"{what}: axis tick labels repeat (unreadable log ticks?): {repeated}"


def _clipped(page: Page, selector: str) -> list[str]:
    """Texts of elements under `selector` whose content is wider than their box (cut off or scrolled)."""
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)]
        .filter(e => e.scrollWidth > e.clientWidth + 2 && getComputedStyle(e).overflowX !== 'visible')
        .map(e => (e.value || e.textContent || '').trim().slice(0, 80))""", selector)


def check_issue19(page: Page, app_page: AppPage, dataset: str = "digits") -> None:
    from genviz.core import data

    main = page.locator('[data-testid="stMain"]')
    name, what = app_page.name, f"{app_page.path} ({dataset})"
    if dataset == "digits":  # bundled with scikit-learn: never "not available" (a threaded-import race once said so)
        alerts = [t for t in main.locator('[data-testid="stAlert"]').all_inner_texts() if "is not available" in t]
        assert not alerts, f"{what}: {alerts}"
    if name == "ae_latent_space":
        captions = [t for t in main.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
                    if t.startswith("From a ")]
        if captions:  # an autoencoder of this dataset is shipped
            found = re.match(r"From a (.+) to a (.+)\.", captions[0])
            assert found and found.group(1) != found.group(2), f"{what}: default interpolation {captions[0]!r}"
    elif name == "ae_bottleneck":
        label = main.locator(".st-key-bn_start button").inner_text()
        assert f"Recompute on {data.DATASETS[dataset].title}" in label, f"{what}: button says {label!r}"
    elif name == "gan_training_dynamics":
        assert not main.locator(".st-key-gans_dyn_source").count(), f"{what}: a one-option 'Show' radio"
    elif name == "embed_explorer":
        if main.locator(".st-key-emb_map .main-svg").count():
            pictures = main.locator(".st-key-emb_map image").count()
            assert pictures > 0, f"{what}: the map shows no thumbnails of its images"
    elif name == "ae_prior_sampling":
        bars = main.locator(".st-key-ps_class_bars g.xaxislayer-above text")
        if bars.count():
            assert [t.strip() for t in bars.all_text_contents()] == [str(c) for c in range(10)], \
                f"{what}: class bars label {bars.all_text_contents()}"
    elif name == "concept_transposed_conv":
        clipped = _clipped(page, '[data-testid="stMain"] [data-testid="stCode"] pre, '
                                 '[data-testid="stMain"] [data-testid="stCode"] code')
        assert not clipped, f"{what}: the code is cut off: {clipped}"
    elif name == "concept_gaussian_generator":
        clipped = _clipped(page, '[data-testid="stMain"] [data-testid="stColumn"] .katex-display')
        assert not clipped, f"{what}: matrices cut off: {clipped}"
    elif name == "translation_cyclegan":
        clipped = _clipped(page, '[data-testid="stMain"] .katex-display, [data-testid="stMain"] [data-testid="stMarkdownContainer"]')
        assert not clipped, f"{what}: the loss formula is cut off: {clipped}"
    elif name == "concept_gan2d":
        clipped = _clipped(page, '.st-key-gan2d_loss input, .st-key-gan2d_loss [role="combobox"], '
                                 '.st-key-gan2d_loss [data-baseweb="select"] div')
        assert not clipped, f"{what}: the loss dropdown is cut off: {clipped}"


def test_train_autoencoder_live_and_save(server: str, tab: Page, genviz_home: Path):
    train = next((p for p in PAGES if p.path == "pages/train.py"), None)
    assert train is not None, "app.py does not register pages/train.py"
    open_page(tab, server, train)
    main = tab.locator('[data-testid="stMain"]')

    # The autoencoder: choose it if another model is the default.
    latent = main.locator(".st-key-train_ae_latent_dim")
    if not latent.count():
        from genviz.core import registry

        open_selectbox(tab.locator(".st-key-train_kind"))
        tab.get_by_role("option").filter(has_text=registry.get("ae").title).first.click()
        wait_until_settled(tab, "Train page after choosing the autoencoder")
    # Latent size spans 1 … 1024, so the page draws a number box for it (ui.widgets.WIDE): type a value
    # and press Enter; the rerun must keep it.
    box = latent.locator("input").first
    box.wait_for(state="attached", timeout=30_000)
    before = int(box.input_value())
    box.fill(str(before + 4))
    box.press("Enter")
    wait_until_settled(tab, "Train page after changing the latent size")
    try:
        tab.wait_for_function(
            """(want) => { const t = document.querySelector('.st-key-train_ae_latent_dim input');
                           return t && Number(t.value) === want; }""",
            arg=before + 4, timeout=10_000)
    except Exception:
        pytest.fail(f"the latent-size box did not keep {before + 4} (shows {box.input_value()!r})", pytrace=False)

    # 1) A long run: the page must refresh by itself while it trains, and Stop must end it promptly.
    # Digits starts at the watchable pace (issue 19 item 7), so the run can be seen and stopped.
    pace = main.locator(".st-key-train_pace")
    assert pace.count() and "watchable" in pace.inner_text(), "the Train page has no pace control"
    set_epochs(tab, 1000)
    main.locator(".st-key-train_start button").click()
    wait_for_preview(tab)
    assert_no_errors(tab, "Train page while training")
    check_preview_and_chart(tab)
    first = progress_step(tab)
    deadline = time.monotonic() + 15
    while progress_step(tab) <= first and time.monotonic() < deadline:
        tab.wait_for_timeout(200)
    assert progress_step(tab) > first, ("the progress did not advance by itself within 15 s: the live refresh "
                                        f"(st.fragment run_every) is not ticking; progress: {progress_text(tab)!r}")
    _shot(tab, "train-running")
    stop = main.locator(".st-key-train_stop button")
    if "running" in progress_text(tab):
        t0 = time.monotonic()
        stop.click()
        wait_for_save_button(tab, timeout_s=15, what="after Stop")
        stop_s = time.monotonic() - t0
        print(f"\nStop → Save button shown in {stop_s:.2f} s; progress: {progress_text(tab)!r}")
        assert "stopped" in progress_text(tab), progress_text(tab)
        assert stop_s < 5, f"Stop took {stop_s:.1f} s to end the run (should be about a second)"
    wait_until_settled(tab, "Train page after Stop")
    assert_no_errors(tab, "Train page after Stop")

    # 2) A short run that ends by itself, then Save.
    set_epochs(tab, 5)
    main.locator(".st-key-train_start button").click()
    # The previous run's grid and Save button stay on screen until the new run redraws them, so the
    # progress text is the signal: it must come to say "done" by itself.
    wait_for_progress(tab, "done", timeout_s=TRAIN_TIMEOUT_S, what="run of 5 epochs")
    wait_for_preview(tab)
    save = wait_for_save_button(tab, timeout_s=30, what="(run of 5 epochs)")
    wait_until_settled(tab, "Train page after training")
    assert "done" in progress_text(tab), f"the progress should say the run is done, got {progress_text(tab)!r}"
    assert_no_errors(tab, "Train page after training")
    summary = main.locator(".st-key-train_summary")
    summary.wait_for(state="visible", timeout=10_000)
    assert summary.locator('[data-testid="stMetric"]').count(), "no held-out summary at the end of the run"
    save.click()
    success = main.locator('[data-testid="stAlertContentSuccess"]')
    try:
        success.first.wait_for(state="visible", timeout=60_000)
    except Exception:
        shot = _shot(tab, "ERROR-train-save")
        assert_no_errors(tab, "Train page after Save")
        pytest.fail(f"Save showed no success message within 60 s; see {shot}", pytrace=False)
    wait_until_settled(tab, "Train page after Save")
    assert_no_errors(tab, "Train page after Save")
    _shot(tab, "train-saved")
    assert re.search(r"\d+ steps, [\d.]+ epochs", success.first.inner_text()), success.first.inner_text()
    saved = sorted(p.stem for p in (genviz_home / "checkpoints").glob("*.safetensors"))
    assert saved, f"Save reported success but no checkpoint is in {genviz_home / 'checkpoints'}"
    assert_clean_console(tab, "Train page")

    # 3) The saved model appears in a model picker (same session, reached through the sidebar).
    recon = next((p for p in PAGES if p.path == "pages/ae_reconstructions.py"), None)
    picker = main.locator(".st-key-recon_model")
    if recon is None:
        print("pages/ae_reconstructions.py is not registered: picker check skipped")
        return
    tab.locator('[data-testid="stSidebarNav"] a').filter(has_text=recon.title).first.click()
    wait_until_settled(tab, "Reconstructions page after Save")
    assert_no_errors(tab, "Reconstructions page after Save")
    if not picker.count():
        print("the Reconstructions page has no `recon_model` picker any more: picker check skipped")
        return
    open_selectbox(picker)
    option = tab.get_by_role("option").filter(has_text=saved[0])
    assert option.count(), (f"the saved checkpoint {saved[0]!r} is not in the Reconstructions picker; options: "
                            f"{tab.get_by_role('option').all_inner_texts()}")
    option.first.click()
    wait_until_settled(tab, "Reconstructions page with the saved model")
    assert_no_errors(tab, "Reconstructions page with the saved model")
    _shot(tab, "ae_reconstructions-saved-model")


def open_selectbox(container) -> None:
    """Open a selectbox's option list (1.67: a react-aria combobox; older: baseweb select)."""
    box = container.locator('[role="combobox"], [data-baseweb="select"]').first
    box.click()
    container.page.get_by_role("option").first.wait_for(state="visible", timeout=10_000)


def test_cold_start_on_a_sub_page_url(browser, tmp_path: Path):
    """A fresh server whose first visitor opens a sub-page URL (a bookmark, or the tab that reconnects
    after `scripts/app.sh` restarts) must get the app's grouped navigation, i.e. app.py must run."""
    sub = next((p for p in PAGES if p.url_path), None)
    if sub is None:
        pytest.skip("app.py registers no page besides the default one")
    with running_streamlit(tmp_path / "home", tmp_path / "streamlit.log") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            watch_console(page)
            page.goto(f"{url}/{sub.url_path}", wait_until="domcontentloaded")
            wait_until_settled(page, f"cold start on /{sub.url_path}")
            _shot(page, "cold-start-sub-page")
            check_navigation(page, f"cold start on /{sub.url_path}")
            assert_no_errors(page, f"cold start on /{sub.url_path}")
            assert_clean_console(page, f"cold start on /{sub.url_path}")
        finally:
            context.close()


def listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port` (/proc/net/tcp and tcp6; state 0A = LISTEN)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port and len(address) == width:
                raw = bytes.fromhex(address)
                # /proc writes each 32-bit word in host (little-endian) order
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.append(socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6, words))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_share(pid: int, window_s: float = 1.0) -> float:
    """The process's CPU use over the next `window_s` seconds, in cores (1.0 = one core busy)."""
    t0, c0 = time.monotonic(), cpu_seconds(pid)
    time.sleep(window_s)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_server_listens_on_localhost_only_and_a_closed_tab_stops_its_training(browser, tmp_path: Path):
    """Issue 15, items 1 and 2, against a real server started with the repo's config: it listens on the
    loopback interface only; a long training run stops when its tab is closed, and the server's CPU
    and thread count fall back to idle within 10 s."""
    with running_streamlit(tmp_path / "home", tmp_path / "streamlit.log") as url:
        port = int(url.rsplit(":", 1)[1])
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on port {port}"
        exposed = [a for a in addresses if a not in ("127.0.0.1", "::1")]
        assert not exposed, f"the server listens on {exposed}: server.address must default to localhost"

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        watch_console(tab)
        tab.goto(url, wait_until="domcontentloaded")
        wait_until_settled(tab, "warm-up visit of /")
        idle_threads = thread_count(url.pid)
        tab.goto(f"{url}/train?dataset=digits", wait_until="domcontentloaded")
        wait_until_settled(tab, "Train page")
        tab.locator(".st-key-train_pace button").filter(has_text="full speed").first.click()  # CPU flat out
        wait_until_settled(tab, "Train page at full speed")
        set_epochs(tab, 1000)
        tab.locator('[data-testid="stMain"] .st-key-train_start button').click()
        wait_for_progress(tab, "running", timeout_s=60, what="a long run")
        first = progress_step(tab)
        deadline = time.monotonic() + 30
        while progress_step(tab) <= first and time.monotonic() < deadline:
            tab.wait_for_timeout(200)
        assert progress_step(tab) > first, f"the run did not advance: {progress_text(tab)!r}"
        assert_clean_console(tab, "Train page of the second server")
        busy = cpu_share(url.pid, 2.0)
        training_threads = thread_count(url.pid)
        print(f"\nwhile training: server CPU {busy:.2f} cores, {training_threads} threads "
              f"({idle_threads} before the run)")
        assert busy > 0.3, f"the server should be training hard (CPU {busy:.2f} cores)"

        closed = time.monotonic()
        context.close()
        share = busy
        while time.monotonic() - closed < 15:
            share = cpu_share(url.pid, 1.0)
            if share < 0.15:
                break
        idle_after = time.monotonic() - closed
        settled = cpu_share(url.pid, 3.0)
        threads_after = thread_count(url.pid)
        print(f"tab closed: server CPU below 0.15 cores after {idle_after:.1f} s (then {settled:.3f} cores over "
              f"3 s); threads {training_threads} -> {threads_after}")
        assert share < 0.15 and idle_after <= 10, (f"the server still used {share:.2f} cores {idle_after:.0f} s "
                                                   "after the training tab closed: the job outlived its session")
        assert settled < 0.15, f"CPU came back after the tab closed: {settled:.2f} cores"
        assert threads_after < training_threads, "the training thread should have ended"


# Train-page helpers ---------------------------------------------------------------------------------
def set_epochs(tab: Page, epochs: int) -> None:
    box = tab.locator('[data-testid="stMain"] .st-key-train_epochs input')
    box.fill(str(epochs))
    box.press("Enter")
    wait_until_settled(tab, f"Train page after setting epochs to {epochs}")
    assert box.input_value() == str(epochs), box.input_value()


def progress_text(tab: Page) -> str:
    bar = tab.locator('[data-testid="stMain"] [data-testid="stProgress"]')
    return bar.first.inner_text().strip() if bar.count() else ""


def progress_step(tab: Page) -> int:
    found = re.search(r"step (\d+)", progress_text(tab))
    return int(found.group(1)) if found else -1


def wait_for_progress(tab: Page, word: str, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while word not in progress_text(tab):
        if time.monotonic() > deadline:
            shot = _shot(tab, "ERROR-train-progress")
            assert_no_errors(tab, f"Train page ({what})")
            pytest.fail(f"{what}: the progress text did not come to say {word!r} within {timeout_s:.0f} s; "
                        f"it says {progress_text(tab)!r}; see {shot}", pytrace=False)
        tab.wait_for_timeout(200)


def wait_for_preview(tab: Page) -> None:
    """The live reconstruction grid and the loss chart of the run that was just started."""
    main = tab.locator('[data-testid="stMain"]')
    try:
        main.locator('.st-key-train_preview img').first.wait_for(state="visible", timeout=TRAIN_TIMEOUT_S * 1000)
        main.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(state="visible", timeout=60_000)
    except Exception:
        shot = _shot(tab, "ERROR-train-no-preview")
        assert_no_errors(tab, "Train page while training")
        pytest.fail(f"Training started but no reconstruction image and loss chart appeared within "
                    f"{TRAIN_TIMEOUT_S} s; see {shot}", pytrace=False)


def check_preview_and_chart(tab: Page) -> None:
    """Issue 19 items 7 and 8: preview tiles drawn at their size (≥ 48 px on screen), the training chart
    with y-axis titles, human metric names and legends beside the plots."""
    main = tab.locator('[data-testid="stMain"]')
    img = main.locator(".st-key-train_preview img").first
    img.wait_for(state="visible", timeout=30_000)
    size = img.evaluate("e => [e.naturalWidth, e.naturalHeight, e.clientWidth, e.clientHeight]")
    assert size[2] >= size[0] - 1, f"the preview is shrunk to {size[2]} px of its {size[0]}: tiles would be small"
    assert size[3] / 2 >= 48, f"preview rows are {size[3] / 2:.0f} px tall on screen (want ≥ 48)"
    chart = main.locator(".st-key-train_chart .main-svg").first
    chart.wait_for(state="visible", timeout=30_000)
    titles = [t.strip() for t in main.locator(".st-key-train_chart .g-ytitle").all_text_contents()]
    assert titles and all(titles), f"the training chart has no y-axis title: {titles}"
    names = [t.strip() for t in main.locator(".st-key-train_chart .legendtext").all_text_contents()]
    assert names and not [n for n in names if "_" in n], f"snake_case metric names in the legend: {names}"


def wait_for_save_button(tab: Page, timeout_s: float, what: str):
    save = tab.locator('[data-testid="stMain"] .st-key-train_save_form [data-testid="stFormSubmitButton"] button,'
                       '[data-testid="stMain"] [data-testid="stFormSubmitButton"] button').first
    try:
        save.wait_for(state="visible", timeout=timeout_s * 1000)
    except Exception:
        shot = _shot(tab, "ERROR-train-not-finished")
        assert_no_errors(tab, f"Train page {what}")
        pytest.fail(f"The run did not end (no Save button) within {timeout_s:.0f} s {what}; progress: "
                    f"{progress_text(tab)!r}; see {shot}", pytrace=False)
    return save
