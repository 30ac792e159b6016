"""``kinetics``: fit decays (single, auto-selected, or global over pixels/files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import xarray as xr
from rich.table import Table

from nctransport.commands.common import (
    T0,
    JsonFlag,
    Meta,
    OutDir,
    Pixel,
    Times,
    TUnit,
    XUnit,
    console,
    default_out_dir,
    load_input,
)
from nctransport.dataset import SIGNAL, get_quantity, kind_of
from nctransport.errors import ConfigError, InputError
from nctransport.kinetics.fit import MODELS, NS, DecayFit, fit_decay
from nctransport.kinetics.global_fit import GlobalFit, global_fit
from nctransport.kinetics.select import select_model
from nctransport.results import dumps, provenance, write_json
from nctransport.units import parse_quantity

COUNT_UNITS = {"counts", "count", "cts", "photons"}


def parse_window(text: str | None) -> tuple[float, float] | None:
    """``"0ns:50ns"`` -> (0, 5e-8) seconds; an open end (``"2ns:"``) is unbounded."""
    if text is None:
        return None
    from nctransport.microscopy.window import parse_window as parse_fit_window

    w = parse_fit_window(text)
    return (-np.inf if w.start is None else w.start, np.inf if w.end is None else w.end)


def _nearest(axis: np.ndarray, value: float, name: str) -> int:
    if not (axis.min() - 1e-12 <= value <= axis.max() + 1e-12) and axis.size > 1:
        raise ConfigError(
            f"--position {name} = {value:g} m is outside the data "
            f"({axis.min():g} to {axis.max():g} m)"
        )
    return int(np.argmin(np.abs(axis - value)))


def extract_decays(
    ds: xr.Dataset, *, position: str | None, per_pixel: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray] | None, str]:
    """Time axis (s), decays (rows), pixel coordinates for the rows, and a description."""
    kind = kind_of(ds)
    sig = np.asarray(ds[SIGNAL].values, dtype=float)
    t = np.asarray(ds["t"].values, dtype=float) if "t" in ds.dims else None
    path = ds.attrs.get("source_file")
    if kind == "decay":
        if position is not None:
            raise ConfigError("--position needs a map or a stack, this file is a decay")
        return t, sig[None, :], None, "decay"
    if kind == "map":
        x = np.asarray(ds["x"].values, dtype=float)
        if position is not None:
            ix = _nearest(x, parse_quantity(position, "m", name="--position"), "x")
            return t, sig[:, ix][None, :], None, f"map column at x = {x[ix] * 1e6:.4g} um"
        if per_pixel:
            return t, sig.T, {"x": x}, f"map, {x.size} positions"
        return t, np.nansum(sig, axis=1)[None, :], None, "map integrated over x"
    if kind == "stack":
        x = np.asarray(ds["x"].values, dtype=float)
        y = np.asarray(ds["y"].values, dtype=float)
        if position is not None:
            parts = position.split(",")
            if len(parts) != 2:
                raise ConfigError("--position on a stack needs X,Y with units, e.g. 1um,2um")
            ix = _nearest(x, parse_quantity(parts[0].strip(), "m", name="--position x"), "x")
            iy = _nearest(y, parse_quantity(parts[1].strip(), "m", name="--position y"), "y")
            return t, sig[:, iy, ix][None, :], None, f"stack pixel ({x[ix]:.3g}, {y[iy]:.3g}) m"
        if per_pixel:
            rows = sig.reshape(sig.shape[0], -1).T
            return t, rows, {"y": y, "x": x}, f"stack, {y.size}x{x.size} pixels"
        return t, np.nansum(sig, axis=(1, 2))[None, :], None, "stack integrated over x, y"
    raise InputError(f"kinetics needs a decay, map or stack, got a {kind}", path)


def load_irf(path: Path, t_s: np.ndarray, **load_kw: Any) -> np.ndarray:
    """A measured IRF, integrated over space if needed, baseline-subtracted, on ``t_s``.

    The baseline (dark counts) is the 10th percentile of the IRF; left in, it would be
    convolved with the decay and mimic a slow component.
    """
    ds = load_input(path, **load_kw)
    t_irf, rows, _, _ = extract_decays(ds, position=None, per_pixel=False)
    irf = np.nan_to_num(rows[0])
    irf = np.clip(irf - np.percentile(irf, 10), 0.0, None)
    if np.max(irf) <= 0:
        raise InputError("IRF has no positive values", path)
    dt = np.diff(t_s)
    if dt.size == 0 or np.max(np.abs(dt - dt.mean())) > 1e-6 * abs(dt.mean()):
        raise InputError("a measured IRF needs data on a uniform time grid")
    return np.interp(t_s, t_irf, irf, left=0.0, right=0.0)


def _is_counts(ds: xr.Dataset) -> bool:
    return str(ds[SIGNAL].attrs.get("units", "")).strip().lower() in COUNT_UNITS


def _decay_figure(out: Path, t_s, data, fitted, irf_curve, resid, title: str) -> list[Path]:
    from nctransport.plotting import new_figure, save_figure

    fig, (ax, axr) = new_figure(
        2, 1, figsize=(6.5, 5.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    tn = np.asarray(t_s) / NS
    pos = np.asarray(data) > 0
    ax.semilogy(tn[pos], np.asarray(data)[pos], ".", ms=3, label="data", color="#000000")
    ax.semilogy(tn, np.maximum(fitted, 1e-12), "-", lw=1.5, label="fit", color="#D55E00")
    if irf_curve is not None and np.max(irf_curve) > 0:
        scaled = np.asarray(irf_curve) / np.max(irf_curve) * np.max(data)
        ax.semilogy(
            tn, np.maximum(scaled, 1e-12), "--", lw=1, label="IRF (scaled)", color="#0072B2"
        )
    lo = max(np.min(np.asarray(data)[pos]) * 0.5, 1e-3) if pos.any() else 1e-3
    ax.set_ylim(lo, np.max(data) * 2)
    ax.set_ylabel("signal")
    ax.set_title(title)
    ax.legend()
    axr.plot(tn, resid, ".", ms=2, color="#009E73")
    axr.axhline(0, color="#000000", lw=0.8)
    axr.set_xlabel("t (ns)")
    axr.set_ylabel("weighted resid.")
    return save_figure(fig, out, "decay_fit")


def _amplitude_figure(out: Path, amp_ds: xr.Dataset) -> list[Path]:
    from nctransport.plotting import new_figure, save_figure

    comps = [c for c in amp_ds.component.values if c != "background"]
    dims = [d for d in amp_ds.amplitude.dims if d != "component"]
    if len(dims) == 2:
        fig, axes = new_figure(1, len(comps), figsize=(4.0 * len(comps), 3.6), squeeze=False)
        for ax, c in zip(axes[0], comps, strict=True):
            a = amp_ds.amplitude.sel(component=c)
            x, y = amp_ds.x.values * 1e6, amp_ds.y.values * 1e6
            im = ax.pcolormesh(x, y, a.values, shading="nearest")
            fig.colorbar(im, ax=ax)
            tau = float(amp_ds.tau.sel(component=c)) / NS
            ax.set_title(f"tau = {tau:.3g} ns")
            ax.set_xlabel("x (um)")
            ax.set_ylabel("y (um)")
    else:
        fig, ax = new_figure(1, 1, figsize=(6.0, 3.6))
        d = dims[0]
        xv = amp_ds[d].values * (1e6 if d in ("x", "y") else 1)
        for c in comps:
            a = amp_ds.amplitude.sel(component=c)
            e = amp_ds.amplitude_err.sel(component=c)
            tau = float(amp_ds.tau.sel(component=c)) / NS
            ax.errorbar(xv, a.values, yerr=e.values, fmt=".-", ms=3, label=f"tau = {tau:.3g} ns")
        ax.set_xlabel(f"{d} (um)" if d in ("x", "y") else d)
        ax.set_ylabel("amplitude (counts/bin)")
        ax.legend()
    return save_figure(fig, out, "amplitudes")


def _print_table(res: dict[str, Any]) -> None:
    table = Table(title=f"kinetics: {res['model']} ({res.get('method')})")
    for col in ("tau (ns)", "err (ns)", "amplitude", "ampl. frac.", "photon frac."):
        table.add_column(col)

    def fmt(v):
        return "" if v is None else f"{v:.4g}"

    for c in res["components"]:
        table.add_row(
            fmt(c["tau_ns"]),
            fmt(c["tau_err_ns"]),
            fmt(c["amplitude"]),
            fmt(c["amplitude_fraction"]),
            fmt(c["photon_fraction"]),
        )
    console.print(table)
    console.print(
        f"IRF FWHM {fmt(res['irf_fwhm_ns'])} ns, shift {fmt(res['irf_shift_ns'])} ns; "
        f"1/e lifetime {fmt(res['lifetime_1e_ns'])} ns; reduced chi2 {fmt(res['reduced_chi2'])}; "
        f"AIC {fmt(res['aic'])}, BIC {fmt(res['bic'])}; converged: {res['converged']}"
    )
    if "selection" in res:
        for r in res["selection"]["reasons"]:
            console.print(f"  - {r}")
    if res.get("amplitudes_file"):
        console.print(f"amplitude maps: {res['amplitudes_file']}")


def kinetics(
    files: Annotated[list[Path], typer.Argument(help="Decay, map or stack file(s).")],
    model: Annotated[
        str, typer.Option("--model", help="exp1|exp2|exp3|stretched|powerlaw|exp+powerlaw|auto")
    ] = "auto",
    irf: Annotated[
        str, typer.Option("--irf", help="fit (Gaussian, width+shift fitted) | none | IRF_FILE")
    ] = "fit",
    window: Annotated[
        str | None, typer.Option("--window", help="Fit window START:STOP, e.g. 0ns:50ns.")
    ] = None,
    position: Annotated[
        str | None, typer.Option("--position", help="Take the decay at x (map) or x,y (stack).")
    ] = None,
    rep_rate: Annotated[
        str | None,
        typer.Option("--rep-rate", help="Laser repetition rate for pile-up, e.g. 80MHz."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option("--method", help="mle|neyman|lsq (default: mle for counts, else lsq)."),
    ] = None,
    criterion: Annotated[str, typer.Option("--criterion", help="auto: bic|aic.")] = "bic",
    global_: Annotated[
        bool,
        typer.Option("--global", help="Shared lifetimes over every pixel (or several files)."),
    ] = False,
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
) -> None:
    """Fit decays: exponentials with a fitted or measured IRF, power laws, global fits."""
    if model != "auto" and model not in MODELS:
        raise ConfigError(f"unknown --model {model!r}; choose auto or one of {', '.join(MODELS)}")
    if len(files) > 1 and not global_:
        raise ConfigError("several files are fitted together only with --global")
    win = parse_window(window)
    load_kw = dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta)
    datasets = [load_input(f, **load_kw) for f in files]
    first = datasets[0]

    t_s = None
    rows: list[np.ndarray] = []
    coords = None
    described = []
    for ds, f in zip(datasets, files, strict=True):
        tt, r, c, what = extract_decays(
            ds, position=position, per_pixel=global_ and len(files) == 1
        )
        if t_s is None:
            t_s = tt
        elif tt.shape != t_s.shape or not np.allclose(tt, t_s, rtol=1e-9, atol=1e-15):
            raise InputError("time axis differs from the first file's; cannot fit globally", f)
        rows.append(r)
        coords = c
        described.append(what)
    decays = np.concatenate(rows, axis=0)
    if len(files) > 1:
        coords = {"decay": np.arange(len(files))}

    counts = all(_is_counts(ds) for ds in datasets)
    if method is None:
        method = "mle" if counts else "lsq"
    irf_arg: str | np.ndarray
    irf_setting = irf
    if irf == "fit":
        irf_arg = "gaussian"
    elif irf == "none":
        irf_arg = "none"
    else:
        irf_path = Path(irf)
        if not irf_path.exists():
            raise ConfigError(f"--irf must be fit, none or an existing IRF file; got {irf!r}")
        irf_arg = load_irf(irf_path, t_s, **load_kw)
        irf_setting = str(irf_path)

    period = None
    period_source = None
    if rep_rate is not None:
        f_hz = parse_quantity(rep_rate, "Hz", name="--rep-rate")
        if not f_hz > 0:
            raise ConfigError("--rep-rate must be positive")
        period, period_source = 1.0 / f_hz, "--rep-rate"
    else:
        f_meta = get_quantity(first, "rep_rate", "Hz")
        if f_meta:
            period, period_source = 1.0 / f_meta, "file metadata rep_rate"

    settings = {
        "model": model,
        "irf": irf_setting,
        "window": window,
        "position": position,
        "rep_period_s": period,
        "rep_period_source": period_source,
        "method": method,
        "criterion": criterion,
        "global": global_,
        "decays": described,
    }
    fit_kw = dict(irf=irf_arg, window_s=win, period_s=period, method=method)
    selection = None
    warnings: list[str] = []
    if global_:
        chosen = model
        if model == "auto":
            selection = select_model(t_s, np.nansum(decays, axis=0), criterion=criterion, **fit_kw)
            chosen = selection.chosen
            selection_reasons = list(selection.reasons) + [
                f"model chosen on the summed decay, then fitted globally as {chosen}"
            ]
        from rich.console import Console

        with Console(stderr=True).status(
            f"global {chosen} fit of {decays.shape[0]} decays (Ctrl-C stops, nothing written)"
        ):
            gfit = global_fit(t_s, np.nan_to_num(decays), model=chosen, **fit_kw)
        result = _global_results(gfit)
        if selection is not None:
            result["selection"] = selection.to_dict() | {"reasons": selection_reasons}
        fit_for_plot = None
    else:
        if model == "auto":
            selection = select_model(t_s, decays[0], criterion=criterion, **fit_kw)
            fit = selection.best
        else:
            fit = fit_decay(t_s, decays[0], model=model, **fit_kw)
        result = _single_results(fit)
        if selection is not None:
            result["selection"] = selection.to_dict()
        fit_for_plot = fit
    if not result["converged"]:
        warnings.append(f"fit did not converge: {result.get('message')}")
    if result.get("reduced_chi2") is not None and result["reduced_chi2"] > 2:
        warnings.append(f"reduced chi2 = {result['reduced_chi2']:.3g}: the model misses structure")

    out_dir = out or default_out_dir(files[0], "kinetics")
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(files) == 1:
        prov = provenance(files[0], first.attrs.get("source_sha256"), settings)
    else:
        prov = provenance(None, None, settings)
        prov["input"] = {
            "path": [str(f) for f in files],
            "sha256": [d.attrs.get("source_sha256") for d in datasets],
        }
    figures: list[Path] = []
    if fit_for_plot is not None:
        irf_curve = fit_for_plot.irf_curve
        if isinstance(irf_arg, np.ndarray):
            win_mask = np.isin(t_s, fit_for_plot.t_s)
            irf_curve = irf_arg[win_mask] if win_mask.sum() == fit_for_plot.t_s.size else None
        figures += _decay_figure(
            out_dir,
            fit_for_plot.t_s,
            fit_for_plot.data,
            fit_for_plot.fitted,
            irf_curve,
            fit_for_plot.residuals,
            f"{files[0].name}: {fit_for_plot.model}",
        )
    else:
        data_sum = gfit.data.sum(axis=0)
        fit_sum = gfit.fitted.sum(axis=0)
        resid = (data_sum - fit_sum) / np.sqrt(np.maximum(fit_sum, 1e-12))
        figures += _decay_figure(
            out_dir,
            gfit.t_s,
            data_sum,
            fit_sum,
            None,
            resid,
            f"global {gfit.model}: sum of {gfit.amplitudes.shape[0]} decays",
        )
        amp_ds = gfit.amplitude_dataset(coords)
        amp_ds.attrs["source_file"] = ", ".join(str(f) for f in files)
        from nctransport.io.netcdf import save_netcdf

        amp_path = save_netcdf(amp_ds, out_dir / "amplitudes.nc")
        result["amplitudes_file"] = str(amp_path)
        figures += _amplitude_figure(out_dir, amp_ds)
    result.update(prov)
    write_json(out_dir / "results.json", result)
    from nctransport.report.html import write_report

    inputs = [
        {
            "path": str(f),
            "sha256": d.attrs.get("source_sha256"),
            **{k: v for k, v in d.attrs.items() if k not in ("source_file", "source_sha256")},
        }
        for f, d in zip(files, datasets, strict=True)
    ]
    write_report(
        out_dir,
        title=f"Kinetics: {', '.join(f.name for f in files)}",
        results={k: v for k, v in result.items() if k not in ("input", "settings")},
        figures=[p for p in figures if p.suffix == ".png"],
        inputs=inputs,
        settings=settings,
        warnings=warnings,
    )
    if json:
        typer.echo(dumps(result), nl=False)
    else:
        _print_table(result)
        console.print(f"wrote {out_dir / 'results.json'}")


def _single_results(fit: DecayFit) -> dict[str, Any]:
    d = fit.to_dict()
    keys = [
        "model",
        "method",
        "components",
        "irf_fwhm_ns",
        "irf_shift_ns",
        "lifetime_1e_ns",
        "aic",
        "bic",
        "reduced_chi2",
        "converged",
    ]
    res = {k: d[k] for k in keys}
    res.update(
        {k: v for k, v in d.items() if k not in res}  # parameters, errors, window, message...
    )
    return res


def _global_results(g: GlobalFit) -> dict[str, Any]:
    d = g.to_dict()
    sp = d["shared_parameters"]
    res = {
        "model": d["model"],
        "method": d["method"],
        "components": d["components"],
        "irf_fwhm_ns": sp.get("irf_fwhm_ns", {}).get("value"),
        "irf_shift_ns": (sp.get("irf_t0_ns") or sp.get("irf_shift_ns") or {}).get("value"),
        "lifetime_1e_ns": None,
        "aic": d["aic"],
        "bic": d["bic"],
        "reduced_chi2": d["reduced_chi2"],
        "converged": d["converged"],
    }
    comps = d["components"]
    if comps and d["model"] in ("exp1", "exp2", "exp3"):
        from nctransport.kinetics.models import lifetime_1e

        res["lifetime_1e_ns"] = lifetime_1e(
            [c["amplitude"] for c in comps], [c["tau_ns"] for c in comps]
        )
    res.update({k: v for k, v in d.items() if k not in res})
    return res


def register(app: typer.Typer) -> None:
    app.command()(kinetics)
