"""From a validated config to the numbers the kernels take (SI, or per-step in fixed mode)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nctransport.errors import ConfigError
from nctransport.kmc import engine
from nctransport.kmc.config import FWHM_PER_SIGMA, SimulationConfig, si
from nctransport.kmc.lattice import Lattice, build_lattice, neighbour_offsets
from nctransport.kmc.rates import K_B_EV
from nctransport.limits import check_memory, check_work

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
    #: Pulses run (not recorded) before each chain's first recorded pulse.
    warmup: int = 0
    #: Kernel sample times per frame: the snapshot at t_k, then (integrated frames) the
    #: sub-frame samples averaged into frame k.
    samples_per_frame: int = 1
    irf_sigma: float = 0.0
    psf_sigma: float = 0.0

    @property
    def sample_times(self) -> np.ndarray:
        """Kernel sample times in s (``frames x samples_per_frame``, sorted)."""
        return self.kernel_frames * self.time_unit

    @property
    def p_keep(self) -> float:
        """Probability that a fast site is still fast at the next pulse (Shcherbakov-Wu 2024:
        the relaxation time -tau ln(1 - f) exceeds the period)."""
        return math.exp(-self.period / self.tau_relax)

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
        return (self.kernel_frames.size, self.n_states, ny, int(self.roi_i[0]))


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
    sigma = si(ex.sigma, "m") if ex.sigma is not None else si(ex.fwhm, "m") / FWHM_PER_SIGMA
    oc = cfg.output
    fi = si(oc.frame_interval, "s")
    dur = si(oc.duration, "s")
    n_frames = int(math.floor(dur / fi + 1e-9)) + 1
    if n_frames < 2:
        raise ConfigError("output.duration must cover at least two frames")
    spf, sub = _frame_samples(oc, fi, tu, fixed)
    pix = si(oc.pixel, "m") if oc.pixel is not None else a
    extent = (lc.size if isinstance(lc.size, int) else max(lc.size)) * a
    width = si(oc.roi, "m") if oc.roi is not None else min(2.0 * (4.0 * sigma + 20.0 * a), extent)
    nx = int(math.ceil(width / pix))
    if nx > 4096:
        raise ConfigError(f"output.roi / output.pixel gives {nx} pixels per axis (max 4096)")
    # everything that scales with the user's numbers is estimated before it is allocated
    ny = nx if oc.geometry == "stack" and lc.dim >= 2 else 1
    check_memory(
        n_frames * spf * len(names) * (ny * nx + engine.N_MOMENTS) * 8.0 * 4,
        f"{n_frames} frames x {spf} samples of a {nx} x {ny} pixel map",
        option="output.duration / output.frame_interval / output.pixel",
    )
    times = np.arange(n_frames) * fi
    kframes = times / tu
    if fixed:
        if not np.allclose(kframes, np.rint(kframes), rtol=0, atol=1e-6):
            raise ConfigError("output.frame_interval must be a whole number of steps")
        kframes = np.rint(kframes)
    # sample k * spf is the snapshot at t_k; the others lie inside [t_k, t_k + frame_interval)
    kframes = (kframes[:, None] + np.concatenate([[0.0], sub])[None, :] * (fi / tu)).ravel()
    if fixed:
        kframes = np.rint(kframes)
    t_stop = np.inf if cfg.until_decay else kframes[-1]
    if cfg.until_decay and np.any(krad + knr == 0):
        raise ConfigError("until_decay needs every state to decay (radiative or nonradiative)")
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
        warmup=_warmup(cfg, mem),
        samples_per_frame=spf,
        irf_sigma=si(oc.irf_fwhm, "s") / FWHM_PER_SIGMA,
        psf_sigma=max(si(oc.psf_sigma, "m"), si(oc.psf_fwhm, "m") / FWHM_PER_SIGMA),
    )


#: "auto" warm-up: pulses until the fast-site population has relaxed to within 1% of its
#: steady state, ln(100) / (1 - exp(-T/tau)) ~ 4.6 tau_relax / period (geometric survival of
#: fast sites, Shcherbakov-Wu 2024), at least MIN_WARMUP when the sites survive at all.
WARMUP_TARGET = math.log(100.0)
MIN_WARMUP = 2


def _warmup(cfg: SimulationConfig, memory: bool) -> int:
    w = cfg.excitation.warmup_pulses
    if not memory:
        return 0  # without site memory every pulse starts from the same lattice
    if w != "auto":
        return int(w)
    x = si(cfg.excitation.period, "s") / si(cfg.memory.tau_relax, "s")
    if math.exp(-x) < 1e-6:
        return 0
    # expm1: 1 - exp(-x) without cancellation; a tau_relax of 1e308 s must give a huge
    # count for the work check to refuse, not a ZeroDivisionError (capped to stay an int).
    n = WARMUP_TARGET / -math.expm1(-x) if x > 0 else math.inf
    return max(MIN_WARMUP, int(math.ceil(min(n, 1e18))))


def _frame_samples(oc: object, fi: float, tu: float, fixed: bool) -> tuple[int, np.ndarray]:
    """Samples per frame and the sub-frame sample offsets (fractions of a frame)."""
    if oc.frames == "snapshot":  # type: ignore[attr-defined]
        return 1, np.zeros(0)
    n = oc.frame_samples  # type: ignore[attr-defined]
    steps = int(round(fi / tu)) if fixed else 0
    if n is None:
        n = steps if fixed and steps <= 64 else 16
    if fixed:
        n = min(n, steps)
        # whole steps: the state during step m is the one recorded at step m, so with every
        # step sampled the average is the exact frame integral of a fixed-step model
        return n + 1, np.floor((np.arange(n) + 0.5) * steps / n) / steps
    return n + 1, (np.arange(n) + 0.5) / n  # midpoint rule


def _nominal_hop_total(
    model: str, hop_f: np.ndarray, cls: np.ndarray, r: np.ndarray, a: float
) -> float:
    if model == "constant":
        return float(np.where(cls == 0, hop_f[0], hop_f[1]).sum())
    if model == "forster":
        return float((hop_f[0] * (1.0 / r) ** 6).sum())
    return float(hop_f[2] * np.exp(-2.0 * r * a / hop_f[3]).sum())


def expected_particles(model: KmcModel) -> float:
    """Expected particles created by one pulse (for the memory and work estimates)."""
    cfg = model.config
    ex, lc = cfg.excitation, cfg.lattice
    sizes = [lc.size] * lc.dim if isinstance(lc.size, int) else list(lc.size)
    n_sites = float(math.prod(int(v) for v in sizes))
    if ex.kind == "particles":
        return float(ex.particles)
    # alpha exp(-r^2 / 2 sigma^2) summed over the sites: alpha (sqrt(2 pi) sigma / a)^dim
    a = si(lc.spacing, "m")
    per_axis = [min(float(n), math.sqrt(2.0 * math.pi) * model.spot_sigma / a + 1) for n in sizes]
    n = ex.alpha * math.prod(per_axis)
    return min(n, n_sites) if ex.kind == "bernoulli" else n


def check_resources(model: KmcModel) -> None:
    """Refuse, before anything is allocated or run, a config that needs more memory or work
    than the caps of :mod:`nctransport.limits` (one line naming the key to change)."""
    cfg = model.config
    lc = cfg.lattice
    sizes = [lc.size] * lc.dim if isinstance(lc.size, int) else list(lc.size)
    n_sites = float(math.prod(int(v) for v in sizes))
    # site state, occupancy grid, fast-site list, linked-list heads, jitter, vacancies, energies
    per_site = 1 + 4 + 8 * model.memory + 8 * (model.interacting and not model.stepping_kernel)
    per_site += 24 * (si(lc.jitter, "m") > 0) + (lc.vacancies > 0)
    per_site += 8 * (si(lc.energy_sigma, "eV") > 0)
    check_memory(n_sites * per_site, f"a lattice of {n_sites:.3g} sites", option="lattice.size")
    n = expected_particles(model)
    # per particle: initial draws, kernel arrays (positions, clocks, heap), a margin
    check_memory(n * 400.0, f"{n:.3g} particles per pulse", option="excitation.particles")
    if cfg.shrinking is not None:
        # the shrinking-hop walk keeps a displacement per frame and carrier
        check_memory(
            n * model.kernel_frames.size * 24.0 * 2,
            f"{n:.3g} carriers x {model.kernel_frames.size} frames",
            option="excitation.particles / output.duration",
        )
    # work: events (continuous) or particle-steps (fixed) per pulse, over every pulse;
    # absurd rates (1e308/s) overflow to inf, which the check refuses without a warning
    with np.errstate(over="ignore", invalid="ignore"):
        _check_model_work(model, n)


def _check_model_work(model: KmcModel, n: float) -> None:
    cfg = model.config
    ex, lc = cfg.excitation, cfg.lattice
    q = model.krad + model.knr + model.conv.sum(axis=1)
    if np.isfinite(model.t_stop):
        t_eff = model.t_stop
    else:  # until every particle decayed: the longest of n lifetimes ~ tau (1 + ln n)
        t_eff = float(np.max(1.0 / np.maximum(q, 1e-300))) * (1.0 + math.log(max(n, 1.0)))
    if model.mode == engine.CONTINUOUS:
        hop = _nominal_hop_total(
            cfg.hops.model, model.hop_f, model.off_cls, model.off_r, si(lc.spacing, "m")
        )
        rate = hop * float(model.site_scale.max()) * float(model.hop_scale.max()) + float(q.max())
        per_particle = rate * t_eff
    else:
        per_particle = t_eff  # one step after another
    pulses = ex.pulses + model.warmup * ex.chains
    work = pulses * n * (per_particle + model.kernel_frames.size)
    option = "excitation.pulses / particles / output.duration"
    if model.warmup * ex.chains > ex.pulses:  # mostly warm-up: name what sets it
        option = "excitation.warmup_pulses (auto: ~4.6 memory.tau_relax / excitation.period)"
    check_work(
        work,
        f"{pulses:.3g} pulses of {n:.3g} particles over {t_eff * model.time_unit:.3g} s",
        option=option,
    )
