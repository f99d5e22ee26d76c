"""JupyterLab driven by Playwright with Debian's Chromium: the Explore section as an analyst uses it.

:class:`Lab` starts JupyterLab from this venv on a free port with a random token, in a folder of
its own (settings, workspaces and notebook copies: the committed notebooks are never opened, so
never autosaved), and stops it at the end, killing it past its deadline. :class:`ExplorePage`
opens a notebook, runs all its cells and drives the Explore widgets with real clicks and
keystrokes; a probe in the page records, in the browser's own clock, when each control changed
and when the Explore output was replaced and its images decoded: the latency an analyst sees.

Used by tests/test_explore_browser.py and benchmarks/explore_latency.py.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kpi_helpers.notebook_tools import committed_notebooks
from kpi_helpers.paths import SAMPLE_DIR
from kpi_helpers.reports.pdf import CHROMIUM_ARGS, find_chromium

CHROMIUM = find_chromium()
try:
    import playwright  # noqa: F401

    HAVE_PLAYWRIGHT = True
except ImportError:
    HAVE_PLAYWRIGHT = False
SKIP_REASON = None if CHROMIUM and HAVE_PLAYWRIGHT else (
    "needs Debian's Chromium at /usr/bin/chromium (or $KPI_CHROMIUM) and the playwright package "
    "(apt-get install chromium, or make chromium as root)")

#: Seconds JupyterLab may take to answer its first request.
START_DEADLINE = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server of this venv, in ``folder``, for the duration of a ``with`` block."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.folder / "jupyterlab.log"

    def __enter__(self) -> "Lab":
        home = self.folder / "home"
        settings = home / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)
        # every cell in the page's DOM (no windowing), so that the Explore cell can be found and shot
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        notices = home / "settings" / "@jupyterlab" / "apputils-extension"
        notices.mkdir(parents=True, exist_ok=True)  # no "Jupyter news?" toast over the outputs
        (notices / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
               "JUPYTER_DATA_DIR": str(home / "data")}
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.folder}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ServerApp.terminals_enabled=False", *(["--allow-root"] if os.geteuid() == 0 else [])]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_DEADLINE
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = self.log_text()[-2000:]
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"JupyterLab did not start within {START_DEADLINE} s: {log}")
                time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server and its kernels, started by us
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def notebook_copy(folder: Path, stem_prefix: str, client: str | None = None) -> str:
    """A copy of the committed notebook whose name starts with ``stem_prefix`` in ``folder``, on
    ``client`` (a sample client) when given; returns its file name."""
    import nbformat

    source = next(p for p in committed_notebooks() if p.stem.startswith(stem_prefix))
    nb = nbformat.read(source, as_version=4)
    if client:
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                lines = cell.source.splitlines()
                cell.source = "\n".join(f'client_dir: str = "{SAMPLE_DIR / client}"' if ln.startswith("client_dir") else ln
                                        for ln in lines)
    name = f"{source.stem}-{client or 'default'}.ipynb"
    nbformat.write(nb, folder / name)
    return name


PROBE = """() => {
  const root = document.querySelector('.kpi-explore');
  const html = root.querySelector('.widget-html-content');
  window.__kpi = {inputs: [], outputs: []};
  const record = (e) => { if (root.contains(e.target)) window.__kpi.inputs.push(performance.now()); };
  for (const type of ['change', 'input', 'keydown']) document.addEventListener(type, record, true);
  new MutationObserver(() => {
    const t = performance.now();
    const imgs = [...html.querySelectorAll('img')];
    Promise.all(imgs.map(i => i.decode().catch(() => null))).then(() =>
      window.__kpi.outputs.push({t, shown: performance.now(), text: html.innerText.slice(0, 4000), images: imgs.length}));
  }).observe(html, {childList: true, subtree: true, characterData: true});
}"""


class ExplorePage:
    """One notebook in JupyterLab, all cells run, its Explore section driven (Playwright's sync API)."""

    def __init__(self, browser, lab: Lab, name: str, *, timeout_s: float = 120):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        self.page.set_default_timeout(timeout_s * 1000)
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.goto(lab.notebook_url(name))
        self.page.wait_for_selector(".jp-Notebook")
        self.page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                    "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                    "&& window.jupyterapp.shell.currentWidget.sessionContext.session")
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_selector(".kpi-explore .widget-html-content")
        self.page.wait_for_function("[...document.querySelectorAll('.jp-InputArea-prompt')]"
                                    ".every(p => !p.textContent.includes('*'))")
        self.page.evaluate(PROBE)

    @property
    def explore(self):
        return self.page.locator(".kpi-explore")

    def pickers(self) -> list[str]:
        """The descriptions of the pickers shown."""
        labels = self.page.eval_on_selector_all(".kpi-explore .widget-label", "ls => ls.map(l => l.textContent)")
        return [t for t in labels if t.strip()]

    def select(self, description: str, option_label: str) -> None:
        self.explore.locator(".widget-dropdown", has_text=description).locator("select").select_option(label=option_label)

    def type_date(self, description: str, keys: str, *, delay_ms: int = 120) -> None:
        """Type ``keys`` (digits as on the keyboard, mm dd yyyy in an en-US browser) into a date field."""
        field = self.explore.locator(".widget-datepicker", has_text=description).locator("input")
        box = field.bounding_box()
        field.click(position={"x": 12, "y": box["height"] / 2})  # the first segment (month), whatever had focus
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(delay_ms)

    def settle(self, quiet_s: float = 1.5, timeout_s: float = 20) -> dict:
        """Wait until the output has not changed for ``quiet_s``; the last input and output times."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            state = self.page.evaluate("() => ({inputs: window.__kpi.inputs.length, outputs: window.__kpi.outputs.length})")
            if state == last:
                break
            last = state
            self.page.wait_for_timeout(quiet_s * 1000)
        return self.page.evaluate("() => window.__kpi")

    def latency(self) -> float | None:
        """Seconds from the last input to the output that followed it (shown with its images decoded)."""
        probe = self.settle()
        if not probe["inputs"]:
            return None
        t_in = probe["inputs"][-1]
        after = [o for o in probe["outputs"] if o["t"] >= t_in]
        return (after[-1]["shown"] - t_in) / 1000 if after else None

    def headings(self) -> list[str]:
        return self.explore.locator(".widget-html-content .kpi-heading").all_inner_texts()

    def output_text(self) -> str:
        return self.explore.locator(".widget-html-content").inner_text()

    def chart_ink(self) -> list[float]:
        """Per chart shown in the Explore output: the share of its screenshot's pixels that are not
        near white (a blank chart is about 0)."""
        from PIL import Image

        shares = []
        imgs = self.explore.locator(".widget-html-content img")
        for i in range(imgs.count()):
            img = imgs.nth(i)
            img.scroll_into_view_if_needed()
            shot = Image.open(io.BytesIO(img.screenshot())).convert("L")
            hist = shot.histogram()  # 256 grey levels
            shares.append(sum(hist[:200]) / max(1, sum(hist)))
        return shares

    def page_text(self) -> str:
        return self.page.locator(".jp-Notebook").inner_text()

    def close(self) -> None:
        try:
            self.page.evaluate("window.jupyterapp.commands.execute('kernelmenu:shutdown')")
        finally:
            self.page.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def fresh_folder(base: Path) -> Path:
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    return base
