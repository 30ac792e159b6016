"""From a transient map or stack to transport numbers: the ``analyze`` pipeline.

profile fits (per frame, :func:`~nctransport.microscopy.profiles.fit_profiles`)
-> MSD of the usable frames (:mod:`.msd`)
-> D with 95% CI: default sigma0-free weighted fit, plus Shcherbakov-Wu 2024's through-origin fit
   (:mod:`.diffusivity`) over the fit window (:mod:`.window`)
-> regimes (:mod:`.regimes`), tau_PL, D_avg (Bornschlegl 2024 Eq. 2), diffusion lengths, t_max and
   Einstein mobility (:mod:`.lengths`).

Times inside are seconds since the pulse (``fits.t - fits.t0``). Frames whose profile fit
failed are listed in ``failed_frames`` and never used. Anything questionable (failed
frames, poor or non-Gaussian fits, error inflation, a contracting MSD) goes to
``warnings``; nothing is printed.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy import special

from nctransport.dataset import get_quantity, kind_of
from nctransport.errors import ConfigError, FitError, InputError
from nctransport.microscopy.background import resolve_background
from nctransport.microscopy.diffusivity import (
    M2S_TO_CM2S,
    DiffusivityResult,
    fit_diffusivity,
    fit_msd_origin,
    time_dependent_diffusivity,
)
from nctransport.microscopy.lengths import (
    Lifetime,
    PlWeightedDiffusivity,
    TMax,
    diffusion_length_msd,
    diffusion_length_tau_d,
    einstein_mobility,
    find_t_max,
    lifetime_1e,
    pl_weighted_diffusivity,
)
from nctransport.microscopy.msd import MsdResult, compute_msd
from nctransport.microscopy.regimes import RegimeFit, fit_regimes
from nctransport.microscopy.window import DEFAULT_SNR, FitWindow, default_window, parse_window
from nctransport.results import ResultProtocol, SummaryRow, provenance, to_jsonable

__all__ = ["AnalysisSettings", "AnalysisResult", "analyze_map"]

#: Profile names accepted on the command line (``gaussian2d-aniso`` spelt either way).
PROFILE_CHOICES = ("auto", "gaussian", "gaussian2d", "gaussian2d-aniso", "voigt", "moments")
BACKGROUND_CHOICES = ("auto", "none", "pre-pulse")
#: A usable frame whose profile fit has reduced chi^2 above this is called a poor fit.
POOR_FIT_CHI2 = 2.0
#: D-fit reduced chi^2 above which the report warns that the CI was inflated.
INFLATION_WARN_CHI2 = 2.0


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that changes the numbers of an analysis (stored in results.json).

    Attributes
    ----------
    profile
        ``auto`` | ``gaussian`` | ``gaussian2d`` | ``gaussian2d-aniso`` | ``voigt`` | ``moments``.
    window
        D fit window text such as ``0ns:3ns``; ``None`` = automatic (see :mod:`.window`).
    t0
        Pulse time [s] in the dataset's time frame; ``None`` = 0.
    background
        ``auto`` | ``none`` | ``pre-pulse``.
    noise
        Profile-fit noise model (``auto`` | ``poisson`` | ``prepulse`` | ``residual``).
    temperature
        [K] for the Einstein mobility; ``None`` = from the metadata.
    snr_min
        Amplitude SNR that ends the automatic window.
    regime_criterion, max_regimes
        Information criterion and the largest number of regimes tried.
    """

    profile: str = "auto"
    window: str | None = None
    t0: float | None = None
    background: str = "auto"
    noise: str = "auto"
    temperature: float | None = None
    snr_min: float = DEFAULT_SNR
    regime_criterion: str = "bic"
    max_regimes: int = 3

    def __post_init__(self) -> None:
        if self.profile not in PROFILE_CHOICES and self.profile != "gaussian2d_aniso":
            raise ConfigError(
                f"unknown profile {self.profile!r}; expected one of {', '.join(PROFILE_CHOICES)}"
            )
        if self.background not in BACKGROUND_CHOICES:
            raise ConfigError(
                f"unknown background {self.background!r}; expected one of "
                f"{', '.join(BACKGROUND_CHOICES)}"
            )
        from nctransport.limits import MAX_TEMPERATURE_K

        if self.temperature is not None and not (
            math.isfinite(self.temperature) and 0 < self.temperature <= MAX_TEMPERATURE_K
        ):
            raise ConfigError(
                f"temperature must be in (0, {MAX_TEMPERATURE_K:g}] K, got {self.temperature!r}"
            )
        if self.window is not None:
            parse_window(self.window)  # fail early on a bad window

    @property
    def fit_profile(self) -> str:
        """Profile name as :func:`fit_profiles` spells it."""
        return self.profile.replace("-", "_")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["t0_ns"] = None if self.t0 is None else self.t0 * 1e9
        d["temperature_K"] = d.pop("temperature")
        del d["t0"]
        return d


@dataclass(frozen=True, eq=False)
class AnalysisResult(ResultProtocol):
    """Everything ``analyze`` found (SI units inside).

    :meth:`to_dict` is exactly results.json (display units in the key names, e.g.
    ``r.to_dict()["diffusivity"]["value_cm2_s"]``); :meth:`write` adds msd.csv, profiles.nc,
    the figures and report.html; ``plot_map``, ``plot_profiles``, ``plot_msd`` and
    ``plot_decay`` draw on a given Axes.
    """

    workflow = "analyze"

    settings: AnalysisSettings
    fits: Any  # ProfileFits
    t: np.ndarray  # frame times since the pulse [s] (one per fitted frame)
    integrated: np.ndarray  # space-integrated signal per fitted frame
    msd: MsdResult
    window: FitWindow
    diffusivity: DiffusivityResult
    diffusivity_origin: DiffusivityResult | None
    regimes: RegimeFit | None
    lifetime: Lifetime | None
    d_avg: PlWeightedDiffusivity | None
    length_msd: tuple[float, float]
    length_tau_d: tuple[float, float]
    t_max: TMax | None
    temperature: float | None
    mobility: float | None
    mobility_ci95: tuple[float, float] | None
    non_gaussianity: Any
    failed_frames: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    source_path: str | None = None
    source_sha256: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    axes: dict[str, Any] | None = None  # anisotropic 2D: D along each fitted axis
    #: The dataset analysed (for the map and profile figures; not written to results.json).
    dataset: Any = field(default=None, repr=False)
    #: Loader overrides (units, t0, metadata...) stored in ``settings.load``.
    load_options: dict[str, Any] = field(default_factory=dict)

    def to_results(self) -> dict[str, Any]:
        """The results.json dictionary, keys as issue 4 lists them (units in the names).

        Same as :meth:`to_dict` (kept for callers of the earlier name).
        """
        return self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Exactly what results.json holds (units in the key names)."""
        nm = 1e9
        lt = self.lifetime
        regimes = [] if self.regimes is None else [r.to_dict() for r in self.regimes.regimes]
        t_d, d_t, d_err = time_dependent_diffusivity(self.msd)
        out: dict[str, Any] = {
            "diffusivity": self.diffusivity.to_dict(),
            "diffusivity_origin_fit": (
                None if self.diffusivity_origin is None else self.diffusivity_origin.to_dict()
            ),
            "sigma0_nm": self.diffusivity.sigma0 * nm,
            "sigma0_err_nm": self.diffusivity.sigma0_err * nm,
            "d_avg_cm2_s": None if self.d_avg is None else self.d_avg.value * M2S_TO_CM2S,
            "d_avg_err_cm2_s": None if self.d_avg is None else self.d_avg.err * M2S_TO_CM2S,
            "lifetime_1e_ns": None if lt is None or not lt.found else lt.value * nm,
            "diffusion_length_nm": {
                "sqrt_msd_at_lifetime": self.length_msd[0] * nm,
                "sqrt_msd_at_lifetime_err": self.length_msd[1] * nm,
                "sqrt_lifetime_times_d_avg": self.length_tau_d[0] * nm,
                "sqrt_lifetime_times_d_avg_err": self.length_tau_d[1] * nm,
            },
            "t_max_ns": None if self.t_max is None else self.t_max.value * nm,
            "t_max_err_ns": None if self.t_max is None else self.t_max.err * nm,
            "regimes": regimes,
            "regime_fit": None if self.regimes is None else self.regimes.to_dict(),
            "msd": self.msd.to_dict(),
            "time_dependent_diffusivity": {
                # Liu 2021: D(t) = (sigma^2(t) - sigma^2(t_ref)) / 2 (t - t_ref) per axis,
                # from the widths of the chosen profile (the second moment for "moments").
                "t_ns": t_d * nm,
                "d_cm2_s": d_t * M2S_TO_CM2S,
                "err_cm2_s": d_err * M2S_TO_CM2S,
                "width": getattr(self.fits, "profile", None),
            },
            "mobility_cm2_Vs": (None if self.mobility is None else self.mobility * M2S_TO_CM2S),
            "mobility_ci95_cm2_Vs": (
                None
                if self.mobility_ci95 is None
                else [v * M2S_TO_CM2S for v in self.mobility_ci95]
            ),
            "temperature_K": self.temperature,
            "non_gaussianity": to_jsonable(self.non_gaussianity),
            "fit_window": self.window.to_dict(),
            "profile": getattr(self.fits, "profile", None),
            "noise_model": getattr(self.fits, "noise", None),
            "background_mode": getattr(self.fits, "background_mode", None),
            "n_frames": int(self.t.size),
            "n_frames_used": int(self.msd.t.size),
            "failed_frames": list(self.failed_frames),
            "warnings": list(self.warnings),
        }
        if self.axes is not None:
            out["diffusivity_axes"] = {
                k: v.to_dict() if isinstance(v, DiffusivityResult) else v
                for k, v in self.axes.items()
            }
        out.update(self.notes)
        settings = self.settings.to_dict()
        settings["load"] = {k: v for k, v in self.load_options.items() if v}
        out.update(provenance(self.source_path, self.source_sha256, settings))
        return out  # made JSON-ready once, by ResultProtocol's to_dict wrapper

    # -- result protocol -------------------------------------------------------------------
    def summary_rows(self) -> list[SummaryRow]:
        """The rows ``nctransport analyze`` prints."""
        return summary_rows(self.to_dict())

    def headline(self) -> str:
        d = self.diffusivity
        lo, hi = (v * M2S_TO_CM2S for v in d.ci95)
        return f"D = {d.value * M2S_TO_CM2S:.4g} cm2/s (95% CI [{lo:.4g}, {hi:.4g}])"

    def input_paths(self) -> list[Any]:
        from pathlib import Path

        return [] if not self.source_path else [Path(self.source_path)]

    def _report_results(self) -> dict[str, Any]:
        res = self.to_dict()
        hidden = ("msd", "time_dependent_diffusivity", "failed_frames", "regime_fit", "input")
        out = {k: v for k, v in res.items() if k not in hidden}
        out["input"] = input_entry(self.dataset, res["input"])
        return out

    def write(self, out_dir: Any, **kwargs: Any) -> list[Any]:
        """Write results.json, msd.csv, profiles.nc and (``report=True``) the figures and
        report.html; refuses a folder where one of these names is the input itself."""
        from nctransport.microscopy.workflow import ANALYZE_FILES, check_not_overwriting_inputs

        check_not_overwriting_inputs(out_dir, self.input_paths(), ANALYZE_FILES)
        with quiet_numerics():  # figures of hostile data: no raw NumPy/matplotlib warnings
            return super().write(out_dir, **kwargs)

    def _write_data(self, out_dir: Any) -> list[Any]:
        """msd.csv (every usable frame) and profiles.nc (per-frame fit parameters)."""
        from nctransport.io.atomic import write_text
        from nctransport.io.netcdf import save_netcdf

        written = [write_text(out_dir / "msd.csv", msd_csv(self.msd))]
        save_netcdf(self.fits.to_dataset(), out_dir / "profiles.nc")
        return [*written, out_dir / "profiles.nc"]

    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        from nctransport.microscopy.analysis_figures import analysis_figures

        return analysis_figures(self, backend=backend)

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_msd(ax)

    def plot_msd(self, ax: Any = None) -> Any:
        """MSD vs t with both D fits and the fit window shaded."""
        from nctransport.microscopy.analysis_figures import plot_msd

        return plot_msd(self, ax)

    def plot_profiles(self, ax: Any = None) -> Any:
        """A few background-subtracted profiles with their fits."""
        from nctransport.microscopy.analysis_figures import plot_profiles

        return plot_profiles(self, ax)

    def plot_map(self, ax: Any = None) -> Any:
        """The t-x map (row through the centre for stacks) with the fitted centre +/- sigma."""
        from nctransport.microscopy.analysis_figures import plot_map

        return plot_map(self, ax)

    def plot_decay(self, ax: Any = None) -> Any:
        """Space-integrated signal with the 1/e lifetime."""
        from nctransport.microscopy.analysis_figures import plot_decay

        return plot_decay(self, ax)


@contextmanager
def quiet_numerics():
    """No NumPy RuntimeWarning (NaN frames, log of non-positive values) and no matplotlib
    UserWarning reaches the terminal; what matters is in the result's warnings."""
    import warnings

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
        yield


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}g}"


def summary_rows(res: dict[str, Any]) -> list[SummaryRow]:
    """``(quantity, value, note)`` rows of an analysis from its results.json dictionary."""
    d, o = res["diffusivity"], res["diffusivity_origin_fit"]
    rows = [
        (
            "D (sigma0 free) [cm2/s]",
            _fmt(d["value_cm2_s"]),
            f"95% CI [{_fmt(d['ci95_cm2_s'][0])}, {_fmt(d['ci95_cm2_s'][1])}], "
            f"{_fmt(d['t_start_ns'])}-{_fmt(d['t_end_ns'])} ns",
        )
    ]
    if o is not None:
        rows.append(
            (
                "D (through origin, Shcherbakov-Wu 2024) [cm2/s]",
                _fmt(o["value_cm2_s"]),
                f"95% CI [{_fmt(o['ci95_cm2_s'][0])}, {_fmt(o['ci95_cm2_s'][1])}]",
            )
        )
    L = res["diffusion_length_nm"]
    rows += [
        ("sigma0 [nm]", _fmt(res["sigma0_nm"]), f"+/- {_fmt(res['sigma0_err_nm'], 2)}"),
        (
            "D_avg (Bornschlegl 2024 Eq. 2) [cm2/s]",
            _fmt(res["d_avg_cm2_s"]),
            f"+/- {_fmt(res['d_avg_err_cm2_s'], 2)}",
        ),
        ("lifetime (1/e) [ns]", _fmt(res["lifetime_1e_ns"]), ""),
        (
            "L = sqrt(MSD(tau)) [nm]",
            _fmt(L["sqrt_msd_at_lifetime"]),
            f"+/- {_fmt(L['sqrt_msd_at_lifetime_err'], 2)}",
        ),
        (
            "L = sqrt(tau D_avg) [nm]",
            _fmt(L["sqrt_lifetime_times_d_avg"]),
            f"+/- {_fmt(L['sqrt_lifetime_times_d_avg_err'], 2)}",
        ),
        (
            "t_max [ns]",
            _fmt(res["t_max_ns"]),
            "MSD never contracts"
            if res["t_max_ns"] is None
            else f"+/- {_fmt(res['t_max_err_ns'], 2)}",
        ),
        (
            "mobility (Einstein) [cm2/Vs]",
            _fmt(res["mobility_cm2_Vs"]),
            res.get("mobility_reason", f"T = {_fmt(res['temperature_K'])} K"),
        ),
    ]
    for r in res["regimes"]:
        rows.append(
            (
                f"regime {_fmt(r['t_start_ns'], 3)}-{_fmt(r['t_end_ns'], 3)} ns",
                f"alpha {_fmt(r['alpha'], 3)}",
                f"+/- {_fmt(r['alpha_err'], 2)} ({r['kind']})",
            )
        )
    return rows


def msd_csv(msd: MsdResult) -> str:
    """msd.csv text: every usable frame, ns and nm^2, empty where a frame has no error."""
    t, y, e = msd.t * 1e9, msd.msd * 1e18, msd.err * 1e18
    lines = ["t [ns],msd [nm2],err [nm2]"]
    for ti, yi, ei in zip(t.tolist(), y.tolist(), e.tolist(), strict=True):
        lines.append(f"{ti!r},{yi!r},{ei!r}" if math.isfinite(ei) else f"{ti!r},{yi!r},")
    return "\n".join(lines) + "\n"


def input_entry(ds: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """The report's input row: path and sha256 plus the file's scalar metadata."""
    attrs = {} if ds is None else ds.attrs
    meta = {
        k: v
        for k, v in attrs.items()
        if k not in ("source_file", "source_sha256") and isinstance(v, str | int | float)
    }
    return {"path": entry.get("path"), "sha256": entry.get("sha256"), **meta}


def integrated_signal(ds: xr.Dataset, fits: Any) -> np.ndarray:
    """Space-integrated signal of every fitted frame (Bornschlegl 2024: the total PL per time bin).

    With a pre-pulse baseline the background-subtracted data are summed directly
    (model-free, valid also for frames without a usable fit). Without one the constant
    background is only known from the fits, so the fit layer's per-frame integral of the
    background-subtracted data is used for usable frames and NaN elsewhere.
    """
    from nctransport.dataset import SIGNAL
    from nctransport.microscopy.background import subtract_background

    t0 = float(getattr(fits, "t0", 0.0) or 0.0)
    mode = getattr(fits, "background_mode", "") or "auto"
    sub, info = subtract_background(ds, mode if mode in BACKGROUND_CHOICES else "auto", t0=t0)
    ok = np.asarray(fits.ok, dtype=bool)
    if info.mode == "pre-pulse":
        t_all = np.asarray(sub["t"].values, dtype=float)
        data = np.asarray(sub[SIGNAL].values, dtype=float)[t_all >= t0]
        cell = 1.0
        for dim in sub[SIGNAL].dims[1:]:
            v = np.asarray(sub[dim].values, dtype=float)
            cell *= float(np.median(np.abs(np.diff(v)))) if v.size > 1 else 1.0
        out = np.nansum(data.reshape(data.shape[0], -1), axis=1) * cell
        if out.shape == ok.shape:
            return out
    extra = getattr(fits, "extra", {}) or {}
    for key in ("integrated_data", "integrated"):
        v = extra.get(key)
        if v is not None and np.shape(v) == ok.shape:
            return np.where(ok, np.asarray(v, dtype=float), np.nan)
    two_d = np.ndim(fits.center) == 2
    s = np.asarray(fits.sigma, dtype=float)
    area = 2 * np.pi * s**2 if two_d else math.sqrt(2 * np.pi) * s
    return np.where(ok, np.asarray(fits.amplitude, dtype=float) * area, np.nan)


#: Largest number of delete-a-group jackknife refits for the pre-pulse baseline noise.
JACKKNIFE_GROUPS = 8


def _baseline_jackknife(
    ds: xr.Dataset,
    settings: AnalysisSettings,
    background: str,
    fits: Any,
    t: np.ndarray,
    frames: np.ndarray,
    diff: DiffusivityResult,
    warnings: list[str],
) -> DiffusivityResult:
    """Add the noise of a subtracted pre-pulse baseline to the D interval.

    The baseline (mean of the pre-pulse frames) is subtracted from every frame, so its
    noise is shared by all widths and absent from their errors. A delete-a-group jackknife
    over the pre-pulse frames (G <= 8 groups, each left out once, profiles refitted) gives
    its variance ``(G-1)/G sum (D_g - mean)^2``; it adds to the fit variance (independent
    noise), and the 95% quantile uses Welch-Satterthwaite degrees of freedom.
    """
    from dataclasses import replace

    from nctransport.microscopy.profiles import fit_profiles

    t_all = np.asarray(ds["t"].values, dtype=float)
    t0 = 0.0 if settings.t0 is None else float(settings.t0)
    pre = np.flatnonzero(t_all < t0)
    if pre.size < 2 or frames.size < 3:
        return diff
    groups = np.array_split(pre, min(pre.size, JACKKNIFE_GROUPS))
    values = []
    for g in groups:
        keep = np.ones(t_all.size, bool)
        keep[g] = False
        fg = fit_profiles(
            ds.isel(t=keep),
            profile=settings.fit_profile,
            noise=settings.noise,
            background=background,
            t0=settings.t0,
        )
        if fg.sigma.shape != fits.sigma.shape:
            return diff
        s, e = fg.sigma[frames], fg.sigma_err[frames]
        if not (np.all(np.isfinite(s)) and np.all(s > 0)):
            continue
        try:
            values.append(fit_diffusivity(t[frames], s, e).value)
        except FitError:
            continue
    n_g = len(values)
    if n_g < 2:
        return diff
    v = np.asarray(values)
    var_b = (n_g - 1) / n_g * float(np.sum((v - v.mean()) ** 2))
    se = math.sqrt(diff.stderr**2 + var_b)
    dof_fit = max(diff.dof, 1)
    nu = se**4 / (diff.stderr**4 / dof_fit + var_b**2 / (n_g - 1)) if var_b > 0 else dof_fit
    q = float(special.stdtrit(max(nu, 1.0), 0.975))
    warnings.append(
        f"pre-pulse baseline subtracted ({pre.size} frames): its noise, common to all frames, "
        f"was propagated by a {n_g}-group jackknife; D standard error "
        f"{diff.stderr * 1e4:.3g} -> {se * 1e4:.3g} cm2/s"
    )
    return replace(
        diff,
        stderr=se,
        ci95=(diff.value - q * se, diff.value + q * se),
        method=diff.method + " + pre-pulse baseline jackknife",
        baseline_stderr=math.sqrt(var_b),
    )


def _axis_diffusivities(
    fits: Any, t: np.ndarray, frames: np.ndarray, warnings: list[str]
) -> dict[str, Any] | None:
    """Anisotropic 2D fits: D along each rotated axis (same estimator and window)."""
    extra = getattr(fits, "extra", {}) or {}
    if "sigma_x" not in extra or "sigma_y" not in extra:
        return None
    out: dict[str, Any] = {}
    for ax in ("x", "y"):
        s = np.asarray(extra[f"sigma_{ax}"], dtype=float)[frames]
        e = extra.get(f"sigma_{ax}_err")
        e = None if e is None else np.asarray(e, dtype=float)[frames]
        try:
            out[f"sigma_{ax}"] = fit_diffusivity(t[frames], s, e)
        except FitError as exc:
            warnings.append(f"D along {ax} not fitted: {exc.message}")
    if "angle_rad" in extra:
        out["angle_rad"] = float(np.nanmedian(np.asarray(extra["angle_rad"])[frames]))
    out["note"] = (
        "per-axis D along the fitted ellipse axes (sigma_x at angle_rad from x); the headline "
        "D uses sigma = sqrt(sigma_x sigma_y)"
    )
    return out


def _failure_summary(failed: tuple[dict[str, Any], ...], n: int) -> str:
    counts: dict[str, int] = {}
    for f in failed:
        counts[f["reason"]] = counts.get(f["reason"], 0) + 1
    parts = ", ".join(f"{c} {r}" for r, c in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{len(failed)} of {n} frame(s) excluded from the MSD ({parts}); see failed_frames"


#: Chance that a Gaussian frame is flagged by non_gaussianity's two 3-sigma tests
#: (one-sided lag-1 residual correlation, two-sided excess kurtosis).
_FRAME_FALSE_FLAG = float(special.ndtr(-3.0) + 2 * special.ndtr(-3.0))


def _non_gaussianity(ds: xr.Dataset, fits: Any) -> tuple[Any, list[str]]:
    from nctransport.microscopy.nongaussian import non_gaussianity

    try:
        ng = non_gaussianity(ds, fits)
    except (FitError, InputError, ConfigError, ValueError) as exc:
        return None, [f"non-Gaussianity not computed: {exc}"]
    warnings = []
    tested = np.isfinite(np.asarray(ng.excess_kurtosis, dtype=float)) & np.asarray(fits.ok)
    f = np.asarray(ng.non_gaussian, dtype=bool) & tested
    n, k = int(tested.sum()), int(f.sum())
    # Each frame is tested at 3 sigma; with many frames a few flags are expected by
    # chance, so warn only when the count is unlikely for Gaussian profiles (p < 0.01).
    if k and special.bdtrc(k - 1, n, _FRAME_FALSE_FLAG) < 0.01:  # binomial P(X >= k)
        first = ", ".join(f"{t * 1e9:.3g}" for t in np.asarray(fits.t)[f][:5])
        warnings.append(
            f"{k} of {n} frame(s) have non-Gaussian profiles (structured residuals or excess "
            f"kurtosis, Li 2023; t = {first} ns ...); sigma from a Gaussian fit is then only "
            "a rough width"
        )
    return ng, warnings


def analyze_map(ds: xr.Dataset, settings: AnalysisSettings | None = None) -> AnalysisResult:
    """Run the whole microscopy analysis on a ``map`` or ``stack``.

    Parameters
    ----------
    ds
        Dataset from :func:`nctransport.io.load` or :func:`nctransport.dataset.make_dataset`
        (not modified).
    settings
        :class:`AnalysisSettings`; defaults when ``None``.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    InputError
        Not a map/stack.
    FitError
        Too few usable frames for an MSD or a D fit.
    ConfigError
        Bad settings.

    Examples
    --------
    >>> from nctransport.microscopy.synthetic import synthetic_map
    >>> ds = synthetic_map(np.linspace(0, 3e-9, 16), np.linspace(-1.5e-6, 1.5e-6, 61),
    ...                    sigma0=2e-7, D=5e-5, amplitude=1e3, lifetime=2e-9,
    ...                    noise="gaussian", noise_sigma=5.0, seed=1)
    >>> res = analyze_map(ds)
    >>> lo, hi = res.diffusivity.ci95
    >>> bool(lo < 5e-5 < hi)
    True
    """
    from nctransport.microscopy.profiles import fit_profiles

    settings = settings or AnalysisSettings()
    kind = kind_of(ds)
    if kind not in ("map", "stack"):
        raise InputError(
            f"analyze needs a map (t, x) or image stack (t, y, x), got a {kind}",
            ds.attrs.get("source_file"),
        )
    background, background_reason = resolve_background(ds, settings.background, settings.t0)
    fits = fit_profiles(
        ds,
        profile=settings.fit_profile,
        noise=settings.noise,
        background=background,
        t0=settings.t0,
    )
    warnings: list[str] = []

    t = np.asarray(fits.t, dtype=float) - float(getattr(fits, "t0", 0.0) or 0.0)
    ok = np.asarray(fits.ok, dtype=bool)
    failed = tuple(
        {"t_ns": float(t[i] * 1e9), "reason": str(fits.reason[i]) or "fit failed"}
        for i in np.flatnonzero(~ok)
    )
    if failed:
        warnings.append(_failure_summary(failed, t.size))
    chi2 = np.asarray(fits.reduced_chi2, dtype=float)
    poor = ok & np.isfinite(chi2) & (chi2 > POOR_FIT_CHI2)
    if poor.any():
        warnings.append(
            f"{int(poor.sum())} usable frame(s) fit poorly (profile reduced chi2 > "
            f"{POOR_FIT_CHI2:g}); the profile shape may not match"
        )

    msd = compute_msd(t, fits.sigma, fits.sigma_err, ok, t_min=0.0)

    # t_max first: a contracting MSD bounds the automatic D window (Bornschlegl 2024).
    # Frames with signal: the automatic SNR window. Later frames pass the per-frame flag
    # only when their own noise raises the amplitude, which biases their widths low (an
    # apparent contraction, a falling alpha), so t_max and regimes look no further.
    snr_window = default_window(
        t, fits.amplitude, fits.amplitude_err, ok, t0=0.0, snr_min=settings.snr_min
    )
    k_sig = msd.t <= (snr_window.end if snr_window.end is not None else np.inf)
    t_max = find_t_max(msd.t[k_sig], msd.msd[k_sig], msd.err[k_sig] if msd.has_errors else None)
    if settings.window is not None:
        window = parse_window(settings.window)
    else:
        window = snr_window
        if t_max is not None and (window.end is None or t_max.value < window.end):
            window = FitWindow(window.start, t_max.value, window.source + "; ends at t_max")
    if t_max is not None:
        warnings.append(
            f"the MSD contracts after t_max = {t_max.value * 1e9:.3g} ns (Bornschlegl 2024 "
            f"'negative "
            "diffusion'); D is an early-time value, D_avg the population-weighted one"
        )

    in_win = (msd.t >= (window.start if window.start is not None else -np.inf)) & (
        msd.t <= (window.end if window.end is not None else np.inf)
    )
    diff = fit_diffusivity(msd.t[in_win], msd.sigma[in_win], msd.sigma_err[in_win], window=None)
    if diff.weighted and diff.reduced_chi2 > INFLATION_WARN_CHI2:
        warnings.append(
            f"MSD scatter exceeds the per-frame errors (reduced chi2 {diff.reduced_chi2:.3g}); "
            f"the D confidence interval was widened by {diff.error_scale:.3g}x"
        )
    if not diff.weighted:
        warnings.append("per-frame width errors unavailable: D fit unweighted (OLS errors)")
    axes = _axis_diffusivities(fits, t, msd.frames[in_win], warnings)
    if background == "pre-pulse":
        diff = _baseline_jackknife(
            ds, settings, background, fits, t, msd.frames[in_win], diff, warnings
        )
    try:
        origin = fit_msd_origin(msd, window=window.as_tuple())
    except FitError as exc:
        origin = None
        warnings.append(f"through-origin fit (Shcherbakov-Wu 2024) not possible: {exc.message}")

    k_reg = k_sig  # regimes over the frames with signal, whatever D window the user chose
    try:
        regimes = fit_regimes(
            msd.elapsed[k_reg],
            msd.msd[k_reg],
            msd.err[k_reg] if msd.has_errors else None,
            criterion=settings.regime_criterion,  # type: ignore[arg-type]
            max_segments=settings.max_regimes,
            ref_err=float(msd.err[0]) if msd.has_errors else None,
        )
    except FitError as exc:
        regimes = None
        warnings.append(f"regime fit not possible: {exc.message}")

    # Lifetime and Eq. 2 from the space-integrated signal (Bornschlegl 2024).
    integrated = integrated_signal(ds, fits)
    lifetime: Lifetime | None
    try:
        lifetime = lifetime_1e(t, integrated)
    except FitError as exc:
        lifetime = None
        warnings.append(f"lifetime not determined: {exc.message}")
    if lifetime is not None and not lifetime.found:
        warnings.append("the signal never falls to 1/e within the data: lifetime undetermined")
    tau = lifetime.value if lifetime is not None and lifetime.found else math.nan
    d_avg: PlWeightedDiffusivity | None = None
    w_int = integrated[msd.frames]
    try:
        tau_for_sum = tau if math.isfinite(tau) else float(np.ptp(msd.t)) / 5.0
        if not math.isfinite(tau):
            warnings.append("D_avg (Eq. 2) summed over all frames: no lifetime to bound it")
        # Eq. 2 over the frames with signal (automatic SNR window, contraction included):
        # beyond it the frames that pass the per-frame flag are selected by their own noise
        # and bias D_avg.
        k = k_sig
        d_avg = pl_weighted_diffusivity(
            msd.t[k],
            msd.msd[k],
            w_int[k],
            tau_for_sum,
            msd_err=msd.err[k] if msd.has_errors else None,
        )
    except FitError as exc:
        warnings.append(f"D_avg not computed: {exc.message}")
    at = lifetime.t_cross if lifetime is not None and lifetime.found else math.nan
    length_msd = diffusion_length_msd(msd.t, msd.msd, at, msd.err if msd.has_errors else None)
    length_tau_d = (
        diffusion_length_tau_d(tau, d_avg.value, d_avg.err)
        if d_avg is not None
        else (math.nan, math.nan)
    )

    temperature = settings.temperature
    if temperature is None:
        temperature = get_quantity(ds, "temperature", "K")
    notes: dict[str, str] = {"background_choice": background_reason}
    mobility = mobility_ci = None
    if temperature is None:
        notes["mobility_reason"] = (
            "no temperature: give --temperature or temperature in the file's metadata"
        )
    else:
        mobility = einstein_mobility(diff.value, temperature)
        mobility_ci = (
            einstein_mobility(diff.ci95[0], temperature),
            einstein_mobility(diff.ci95[1], temperature),
        )
        notes["mobility_method"] = "Einstein relation mu = e D / (k_B T) (Liu 2021)"

    ng, ng_warn = _non_gaussianity(ds, fits)
    warnings.extend(ng_warn)
    if regimes is not None and any(r.kind != "normal" for r in regimes.regimes):
        kinds = ", ".join(f"{r.kind} (alpha {r.alpha:.2f})" for r in regimes.regimes)
        warnings.append(
            f"transport is not normal diffusion over the whole range ({kinds}); a single D "
            "describes the fit window only"
        )

    return AnalysisResult(
        settings=settings,
        fits=fits,
        t=t,
        integrated=integrated,
        msd=msd,
        window=window,
        diffusivity=diff,
        diffusivity_origin=origin,
        regimes=regimes,
        lifetime=lifetime,
        d_avg=d_avg,
        length_msd=length_msd,
        length_tau_d=length_tau_d,
        t_max=t_max,
        temperature=temperature,
        mobility=mobility,
        mobility_ci95=mobility_ci,
        non_gaussianity=ng,
        failed_frames=failed,
        warnings=tuple(warnings),
        source_path=ds.attrs.get("source_file"),
        source_sha256=ds.attrs.get("source_sha256"),
        notes=notes,
        axes=axes,
        dataset=ds,
    )
