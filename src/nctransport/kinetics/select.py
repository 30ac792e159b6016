"""Choose the number of exponential components by an information criterion.

AIC = 2k - 2 ln L (Akaike 1974), BIC = k ln n - 2 ln L (Schwarz 1978), with L the
Poisson (or Gaussian, for ``lsq``) likelihood of :func:`~nctransport.kinetics.fit.fit_decay`.
The model with the lowest criterion wins, except that a fit which did not converge or
whose components are not resolved (covariance singular, a component with no amplitude,
two lifetimes within 5 % of each other) is not eligible; every decision is written down.
Following Burnham & Anderson (*Model Selection and Multimodel Inference*, 2002), a
difference below 2 is "no real support", so the simpler model is kept in that case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nctransport.errors import ConfigError, FitError
from nctransport.kinetics.fit import DecayFit, fit_decay

CRITERIA = ("bic", "aic")


@dataclass(frozen=True)
class Selection:
    """Which model was chosen, the table of candidates and the reasons."""

    chosen: str
    criterion: str
    table: tuple[dict[str, Any], ...]
    reasons: tuple[str, ...]
    best: DecayFit

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "criterion": self.criterion,
            "candidates": list(self.table),
            "reasons": list(self.reasons),
        }


def _resolved(fit: DecayFit) -> tuple[bool, str]:
    if not fit.converged:
        return False, f"did not converge ({fit.message})"
    taus = fit.taus_s
    if len(taus) > 1 and np.any(np.diff(np.sort(taus)) < 0.05 * np.sort(taus)[1:]):
        return False, "two lifetimes coincide within 5 %"
    for c in fit.components:
        if not (c.amplitude > 0) or not np.isfinite(c.tau_err_s):
            return False, f"component tau = {c.tau_s * 1e9:.3g} ns has no amplitude"
        if c.tau_err_s > c.tau_s:
            return False, f"component tau = {c.tau_s * 1e9:.3g} ns is not determined (err > tau)"
    return True, "resolved"


def select_model(
    t_s: np.ndarray,
    counts: np.ndarray,
    *,
    candidates: tuple[str, ...] = ("exp1", "exp2", "exp3"),
    criterion: str = "bic",
    min_delta: float = 2.0,
    **fit_kwargs: Any,
) -> Selection:
    """Fit every candidate and choose by ``criterion`` (``bic`` or ``aic``).

    Candidates are tried in order of complexity; a more complex model must lower the
    criterion by more than ``min_delta`` than the best simpler one to be chosen.

    Examples
    --------
    >>> t = np.arange(300) * 0.1e-9
    >>> y = np.random.default_rng(0).poisson(2000 * np.exp(-t / 3e-9) + 5)
    >>> select_model(t, y, irf="none").chosen
    'exp1'
    """
    if criterion not in CRITERIA:
        raise ConfigError(f"unknown criterion {criterion!r}; choose 'bic' or 'aic'")
    fits: dict[str, DecayFit] = {}
    rows: list[dict[str, Any]] = []
    reasons: list[str] = []
    for name in candidates:
        try:
            f = fit_decay(t_s, counts, model=name, **fit_kwargs)
        except FitError as exc:
            reasons.append(f"{name}: fit failed ({exc.message})")
            continue
        ok, why = _resolved(f)
        fits[name] = f
        rows.append(
            {
                "model": name,
                "aic": f.aic,
                "bic": f.bic,
                "n_params": f.n_params,
                "converged": f.converged,
                "eligible": ok,
                "note": why,
            }
        )
    eligible = [r for r in rows if r["eligible"]]
    if not eligible:
        # every candidate is accounted for: those that failed outright and those unresolved
        why = reasons + [f"{r['model']}: {r['note']}" for r in rows]
        raise FitError(
            "no candidate model gave a resolved fit: "
            + ("; ".join(why) if why else f"no candidates were given ({candidates!r})")
        )
    best_val = min(r[criterion] for r in rows)
    for r in rows:
        r[f"delta_{criterion}"] = r[criterion] - best_val
    chosen = eligible[0]
    for r in eligible[1:]:
        gain = chosen[criterion] - r[criterion]
        if gain > min_delta:
            reasons.append(
                f"{r['model']} lowers {criterion.upper()} by {gain:.1f} (> {min_delta:g}) "
                f"relative to {chosen['model']}: more components are supported"
            )
            chosen = r
        else:
            reasons.append(
                f"{r['model']} changes {criterion.upper()} by {-gain:+.1f} relative to "
                f"{chosen['model']} (improvement <= {min_delta:g}): extra components not supported"
            )
    for r in rows:
        if not r["eligible"]:
            reasons.append(f"{r['model']} not eligible: {r['note']}")
    reasons.insert(0, f"chosen {chosen['model']} by lowest {criterion.upper()}")
    return Selection(
        chosen=chosen["model"],
        criterion=criterion,
        table=tuple(rows),
        reasons=tuple(reasons),
        best=fits[chosen["model"]],
    )
