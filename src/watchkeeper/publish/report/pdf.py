"""A case report as PDF: the HTML report printed by headless Chromium.

The report is one self-contained HTML file with inline SVG and an embedded PNG; Chromium's
own print engine lays it out exactly as a browser shows it (Python HTML-to-PDF libraries
lack SVG or need system libraries of their own). Chromium is Debian's package (``apt-get
install chromium``, as ``.ci/run`` installs it) or any Chrome on the PATH; nothing is
downloaded, and the page loads no network resource (the report has none).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from watchkeeper.errors import ConfigError

__all__ = ["BROWSERS", "find_browser", "html_to_pdf"]

#: Executables tried in turn.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The first Chromium-family browser on the PATH, or None."""
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    return None


def html_to_pdf(html: str, out: Path, *, timeout_s: float = 120.0) -> None:
    """Print ``html`` to the PDF file ``out`` (A4, backgrounds kept, no header or footer)."""
    browser = find_browser()
    if browser is None:
        raise ConfigError(
            "a PDF report needs Chromium (apt-get install chromium); or write the report "
            "as .html and print it from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="wk-report-") as d:
        page = Path(d) / "case.html"
        page.write_text(html, "utf-8")
        target = Path(d) / "case.pdf"
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={Path(d) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        if not target.exists() or target.stat().st_size == 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise ConfigError(f"Chromium wrote no PDF (exit {done.returncode}): {' '.join(err)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), out)
