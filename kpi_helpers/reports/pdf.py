"""HTML to PDF with Playwright driving the system's Chromium (no browser download).

nbconvert's ``webpdf`` exporter cannot be pointed at a browser binary; this renders our own
report HTML instead: :class:`PdfRenderer` starts one headless Chromium for the whole batch
(``executable_path``, default ``/usr/bin/chromium`` or ``$KPI_CHROMIUM``), opens each report from
its ``file://`` path with every other request refused, and prints it to A4 with backgrounds and a
page-number footer. Use it from one thread (Playwright's sync API is not thread-safe).
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

__all__ = ["PdfRenderer", "find_chromium", "CHROMIUM_ARGS", "PdfUnavailable"]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


class PdfUnavailable(RuntimeError):
    """No Chromium or no Playwright: the PDF cannot be made."""


def find_chromium() -> str | None:
    """``$KPI_CHROMIUM``, else ``/usr/bin/chromium``, else ``chromium`` on the PATH."""
    for candidate in (os.environ.get("KPI_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class PdfRenderer:
    """One browser for many PDFs: ``with PdfRenderer() as r: r.render(html_path, pdf_path, footer)``."""

    def __init__(self, executable: str | None = None, *, timeout_s: float = 120):
        self.executable = executable or find_chromium()
        self.timeout_ms = timeout_s * 1000
        self._pw = None
        self._browser = None

    def _start(self) -> None:
        if self._browser is not None:
            return
        if not self.executable:
            raise PdfUnavailable("no Chromium found (looked at $KPI_CHROMIUM, /usr/bin/chromium and the PATH): "
                                 "install Debian's chromium, or run with --no-pdf")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise PdfUnavailable("the 'playwright' Python package is not installed (pip install playwright; "
                                 "no 'playwright install' needed: the system Chromium is used)") from None
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS,
                                                     timeout=self.timeout_ms)
        except Exception:
            self._pw.stop()
            self._pw = None
            raise

    def render(self, html_path: Path, pdf_path: Path, *, footer: str = "") -> int:
        """Print ``html_path`` to ``pdf_path`` (A4); returns the PDF's size in bytes."""
        self._start()
        context = self._browser.new_context(java_script_enabled=False, offline=True)
        try:
            page = context.new_page()
            page.set_default_timeout(self.timeout_ms)

            def only_local(route):
                url = route.request.url
                if url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", only_local)
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            footer_html = ('<div style="font-size:7.5pt;color:#5b6472;width:100%;padding:0 12mm;'
                           'display:flex;justify-content:space-between;font-family:sans-serif">'
                           f'<span>{html.escape(footer)}</span>'
                           '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')
            page.pdf(path=str(pdf_path), format="A4", print_background=True, prefer_css_page_size=True,
                     display_header_footer=True, header_template="<span></span>", footer_template=footer_html,
                     margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
        finally:
            context.close()
        return Path(pdf_path).stat().st_size

    def close(self) -> None:
        if self._browser is not None:
            try:
                self._browser.close()
            finally:
                self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None

    def __enter__(self) -> "PdfRenderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
