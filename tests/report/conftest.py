"""Fixtures for report tests: a small report with real figures, and a headless browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from nctransport.plotting import (
    COLORS,
    label_axes,
    log_axes,
    new_figure,
    new_fit_figure,
    save_figure,
)
from nctransport.report.html import write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Injected at the top of <head> of a *copy* of a page: records script errors, failed
# resource loads (capture phase sees <img> errors), console.error calls, image sizes and
# the address of every embedded resource (src=, <link href=>), into an attribute that
# --dump-dom prints.
PROBE = """<script>
window.__probeErrors = [];
window.addEventListener("error", function (e) {
  var t = e.target;
  __probeErrors.push(e.message || ("failed to load " + ((t && (t.src || t.href)) || "?")));
}, true);
var __ce = console.error;
console.error = function () { __probeErrors.push([].slice.call(arguments).join(" ")); };
window.addEventListener("load", function () { setTimeout(function () {
  var imgs = [].slice.call(document.images).map(function (i) {
    return {w: i.naturalWidth, h: i.naturalHeight, cw: i.clientWidth, ch: i.clientHeight,
            complete: i.complete};
  });
  var res = [].slice.call(document.querySelectorAll("[src], link[href]")).map(function (e) {
    return e.getAttribute("src") || e.getAttribute("href");
  });
  document.documentElement.setAttribute("data-probe",
    JSON.stringify({errors: __probeErrors, images: imgs, resources: res}));
}, 0); });
</script>"""


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class _ProbeParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.probe = None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.probe = dict(attrs).get("data-probe")


class Browser:
    """Headless Chromium driven through its command line (no network, fresh profile)."""

    def __init__(self, exe: str, tmp: Path):
        self.exe = exe
        self.tmp = tmp
        self.n = 0

    def _run(self, url: str, *extra: str) -> subprocess.CompletedProcess:
        self.n += 1
        profile = self.tmp / f"profile{self.n}"
        args = [
            self.exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            url,
        ]
        return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)

    def render(self, page: Path, size: str = "1200,2000") -> dict:
        """Load a probed copy of ``page`` once: screenshot plus what the probe recorded.

        Returns a dict with ``shot`` (RGB(A) float array of the screenshot), ``errors``,
        ``images`` (natural and laid-out sizes), ``resources`` (addresses of embedded
        resources) and ``console`` (the browser's console lines from its log).
        """
        import matplotlib.image as mpimg

        html = page.read_text(encoding="utf-8")
        head = html.index("<head>") + len("<head>")
        probed = page.with_name(f".probe-{page.name}")
        png = self.tmp / f"shot{self.n + 1}.png"
        probed.write_text(html[:head] + PROBE + html[head:], encoding="utf-8")
        try:
            proc = self._run(
                probed.resolve().as_uri(),
                "--dump-dom",
                "--virtual-time-budget=5000",
                f"--screenshot={png}",
                f"--window-size={size}",
            )
        finally:
            probed.unlink()
        parser = _ProbeParser()
        parser.feed(proc.stdout)
        assert parser.probe, f"probe did not run: {proc.stderr[-2000:]}"
        assert png.exists(), f"no screenshot: {proc.stderr[-2000:]}"
        out = json.loads(parser.probe)
        out["console"] = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
        out["shot"] = mpimg.imread(png)
        return out


@pytest.fixture
def browser(tmp_path) -> Browser:
    exe = find_browser()
    if exe is None:
        pytest.skip(
            "no headless browser installed (Debian: apt-get install chromium); "
            "the report browser test needs one"
        )
    return Browser(exe, tmp_path)


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Path:
    """A report with two real figures, nested results with uncertainties, a hostile input.

    Built once per session (figures cost seconds); tests must not modify it.
    """
    out = tmp_path_factory.mktemp("sample") / "out"
    t = np.linspace(0.05, 5.0, 40)
    rng = np.random.default_rng(7)
    msd = 2 * 1.2e-6 * t * 1e-9 / 1e-18  # 2 D t with D = 0.012 cm2/s, in nm^2
    fig, ax = new_figure()
    ax.errorbar(t, msd * (1 + 0.05 * rng.standard_normal(t.size)), yerr=0.05 * msd, fmt="o")
    ax.plot(t, msd, color=COLORS["fit"], label="2 D t")
    log_axes(ax, x=True, y=True)
    label_axes(ax, x=("time", "ns"), y=("MSD", "nm^2"))
    (png1,) = save_figure(fig, out, "msd")
    fig, (top, bottom) = new_fit_figure()
    top.plot(t, np.exp(-t / 2.0), "o")
    bottom.plot(t, rng.standard_normal(t.size), ".")
    label_axes(bottom, x=("time", "ns"), y="residual / sigma")
    (png2,) = save_figure(fig, out, "decay")
    return write_report(
        out,
        title="analyze: <b>map</b>.csv",
        results={
            "diffusivity": {"value_cm2_s": 0.0123, "ci95_cm2_s": [0.0118, 0.0129]},
            "lifetime_1e_ns": 2.4,
            "regimes": [{"t_start_ns": 0.1, "t_end_ns": 1.0, "alpha": 1.02, "alpha_err": 0.03}],
        },
        figures=[png1, (png2, "decay with residuals")],
        inputs=[
            {"path": "data/map.csv", "sha256": "ab" * 32, "sample": "<script>alert(1)</script>"}
        ],
        settings={"profile": "gaussian"},
        warnings=["frame 3 excluded: fit did not converge"],
        command="nctransport analyze data/map.csv --out out",
    )
