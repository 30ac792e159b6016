"""From a validated config to the numbers the kernels take (SI, or per-step in fixed mode)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nctransport.errors import ConfigError
from nctransport.kmc import engine
from nctransport.kmc.config import SimulationConfig, si
from nctransport.kmc.lattice import Lattice, build_lattice, neighbour_offsets
from nctransport.kmc.rates import K_B_EV

_MODES = {"continuous": engine.CONTINUOUS}
_OCC = {
    "multiple": engine.OCC_MULTIPLE,
    "single": engine.OCC_SINGLE,
    "annihilate": engine.OCC_ANNIHILATE,
}
_HOPS = {
    "constant": engine.HOP_CONSTANT,
    "forster": engine.HOP_FORSTER,
    "miller-abrahams": engine.HOP_MILLER_ABRAHAMS,
}


@dataclass(frozen=True)
class KmcModel:
    """Everything a pulse needs, in kernel units.

    Kernel time is seconds in continuous mode and steps in fixed mode (``time_unit`` s
    per kernel unit); rates are 1/s or per-step probabilities (rate x step) accordingly.
    """

    config: SimulationConfig
    state_names: tuple[str, ...]
    mode: int
    occupancy: int
    memory: bool
    time_unit: float
    krad: np.ndarray
    knr: np.ndarray
    conv: np.ndarray
    krad_si: np.ndarray
    absorption: np.ndarray
    initial: np.ndarray
    hop_i: np.ndarray
    hop_f: np.ndarray
    site_scale: np.ndarray
    hop_scale: np.ndarray
    offsets: np.ndarray
    off_cls: np.ndarray
    off_r: np.ndarray
    spot_sigma: float
    frame_times: np.ndarray
    kernel_frames: np.ndarray
    t_stop: float
    roi_f: np.ndarray
    roi_i: np.ndarray
    tau_relax: float
    period: float

    @property
    def n_states(self) -> int:
        return len(self.state_names)

    @property
    def interacting(self) -> bool:
        return self.memory or self.occupancy != engine.OCC_MULTIPLE

    @property
    def homogeneous(self) -> bool:
        """Hop weights are the same on every site (no jitter, vacancies, energies, memory)."""
        lc = self.config.lattice
        return (
            si(lc.jitter, "m") == 0.0
            and lc.vacancies == 0
            and self.hop_i[0] != engine.HOP_MILLER_ABRAHAMS
            and self.site_scale.size == 1
        )

    @property
    def stepping_kernel(self) -> bool:
        """Fixed steps with interacting particles on a lattice without jitter: step literally."""
        return (
            self.mode != engine.CONTINUOUS
            and self.interacting
            and si(self.config.lattice.jitter, "m") == 0.0
            and self.hop_i[0] != engine.HOP_MILLER_ABRAHAMS
        )

    def cumulative_hop_probabilities(self) -> np.ndarray:
        """``(states, z)`` cumulative per-step hop probabilities to each offset, for the
        fastest target-site state (the thinning bound of :func:`engine.run_stepping`)."""
        if self.hop_i[0] == engine.HOP_CONSTANT:
            base = np.where(self.off_cls == 0, self.hop_f[0], self.hop_f[1])
        else:
            base = self.hop_f[0] * (1.0 / self.off_r) ** 6
        w = base[None, :] * self.hop_scale[:, None] * float(self.site_scale.max())
        return np.cumsum(w, axis=1)

    def build_lattice(self, rng: np.random.Generator) -> Lattice:
        lc = self.config.lattice
        return build_lattice(
            lc.dim,
            lc.size,
            si(lc.spacing, "m"),
            periodic=lc.periodic,
            jitter=si(lc.jitter, "m"),
            vacancy_fraction=lc.vacancies,
            energy_sigma=si(lc.energy_sigma, "eV"),
            rng=rng,
        )

    def counts_shape(self) -> tuple[int, int, int, int]:
        ny = int(self.roi_i[1]) if self.roi_i[2] == 1 else 1
        return (self.frame_times.size, self.n_states, ny, int(self.roi_i[0]))


def build_model(cfg: SimulationConfig) -> KmcModel:
    """Resolve units and check that the model is well posed (fixed-step probabilities <= 1)."""
    fixed = cfg.stepping == "fixed"
    step = si(cfg.step, "s") if cfg.step is not None else None
    tu = step if fixed else 1.0
    mode = engine.CONTINUOUS
    if fixed:
        mode = engine.FIXED_SEQUENTIAL if cfg.step_rule == "sequential" else engine.FIXED_COMPETING

    def rate(v: object) -> float:  # 1/s
        return si(v, "1/s", step=step)

    names = tuple(cfg.states)
    S = len(names)
    krad = np.zeros(S)
    knr = np.zeros(S)
    conv = np.zeros((S, S))
    for i, (name, st) in enumerate(cfg.states.items()):
        if st.lifetime is not None:
            tau = si(st.lifetime, "s")
            if tau <= 0:
                raise ConfigError(f"states.{name}.lifetime must be > 0")
            krad[i] = st.quantum_yield / tau
            knr[i] = (1.0 - st.quantum_yield) / tau
        else:
            krad[i] = rate(st.radiative)
            knr[i] = rate(st.nonradiative)
        for target, r in st.to.items():
            conv[i, names.index(target)] = rate(r)
    krad_si = krad.copy()
    # kernel units: per-step probabilities p = rate * step in fixed mode
    krad_k, knr_k, conv_k = krad * tu, knr * tu, conv * tu

    lc = cfg.lattice
    a = si(lc.spacing, "m")
    hc = cfg.hops
    offs, cls, r_off = neighbour_offsets(lc.dim, hc.reach)
    hop_f = np.zeros(5)
    if hc.model == "constant":
        hop_f[0] = rate(hc.rate) * tu
        hop_f[1] = rate(hc.rate_nnn) * tu
    elif hc.model == "forster":
        # nearest-neighbour rate (1/tau)(R0/a)^6; others scale as (a/r)^6 in the kernel
        k_nn = (
            rate(hc.rate)
            if hc.rate is not None
            else ((1.0 / si(hc.tau, "s")) * (si(hc.r0, "m") / a) ** 6)
        )
        hop_f[0] = k_nn * tu
    else:
        hop_f[2] = rate(hc.nu0) * tu
        hop_f[3] = si(hc.loc_length, "m")
        hop_f[4] = K_B_EV * si(lc.temperature, "K")
        if hop_f[4] <= 0:
            raise ConfigError("lattice.temperature must be > 0 for miller-abrahams hops")
    mem = cfg.memory.enabled
    if mem:
        if hc.model != "constant":
            raise ConfigError("memory.enabled needs hops.model = 'constant'")
        fast = hop_f[0]
        if fast <= 0:
            raise ConfigError("hops.rate must be > 0 with memory")
        # site state 0 = slow, 1 = fast (Shcherbakov-Wu 2024); hop rate set by the target's state
        site_scale = np.array([rate(cfg.memory.slow_rate) * tu / fast, 1.0])
    else:
        site_scale = np.array([1.0])
    hop_scale = np.array([st.hop for st in cfg.states.values()])

    if fixed:
        nominal = _nominal_hop_total(hc.model, hop_f, cls, r_off, a) * max(site_scale)
        for i, name in enumerate(names):
            h = nominal * hop_scale[i]
            q = krad_k[i] + knr_k[i] + conv_k[i].sum()
            worst = h + q if mode == engine.FIXED_COMPETING else max(h, q)
            if worst > 1.0 + 1e-12:
                raise ConfigError(
                    f"states.{name}: per-step probabilities add up to {worst:.4g} > 1 "
                    f"(use a shorter step or stepping = 'continuous')"
                )

    ex = cfg.excitation
    sigma = (
        si(ex.sigma, "m")
        if ex.sigma is not None
        else si(ex.fwhm, "m") / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    )
    oc = cfg.output
    fi = si(oc.frame_interval, "s")
    dur = si(oc.duration, "s")
    if fi <= 0 or dur <= 0:
        raise ConfigError("output.frame_interval and output.duration must be > 0")
    n_frames = int(math.floor(dur / fi + 1e-9)) + 1
    times = np.arange(n_frames) * fi
    kframes = times / tu
    if fixed:
        if not np.allclose(kframes, np.rint(kframes), rtol=0, atol=1e-6):
            raise ConfigError("output.frame_interval must be a whole number of steps")
        kframes = np.rint(kframes)
    if n_frames < 2:
        raise ConfigError("output.duration must cover at least two frames")
    t_stop = np.inf if cfg.until_decay else kframes[-1]
    if cfg.until_decay and np.any(krad + knr == 0):
        raise ConfigError("until_decay needs every state to decay (radiative or nonradiative)")
    pix = si(oc.pixel, "m") if oc.pixel is not None else a
    extent = (lc.size if isinstance(lc.size, int) else max(lc.size)) * a
    width = si(oc.roi, "m") if oc.roi is not None else min(2.0 * (4.0 * sigma + 20.0 * a), extent)
    nx = int(math.ceil(width / pix))
    if nx > 4096:
        raise ConfigError(f"output.roi / output.pixel gives {nx} pixels per axis (max 4096)")
    nx += 1 - nx % 2  # odd: the spot centre lies in the middle of a pixel
    x0 = -nx * pix / 2.0
    roi_f = np.array([x0, x0, pix])
    roi_i = np.array(
        [nx, nx if lc.dim >= 2 else 1, int(oc.geometry == "stack" and lc.dim >= 2)], dtype=np.int64
    )
    initial = np.array([st.initial for st in cfg.states.values()])
    return KmcModel(
        config=cfg,
        state_names=names,
        mode=mode,
        occupancy=_OCC[cfg.occupancy],
        memory=mem,
        time_unit=tu,
        krad=krad_k,
        knr=knr_k,
        conv=conv_k,
        krad_si=krad_si,
        absorption=np.array([st.absorption for st in cfg.states.values()]),
        initial=initial,
        hop_i=np.array([_HOPS[hc.model]], dtype=np.int64),
        hop_f=hop_f,
        site_scale=site_scale,
        hop_scale=hop_scale,
        offsets=offs,
        off_cls=cls,
        off_r=r_off,
        spot_sigma=sigma,
        frame_times=times,
        kernel_frames=kframes,
        t_stop=float(t_stop),
        roi_f=roi_f,
        roi_i=roi_i,
        tau_relax=si(cfg.memory.tau_relax, "s"),
        period=si(ex.period, "s"),
    )


def _nominal_hop_total(
    model: str, hop_f: np.ndarray, cls: np.ndarray, r: np.ndarray, a: float
) -> float:
    if model == "constant":
        return float(np.where(cls == 0, hop_f[0], hop_f[1]).sum())
    if model == "forster":
        return float((hop_f[0] * (1.0 / r) ** 6).sum())
    return float(hop_f[2] * np.exp(-2.0 * r * a / hop_f[3]).sum())
