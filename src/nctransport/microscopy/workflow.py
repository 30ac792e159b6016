"""The microscopy workflows of the Python API: :func:`analyze` (one map or stack) and
:func:`series` (trends across files), exported as ``nctransport.analyze`` / ``nctransport.series``.

Both take a path, a list of paths or an :class:`xarray.Dataset` and keyword settings; a
quantity may be a string with its unit (``"300K"``, ``"1.2ns"``), a pint Quantity, or a
float in SI units. They return results with the project's result protocol
(:class:`nctransport.results.ResultProtocol`) and never print; ``nctransport analyze`` and
``nctransport series`` are thin faces over them, so the numbers are the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nctransport.errors import ConfigError, FitError, InputError, NctransportError

if TYPE_CHECKING:  # pragma: no cover
    from nctransport.microscopy.analysis import AnalysisResult, AnalysisSettings
    from nctransport.microscopy.series import SeriesResult

__all__ = ["analyze", "series", "analysis_settings", "load_data", "named_errors"]

#: Largest |coordinate| accepted: 1e3 s of delay, 1 m of position. Beyond that the axis
#: unit is wrong (and squares of the values overflow in the fits).
_MAX_T_S = 1e3
_MAX_X_M = 1.0
#: Smallest median step accepted per axis unit (1 as, 1 pm) and largest |signal|.
_MIN_STEP = {"s": 1e-18, "m": 1e-12}
_MAX_SIGNAL = 1e100

#: Files ``analyze`` writes into its output directory (``series`` writes SERIES_FILES).
ANALYZE_FILES = (
    "results.json",
    "msd.csv",
    "profiles.nc",
    "report.html",
    *(f"{name}.{ext}" for name in ("map", "profiles", "msd", "decay") for ext in ("svg", "png")),
)
SERIES_FILES = ("results.json", "series.csv", "series.png", "report.html")


def _quantity(value: Any, unit: str, name: str) -> float:
    """A quantity given as text with a unit, a pint Quantity, or a float in SI ``unit``."""
    from nctransport.units import parse_quantity

    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a quantity in {unit}, got {value!r}")
    if isinstance(value, int | float):
        v = float(value)
    else:
        if hasattr(value, "magnitude") and hasattr(value, "units"):  # pint Quantity
            value = f"{value.magnitude!r} {value.units}"
        v = parse_quantity(str(value), unit, name=name)
    if not math.isfinite(v):
        raise ConfigError(f"{name}: must be finite, got {value!r}")
    return v


def _window_text(window: Any) -> str | None:
    """``"0ns:3ns"`` stays text; a ``(start, end)`` pair (quantities, SI floats or None)
    becomes the same text in seconds."""
    if window is None or isinstance(window, str):
        return window
    try:
        lo, hi = window
    except (TypeError, ValueError):
        raise ConfigError(
            f"window: expected 'A:B' with units or a (start, end) pair, got {window!r}"
        ) from None
    parts = ["" if v is None else f"{_quantity(v, 's', 'window'):.17g}s" for v in (lo, hi)]
    return ":".join(parts)


def analysis_settings(
    *,
    profile: str = "auto",
    window: Any = None,
    background: str = "auto",
    temperature: Any = None,
    snr: float = 10.0,
) -> AnalysisSettings:
    """Validated :class:`~nctransport.microscopy.analysis.AnalysisSettings` from API values
    (raises :class:`~nctransport.errors.ConfigError` naming the option at fault)."""
    from nctransport.microscopy.analysis import AnalysisSettings

    try:
        snr_f = float(snr)
    except (TypeError, ValueError):
        raise ConfigError(f"snr must be a number > 0, got {snr!r}") from None
    if not (math.isfinite(snr_f) and snr_f > 0):
        raise ConfigError(f"--snr must be > 0, got {snr!r}")
    temp = None if temperature is None else _quantity(temperature, "K", "--temperature")
    if temp is not None and not temp > 0:
        raise ConfigError(f"--temperature must be > 0 K, got {temperature!r}")
    from nctransport.limits import MAX_TEMPERATURE_K

    if temp is not None and temp > MAX_TEMPERATURE_K:
        raise ConfigError(f"--temperature must be <= {MAX_TEMPERATURE_K:g} K, got {temperature!r}")
    return AnalysisSettings(
        profile=profile,
        window=_window_text(window),
        background=background,
        temperature=temp,
        snr_min=snr_f,
    )


def _meta_items(meta: Any) -> dict[str, str]:
    if meta is None:
        return {}
    if isinstance(meta, Mapping):
        return {str(k): v for k, v in meta.items()}
    out: dict[str, str] = {}
    for item in [meta] if isinstance(meta, str) else list(meta):
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--meta expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def load_data(
    data: Any,
    *,
    t_unit: str | None = None,
    x_unit: str | None = None,
    t0: Any = None,
    times: str | None = None,
    pixel: Any = None,
    meta: Any = None,
) -> tuple[Any, dict[str, Any]]:
    """Read ``data`` (path or Dataset) with the loader overrides; returns the dataset and the
    overrides as they are recorded in ``settings.load``."""
    import xarray as xr

    options = dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel)
    options = {k: (v if v is None or isinstance(v, str | int | float) else str(v))
               for k, v in options.items()}  # fmt: skip
    meta_d = _meta_items(meta)
    recorded = {**options, "meta": [f"{k}={v}" for k, v in meta_d.items()] or None}
    if isinstance(data, xr.Dataset):
        ds = data
        if t0 is not None:
            from nctransport.io import apply_t0

            ds = apply_t0(ds, _quantity(t0, "s", "t0"))
        if meta_d:
            from nctransport.dataset import normalise_metadata

            ds = ds.copy()
            ds.attrs.update(normalise_metadata(meta_d, path=ds.attrs.get("source_file")))
        return ds, recorded
    if isinstance(data, str | Path):
        from nctransport.io import load

        overrides = {k: v for k, v in options.items() if v is not None}
        overrides.update(meta_d)
        return load(Path(data), **overrides), recorded
    raise InputError(f"analyze needs a file path or an xarray Dataset, got {type(data).__name__}")


def _check_coordinates(ds: Any, path: str | None) -> None:
    """Refuse axes no microscopy map has: fewer than 3 positions, non-finite or absurdly
    scaled coordinates (a wrong unit), before any fit can overflow on them."""
    import numpy as np

    from nctransport.dataset import SIGNAL

    dims = ds[SIGNAL].dims
    for dim in dims[1:]:
        n = ds.sizes[dim]
        if n < 3:
            raise InputError(
                f"the {dim} axis has {n} pixel(s); a profile fit needs at least 3", path
            )
    for dim in dims:
        v = np.asarray(ds[dim].values, dtype=float)
        limit, unit = (_MAX_T_S, "s") if dim == "t" else (_MAX_X_M, "m")
        if not np.all(np.isfinite(v)):
            raise InputError(f"the {dim} axis has non-finite values", path)
        flag = f"--{'t' if dim == 't' else 'x'}-unit"
        if v.size and float(np.max(np.abs(v))) > limit:
            raise InputError(
                f"the {dim} axis reaches {float(np.max(np.abs(v))):.3g} {unit} (> {limit:g} "
                f"{unit}); check its unit ({flag})",
                path,
            )
        step = float(np.median(np.abs(np.diff(v)))) if v.size > 1 else None
        if step is not None and step < _MIN_STEP[unit]:
            raise InputError(
                f"the {dim} axis steps by {step:.3g} {unit} (< {_MIN_STEP[unit]:g} {unit}); "
                f"check its unit ({flag})",
                path,
            )
    # max |signal| without a full-size |signal| temporary (fmax/fmin skip NaN)
    sig = np.asarray(ds[SIGNAL].values)
    high = float(np.fmax.reduce(sig, axis=None, initial=-np.inf))
    low = float(np.fmin.reduce(sig, axis=None, initial=np.inf))
    peak = max(high, -low, 0.0)
    if not peak <= _MAX_SIGNAL:
        raise InputError(
            f"signal values reach {peak:.3g}; above {_MAX_SIGNAL:g} their squares overflow "
            "(rescale the data)",
            path,
        )


@contextmanager
def named_errors(path: str | None):
    """Every error of the analysis names the file; numerical accidents on hostile data
    become one :class:`FitError` instead of a raw exception, and NumPy's RuntimeWarnings
    (overflow in a rejected trial step, an all-NaN frame...) never reach the terminal."""
    import numpy as np

    from nctransport.microscopy.analysis import quiet_numerics

    try:
        with quiet_numerics():
            yield
    except NctransportError as exc:
        if exc.path is None and path is not None:
            raise type(exc)(exc.message, path) from None
        raise
    except (ZeroDivisionError, FloatingPointError, OverflowError, IndexError, ValueError,
            np.linalg.LinAlgError) as exc:  # fmt: skip
        raise FitError(
            f"the analysis failed on this data ({type(exc).__name__}: {exc})", path
        ) from None


def check_not_overwriting_inputs(out_dir: Any, inputs: Sequence[Any], names: Sequence[str]) -> None:
    """Refuse an output directory where writing would replace one of the inputs (e.g.
    ``analyze D/profiles.nc --out D``)."""
    import os

    from nctransport.errors import OutputError

    out = Path(out_dir)
    for inp in inputs:
        p = Path(inp)
        for name in names:
            target = out / name
            try:
                same = target.exists() and p.exists() and os.path.samefile(target, p)
            except OSError:
                same = False
            if same:
                raise OutputError(
                    f"writing {name} there would overwrite the input {p}; choose another "
                    "output directory",
                    out,
                )


def analyze(
    data: Any,
    *,
    profile: str = "auto",
    window: Any = None,
    t0: Any = None,
    background: str = "auto",
    temperature: Any = None,
    snr: float = 10.0,
    t_unit: str | None = None,
    x_unit: str | None = None,
    times: str | None = None,
    pixel: Any = None,
    meta: Any = None,
) -> AnalysisResult:
    """Analyse a transient map (t, x) or image stack (t, y, x): per-frame profile fits ->
    MSD -> D with its 95% CI, regimes, lifetime, D_avg, diffusion lengths, mobility.

    Parameters
    ----------
    data
        Path of any readable file, or an :class:`xarray.Dataset` (e.g. ``simulate(...).dataset``).
    profile
        ``auto`` | ``gaussian`` | ``gaussian2d`` | ``gaussian2d-aniso`` | ``voigt`` | ``moments``
        (``moments``: model-free second moment; D(t) is then the papers' change of variance
        / 2t per axis).
    window
        D fit window, ``"0ns:3ns"`` or a ``(start, end)`` pair; default automatic (until the
        amplitude SNR falls below ``snr``).
    t0
        Time zero (pulse peak) in the file's time, ``"1.2ns"`` or seconds.
    background
        ``auto`` | ``none`` | ``pre-pulse``.
    temperature
        For the Einstein mobility, ``"300K"`` or kelvin; default: the file's metadata.
    snr
        Amplitude SNR that ends the automatic window.
    t_unit, x_unit, times, pixel, meta
        Loader overrides for files that lack them (``meta``: mapping or ``["key=value"]``).

    Returns
    -------
    AnalysisResult
        ``to_dict()`` is results.json, ``summary()`` the CLI table, ``write(out)`` the files.

    Raises
    ------
    InputError, ConfigError, UnitError, FitError
        With the file or option named.

    Examples
    --------
    >>> import numpy as np, nctransport as nct
    >>> from nctransport.microscopy.synthetic import synthetic_map
    >>> ds = synthetic_map(np.linspace(0, 3e-9, 16), np.linspace(-1.5e-6, 1.5e-6, 61),
    ...                    sigma0=2e-7, D=5e-5, amplitude=1e3, lifetime=2e-9,
    ...                    noise="gaussian", noise_sigma=5.0, seed=1)
    >>> r = nct.analyze(ds, window="0ns:3ns", temperature="300K")
    >>> lo, hi = r.to_dict()["diffusivity"]["ci95_cm2_s"]
    >>> bool(lo < 0.5 < hi)
    True
    """
    from nctransport.dataset import replacing_metadata
    from nctransport.microscopy.analysis import analyze_map

    settings = analysis_settings(
        profile=profile, window=window, background=background, temperature=temperature, snr=snr
    )  # bad options fail before the file is read
    # --temperature replaces the file's temperature, even one that is out of range
    with replacing_metadata(*(("temperature",) if temperature is not None else ())):
        ds, load_options = load_data(
            data, t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta
        )
        path = ds.attrs.get("source_file")
        with named_errors(path):
            _check_coordinates(ds, path)
            result = analyze_map(ds, settings)
    if any(v for v in load_options.values()):
        from dataclasses import replace

        result = replace(result, load_options=load_options)
    return result


def series(
    files: Sequence[Any],
    *,
    by: str,
    values: Any = None,
    profile: str = "auto",
    window: Any = None,
    background: str = "auto",
    snr: float = 10.0,
    t0: Any = None,
    t_unit: str | None = None,
    x_unit: str | None = None,
    meta: Any = None,
) -> SeriesResult:
    """Analyse each map of one sample and fit the trend of D, sigma and L with ``by``.

    Parameters
    ----------
    files
        Two or more paths (or Datasets).
    by
        ``power`` | ``fluence`` | ``temperature`` | ``rep-rate``.
    values
        One value per file (``"10K"`` strings, quantities or SI floats, or one
        comma-separated string); default: each file's metadata.
    profile, window, background, snr, t0, t_unit, x_unit, meta
        As for :func:`analyze`.

    Returns
    -------
    SeriesResult
        With the result protocol (``to_dict()``, ``summary()``, ``write(out)``).

    Examples
    --------
    >>> import nctransport as nct
    >>> r = nct.series(["p1.csv", "p2.csv", "p3.csv"], by="power",
    ...                values="10nW,20nW,40nW")  # doctest: +SKIP
    """
    from nctransport.microscopy.series import BY_UNITS, analyze_series

    if by not in BY_UNITS:
        raise ConfigError(f"--by must be one of {', '.join(BY_UNITS)}; got {by!r}")
    files = list(files)
    if len(files) < 2:
        raise ConfigError("series needs at least two files")
    settings = analysis_settings(profile=profile, window=window, background=background, snr=snr)
    vals = None
    if values is not None:
        items = (
            [s for s in (p.strip() for p in values.split(",")) if s]
            if isinstance(values, str)
            else list(values)
        )
        if len(items) != len(files):
            raise ConfigError(f"--values has {len(items)} value(s) for {len(files)} file(s)")
        vals = [_quantity(v, BY_UNITS[by], "--values") for v in items]
    datasets = [load_data(f, t_unit=t_unit, x_unit=x_unit, t0=t0, meta=meta)[0] for f in files]
    paths = [ds.attrs.get("source_file", str(i)) for i, ds in enumerate(datasets)]
    for ds, p in zip(datasets, paths, strict=True):
        _check_coordinates(ds, p)
    return analyze_series(datasets, by, settings, values=vals, paths=paths)
