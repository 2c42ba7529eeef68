"""Foundation: AE epoch time (digits, MNIST), app cold start, server time of one slider rerun."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _epoch_seconds(dataset: str, epochs: int) -> tuple[float, float]:
    from genviz.core import data, registry
    from genviz.core.train import TensorSplit, TrainParams, fit

    imgs = data.load(dataset)
    spec = registry.get("ae")
    config = spec.make_config(imgs.image_shape, imgs.n_classes, latent_dim=20, hidden=400)
    model = spec.build(config)
    split = TensorSplit((imgs.x_train, imgs.y_train), (imgs.x_test, imgs.y_test))
    t = time.perf_counter()
    for _last in fit(model, spec.recipe(config), split, TrainParams(epochs=epochs, batch_size=128, eval_every_epoch=False,
                                                                   log_every=10**6)):
        pass
    seconds = (time.perf_counter() - t) / epochs
    return seconds, len(imgs.x_train) / seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cold_start() -> tuple[float, float | None]:
    """Seconds from `streamlit run` to health OK, and to the home page drawn in headless chromium."""
    port = _free_port()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        health = time.perf_counter() - t
        page = None
        if Path("/usr/bin/chromium").exists():
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                            args=["--no-sandbox", "--disable-gpu"])
                tab = browser.new_page()
                tab.goto(f"http://127.0.0.1:{port}/")
                tab.wait_for_selector("h1:has-text('genviz')", timeout=120_000)
                page = time.perf_counter() - t
                browser.close()
        return health, page
    finally:
        proc.terminate()
        proc.wait(10)


def _rerun_ms() -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/ae_reconstructions.py").run()
    times = []
    for value in (8, 12, 20, 24, 16, 28):
        at.slider(key="recon_n").set_value(value)
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    times.sort()
    return 1000 * times[len(times) // 2]


def run() -> list[dict]:
    rows = []
    sec, rate = _epoch_seconds("digits", 20)
    rows.append({"benchmark": "AE epoch (MLP 64-400-20)", "setting": "digits, 1,437 images, batch 128",
                 "value": sec, "unit": "s/epoch", "note": f"{rate:,.0f} images/s"})
    try:
        sec, rate = _epoch_seconds("mnist", 2)
        rows.append({"benchmark": "AE epoch (MLP 784-400-20)", "setting": "MNIST, 60,000 images, batch 128",
                     "value": sec, "unit": "s/epoch", "note": f"{rate:,.0f} images/s"})
    except Exception as err:  # MNIST not on this machine
        rows.append({"benchmark": "AE epoch (MLP 784-400-20)", "setting": "MNIST", "value": "n/a", "unit": "",
                     "note": str(err)[:80]})
    health, page = _cold_start()
    rows.append({"benchmark": "app cold start", "setting": "streamlit run → /_stcore/health", "value": health, "unit": "s",
                 "note": ""})
    rows.append({"benchmark": "app cold start", "setting": "streamlit run → home page drawn (headless chromium)",
                 "value": page if page is not None else "n/a", "unit": "s", "note": "includes first import of torch"})
    rows.append({"benchmark": "rerun after slider change", "setting": "Reconstructions page, loaded model (AppTest)",
                 "value": _rerun_ms(), "unit": "ms (median of 6)", "note": "server-side script time"})
    return rows
