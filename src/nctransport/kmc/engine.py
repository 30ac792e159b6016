"""Numba kernels of the lattice kinetic Monte Carlo engine (no Python per event).

Two kernels run one pulse (one set of particles created at t = 0):

* :func:`run_independent` — particles that do not interact (multiple occupancy, no site
  memory) are simulated one after the other; exact and O(1) per event.
* :func:`run_interacting` — particles share the lattice (single occupancy, annihilation,
  site memory); a binary heap orders every particle's next event in time.

Time stepping (``mode``):

* ``CONTINUOUS`` — rejection-free continuous-time KMC (next-reaction form of the
  Gillespie/BKL algorithm): each particle has a hop clock with the exact total rate of
  its allowed hops (blocked targets and current site states included) and a state clock
  (decays, conversions). When a hop frees or fills a site, or flips a site's state, the
  hop clocks of the particles next to that site are redrawn. Redrawing an exponential
  clock at any moment is exact because it is memoryless.
* ``FIXED_SEQUENTIAL`` — Shcherbakov-Wu 2024's rule (Shcherbakov-Wu 2024, Model dynamics):
  in every step each particle attempts a hop, then the state channels (decay) are drawn.
* ``FIXED_COMPETING`` — Bornschlegl 2024's rule (Bornschlegl 2024, Experimental
  Section): in every step at most one of the channels (hop, conversion, decay) happens,
  with the given per-step probabilities.

Fixed steps are skipped exactly: the step of a particle's next candidate event is drawn
from a geometric distribution. Hops whose probability depends on the environment
(occupied target, slow/fast target site) are thinned: a candidate is drawn with the
largest possible probability and accepted with the ratio of the actual one, which gives
exactly the per-step probability of the model. Within one step the hop attempts come
first (ordered by particle index), then the state channels, as Shcherbakov-Wu 2024 describes.
"""

# Inside @njit, np.random.* is Numba's own generator (per thread), seeded per pulse from a
# SeedSequence; NumPy's Generator API is not what these calls are.
# ruff: noqa: NPY002

from __future__ import annotations

import math

import numpy as np
from numba import njit

CONTINUOUS = 0
FIXED_SEQUENTIAL = 1
FIXED_COMPETING = 2

OCC_MULTIPLE = 0
OCC_SINGLE = 1
OCC_ANNIHILATE = 2

HOP_CONSTANT = 0
HOP_FORSTER = 1
HOP_MILLER_ABRAHAMS = 2

#: Columns of the moment accumulator ``mom[frame, state, :]``.
M_N, M_X, M_XX, M_D2, M_E = 0, 1, 4, 7, 10
N_MOMENTS = 11

#: Entries of the event counter ``stats``.
S_HOPS, S_CONV, S_RAD, S_NONRAD, S_ANNIH, S_NULL = 0, 1, 2, 3, 4, 5
N_STATS = 6

INF = np.inf


@njit(cache=True, inline="always")
def _neighbour(cx, cy, cz, o, offs, lat_i):
    """Site (and its coordinates) reached from ``(cx, cy, cz)`` by offset ``o``.

    The site is -1 outside an open lattice. No integer division: this is the hot path.
    """
    nx = lat_i[1]
    ny = lat_i[2]
    nz = lat_i[3]
    jx = cx + offs[o, 0]
    jy = cy + offs[o, 1]
    jz = cz + offs[o, 2]
    if lat_i[4] == 1:
        if jx < 0:
            jx += nx
        elif jx >= nx:
            jx -= nx
        if jy < 0:
            jy += ny
        elif jy >= ny:
            jy -= ny
        if jz < 0:
            jz += nz
        elif jz >= nz:
            jz -= nz
    elif jx < 0 or jx >= nx or jy < 0 or jy >= ny or jz < 0 or jz >= nz:
        return -1, jx, jy, jz
    return jx + nx * (jy + ny * jz), jx, jy, jz


@njit(cache=True)
def _coords(site, lat_i):
    nx = lat_i[1]
    ny = lat_i[2]
    r = site // nx
    return site % nx, r % ny, r // ny


@njit(cache=True, inline="always")
def _site_position(cx, cy, cz, site, lat_f, jit, out):
    """Physical position (m) of the site at ``(cx, cy, cz)`` relative to the spot centre."""
    a = lat_f[0]
    out[0] = (cx - lat_f[1]) * a
    out[1] = (cy - lat_f[2]) * a
    out[2] = (cz - lat_f[3]) * a
    if jit.shape[0] > 0:
        for k in range(3):
            out[k] += jit[site, k]


@njit(cache=True, inline="always")
def _hop_vector(i, j, o, offs, lat_f, jit, out):
    """Unwrapped displacement (m) of a hop from ``i`` to ``j`` by offset ``o``."""
    a = lat_f[0]
    for k in range(3):
        out[k] = offs[o, k] * a
    if jit.shape[0] > 0:
        for k in range(3):
            out[k] += jit[j, k] - jit[i, k]


@njit(cache=True)
def _hop_weights(
    cx,
    cy,
    cz,
    site,
    s,
    exact,
    occ,
    head,
    site_state,
    lat_i,
    lat_f,
    jit,
    vac,
    energy,
    offs,
    off_cls,
    off_r,
    hop_i,
    hop_f,
    site_scale,
    max_scale,
    hop_scale,
    w,
    vec,
):
    """Per-target hop weights of a particle in state ``s`` at ``site``; returns their sum.

    Weights are rates (1/s) in continuous mode and per-step probabilities in fixed mode.
    ``exact`` uses the current occupancy and site states (rejection-free); otherwise the
    largest possible value (thinning upper bound; the caller accepts with the ratio).
    """
    total = 0.0
    hs = hop_scale[s]
    z = offs.shape[0]
    if hs == 0.0:
        for o in range(z):
            w[o] = 0.0
        return 0.0
    kind = hop_i[0]
    a = lat_f[0]
    for o in range(z):
        j, _, _, _ = _neighbour(cx, cy, cz, o, offs, lat_i)
        if j < 0 or (vac.shape[0] > 0 and vac[j] != 0):
            w[o] = 0.0
            continue
        if exact and occ == OCC_SINGLE and head[j] >= 0:
            w[o] = 0.0
            continue
        if jit.shape[0] > 0 and kind != HOP_CONSTANT:
            _hop_vector(site, j, o, offs, lat_f, jit, vec)
            r = math.sqrt(vec[0] * vec[0] + vec[1] * vec[1] + vec[2] * vec[2])
        else:
            r = off_r[o] * a
        if kind == HOP_CONSTANT:
            base = hop_f[0] if off_cls[o] == 0 else hop_f[1]
        elif kind == HOP_FORSTER:
            # Forster: k = (1/tau)(R0/r)^6 = k_nn (a/r)^6 (Bornschlegl 2024 gamma_hop).
            q = a / r
            base = hop_f[0] * q * q * q * q * q * q
        else:
            # Miller-Abrahams: nu0 exp(-2r/a_loc) * min(1, exp(-dE/kT)) (docs/science.md).
            base = hop_f[2] * math.exp(-2.0 * r / hop_f[3])
            if energy.shape[0] > 0:
                dE = energy[j] - energy[site]
                if dE > 0.0:
                    base *= math.exp(-dE / hop_f[4])
        if exact:
            sc = site_scale[site_state[j]]
        else:
            sc = max_scale
        w[o] = base * sc * hs
        total += w[o]
    return total


@njit(cache=True, inline="always")
def _choose(w, n, total):
    """Index drawn with probability w[i]/total."""
    u = np.random.random() * total
    acc = 0.0
    last = -1
    for i in range(n):
        if w[i] > 0.0:
            acc += w[i]
            last = i
            if u < acc:
                return i
    return last


@njit(cache=True, inline="always")
def _draw(mode, p, start):
    """Time of the next firing of a clock with rate/probability ``p``.

    Continuous: ``start`` + Exp(p). Fixed: first step >= ``start`` of Bernoulli(p) trials,
    drawn as a geometric number of failures (exactly equivalent to stepping).
    """
    if p <= 0.0:
        return INF
    u = 1.0 - np.random.random()  # in (0, 1]
    if mode == CONTINUOUS:
        return start - math.log(u) / p
    if p >= 1.0:
        return start
    return start + math.floor(math.log(u) / math.log1p(-p))


@njit(cache=True)
def _record(kf, s, x, x0, e, counts, mom, roi_f, roi_i, dim):
    """Add one particle (state ``s``, position ``x``) to frame ``kf``."""
    mom[kf, s, M_N] += 1.0
    for k in range(3):
        mom[kf, s, M_X + k] += x[k]
        mom[kf, s, M_XX + k] += x[k] * x[k]
        d = x[k] - x0[k]
        mom[kf, s, M_D2 + k] += d * d
    mom[kf, s, M_E] += e
    pix = roi_f[2]
    fx = (x[0] - roi_f[0]) / pix
    if fx < 0.0 or fx >= roi_i[0]:
        return
    iy = 0
    if dim >= 2:
        fy = (x[1] - roi_f[1]) / pix
        if fy < 0.0 or fy >= roi_i[1]:
            return
        if roi_i[2] == 1:
            iy = int(fy)
    counts[kf, s, iy, int(fx)] += 1


@njit(cache=True)
def _state_rates(conv, krad, knr, qs):
    for s in range(krad.shape[0]):
        q = krad[s] + knr[s]
        for s2 in range(krad.shape[0]):
            if s2 != s:
                q += conv[s, s2]
        qs[s] = q


@njit(cache=True)
def _state_channel(s, conv, krad, knr, qtot):
    """Draw a state channel: -1 radiative decay, -2 non-radiative decay, else new state."""
    u = np.random.random() * qtot
    acc = krad[s]
    if u < acc:
        return -1
    acc += knr[s]
    if u < acc:
        return -2
    last = -2
    for s2 in range(krad.shape[0]):
        if s2 != s and conv[s, s2] > 0.0:
            acc += conv[s, s2]
            last = s2
            if u < acc:
                return s2
    return last


@njit(cache=True)
def run_independent(
    lat_i,
    lat_f,
    jit,
    vac,
    energy,
    site_state,
    offs,
    off_cls,
    off_r,
    hop_i,
    hop_f,
    site_scale,
    hop_scale,
    conv,
    krad,
    knr,
    mode,
    cum_w,
    init_site,
    init_state,
    frame_t,
    roi_f,
    roi_i,
    counts,
    mom,
    stats,
    seed,
):
    """Simulate non-interacting particles one by one (exact; no occupancy, no memory).

    ``cum_w`` (states, z): cumulative hop weights of a homogeneous lattice (no jitter,
    vacancies or energies), or empty. With it the weights are not recomputed per event;
    a hop drawn off an open edge is a null event (thinning: that rate is really zero).
    """
    np.random.seed(seed)
    z = offs.shape[0]
    nst = krad.shape[0]
    qs = np.empty(nst)
    _state_rates(conv, krad, knr, qs)
    w = np.empty(z)
    vec = np.empty(3)
    x = np.empty(3)
    x0 = np.empty(3)
    head = np.empty(0, np.int64)
    K = frame_t.shape[0]
    t_end = frame_t[K - 1]
    dim = lat_i[0]
    has_e = energy.shape[0] > 0
    one = 0.0 if mode == CONTINUOUS else 1.0
    for p in range(init_site.shape[0]):
        site = init_site[p]
        s = init_state[p]
        cx, cy, cz = _coords(site, lat_i)
        _site_position(cx, cy, cz, site, lat_f, jit, x)
        for k in range(3):
            x0[k] = x[k]
        kf = 0
        start = one  # where the next clock draws begin
        redraw_q = True
        tH = INF
        tQ = INF
        H = 0.0
        homog = cum_w.shape[0] > 0
        while True:
            if homog:
                H = cum_w[s, z - 1]
            else:
                H = _hop_weights(
                    cx,
                    cy,
                    cz,
                    site,
                    s,
                    True,
                    OCC_MULTIPLE,
                    head,
                    site_state,
                    lat_i,
                    lat_f,
                    jit,
                    vac,
                    energy,
                    offs,
                    off_cls,
                    off_r,
                    hop_i,
                    hop_f,
                    site_scale,
                    1.0,
                    hop_scale,
                    w,
                    vec,
                )
            if mode == FIXED_COMPETING:
                tH = _draw(mode, H + qs[s], start)
            else:
                tH = _draw(mode, H, start)
                if redraw_q:
                    tQ = _draw(mode, qs[s], start)
            redraw_q = False
            te = tH if tH <= tQ else tQ
            t_rec = te if te <= t_end else INF
            if kf < K and frame_t[kf] < t_rec:
                e = energy[site] if has_e else 0.0
                while kf < K and frame_t[kf] < t_rec:
                    _record(kf, s, x, x0, e, counts, mom, roi_f, roi_i, dim)
                    kf += 1
            if te > t_end:
                break
            start = te + one
            is_hop = tH <= tQ
            if mode == FIXED_COMPETING:
                is_hop = np.random.random() * (H + qs[s]) < H
            if is_hop:
                if homog:
                    u = np.random.random() * H
                    o = 0
                    while o < z - 1 and u >= cum_w[s, o]:
                        o += 1
                    j, jx, jy, jz = _neighbour(cx, cy, cz, o, offs, lat_i)
                    if j < 0:
                        stats[S_NULL] += 1
                        continue
                    cx = jx
                    cy = jy
                    cz = jz
                else:
                    o = _choose(w, z, H)
                    j, cx, cy, cz = _neighbour(cx, cy, cz, o, offs, lat_i)
                _hop_vector(site, j, o, offs, lat_f, jit, vec)
                for k in range(3):
                    x[k] += vec[k]
                site = j
                stats[S_HOPS] += 1
                continue
            ch = _state_channel(s, conv, krad, knr, qs[s])
            if ch < 0:
                stats[S_RAD if ch == -1 else S_NONRAD] += 1
                break
            s = ch
            stats[S_CONV] += 1
            redraw_q = True
    return 0


# --- indexed binary min-heap over clock entries, ordered by (time, entry id) ---------


@njit(cache=True, inline="always")
def _before(a, b, kt):
    ta = kt[a]
    tb = kt[b]
    return ta < tb or (ta == tb and a < b)


@njit(cache=True)
def _sift_up(h, hp, kt, i):
    e = h[i]
    while i > 0:
        par = (i - 1) >> 1
        f = h[par]
        if _before(e, f, kt):
            h[i] = f
            hp[f] = i
            i = par
        else:
            break
    h[i] = e
    hp[e] = i


@njit(cache=True)
def _sift_down(h, hp, kt, n, i):
    e = h[i]
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and _before(h[c + 1], h[c], kt):
            c += 1
        f = h[c]
        if _before(f, e, kt):
            h[i] = f
            hp[f] = i
            i = c
        else:
            break
    h[i] = e
    hp[e] = i


@njit(cache=True)
def _heap_set(h, hp, kt, hn, e, t):
    """Give entry ``e`` the time ``t`` (inf removes it from the heap)."""
    i = hp[e]
    if t == INF:
        if i >= 0:
            n = hn[0] - 1
            hn[0] = n
            hp[e] = -1
            if i < n:
                last = h[n]
                h[i] = last
                hp[last] = i
                _sift_up(h, hp, kt, i)
                _sift_down(h, hp, kt, n, hp[last])
        kt[e] = INF
        return
    kt[e] = t
    if i < 0:
        n = hn[0]
        h[n] = e
        hp[e] = n
        hn[0] = n + 1
        _sift_up(h, hp, kt, n)
    else:
        _sift_up(h, hp, kt, i)
        _sift_down(h, hp, kt, hn[0], hp[e])


@njit(cache=True, inline="always")
def _link(p, site, head, nxt, prv):
    q = head[site]
    nxt[p] = q
    prv[p] = -1
    if q >= 0:
        prv[q] = p
    head[site] = p


@njit(cache=True, inline="always")
def _unlink(p, site, head, nxt, prv):
    a = prv[p]
    b = nxt[p]
    if a >= 0:
        nxt[a] = b
    else:
        head[site] = b
    if b >= 0:
        prv[b] = a


@njit(cache=True)
def run_interacting(
    lat_i,
    lat_f,
    jit,
    vac,
    energy,
    site_state,
    offs,
    off_cls,
    off_r,
    hop_i,
    hop_f,
    site_scale,
    hop_scale,
    conv,
    krad,
    knr,
    mode,
    occ,
    memory,
    fast,
    nfast,
    head,
    init_site,
    init_state,
    frame_t,
    t_stop,
    roi_f,
    roi_i,
    counts,
    mom,
    stats,
    seed,
):
    """Simulate particles that share the lattice; events in global time order (heap).

    ``site_state`` is modified in place (memory: a visited site becomes state 1).
    ``head`` (int64, -1 on every site) is scratch, left as it was found.
    """
    np.random.seed(seed)
    N = init_site.shape[0]
    z = offs.shape[0]
    nst = krad.shape[0]
    qs = np.empty(nst)
    _state_rates(conv, krad, knr, qs)
    max_scale = 0.0
    for v in site_scale:
        max_scale = max(max_scale, v)
    exact = mode == CONTINUOUS
    need_nb = exact and (occ == OCC_SINGLE or memory)
    w = np.empty(z)
    vec = np.empty(3)
    nxt = np.full(N, -1, np.int64)
    prv = np.full(N, -1, np.int64)
    psite = init_site.copy()
    pstate = init_state.copy()
    pc = np.empty((N, 3), np.int64)
    px = np.empty((N, 3))
    px0 = np.empty((N, 3))
    alive = np.arange(N)
    apos = np.arange(N)
    nalive = N
    kt = np.full(2 * N, INF)
    h = np.empty(2 * N, np.int64)
    hp = np.full(2 * N, -1, np.int64)
    hn = np.zeros(1, np.int64)
    # particles whose hop clock must be redrawn, and from when
    redraw = np.empty(N, np.int64)
    tstart = np.zeros(N)
    queued = np.zeros(N, np.bool_)
    n_redraw = 0
    K = frame_t.shape[0]
    dim = lat_i[0]
    has_e = energy.shape[0] > 0
    one = 0.0 if exact else 1.0
    for p in range(N):
        _link(p, psite[p], head, nxt, prv)
        cx, cy, cz = _coords(psite[p], lat_i)
        pc[p, 0] = cx
        pc[p, 1] = cy
        pc[p, 2] = cz
        _site_position(cx, cy, cz, psite[p], lat_f, jit, vec)
        for k in range(3):
            px[p, k] = vec[k]
            px0[p, k] = vec[k]
        if memory:
            _make_fast(site_state, psite[p], fast, nfast)
    for p in range(N):
        redraw[p] = p
        tstart[p] = one
        queued[p] = True
        if mode != FIXED_COMPETING:
            _heap_set(h, hp, kt, hn, N + p, _draw(mode, qs[pstate[p]], one))
    n_redraw = N
    kf = 0
    while True:
        for ti in range(n_redraw):
            q = redraw[ti]
            queued[q] = False
            Hq = _hop_weights(
                pc[q, 0],
                pc[q, 1],
                pc[q, 2],
                psite[q],
                pstate[q],
                exact,
                occ,
                head,
                site_state,
                lat_i,
                lat_f,
                jit,
                vac,
                energy,
                offs,
                off_cls,
                off_r,
                hop_i,
                hop_f,
                site_scale,
                max_scale,
                hop_scale,
                w,
                vec,
            )
            if mode == FIXED_COMPETING:
                Hq += qs[pstate[q]]
            _heap_set(h, hp, kt, hn, q, _draw(mode, Hq, tstart[q]))
        n_redraw = 0
        te = kt[h[0]] if hn[0] > 0 else INF
        t_rec = te if te <= t_stop else INF
        while kf < K and frame_t[kf] < t_rec:
            for ai in range(nalive):
                q = alive[ai]
                en = energy[psite[q]] if has_e else 0.0
                _record(kf, pstate[q], px[q], px0[q], en, counts, mom, roi_f, roi_i, dim)
            kf += 1
        if t_rec == INF:
            break
        e = h[0]
        phase = 1 if e >= N else 0
        p = e - phase * N
        site = psite[p]
        s = pstate[p]
        cx = pc[p, 0]
        cy = pc[p, 1]
        cz = pc[p, 2]
        # the particle's own clocks restart at the next step (fixed) or now (continuous)
        nxt_t = te + one
        do_hop = phase == 0
        H = 0.0
        if do_hop:
            H = _hop_weights(
                cx,
                cy,
                cz,
                site,
                s,
                exact,
                occ,
                head,
                site_state,
                lat_i,
                lat_f,
                jit,
                vac,
                energy,
                offs,
                off_cls,
                off_r,
                hop_i,
                hop_f,
                site_scale,
                max_scale,
                hop_scale,
                w,
                vec,
            )
            if mode == FIXED_COMPETING:
                do_hop = np.random.random() * (H + qs[s]) < H
        removed = False
        if do_hop:
            o = _choose(w, z, H) if H > 0.0 else -1
            j = -1
            jx = cx
            jy = cy
            jz = cz
            if o >= 0:
                j, jx, jy, jz = _neighbour(cx, cy, cz, o, offs, lat_i)
            accept = j >= 0
            if accept and not exact:
                # thinning: accept with (actual probability) / (upper bound)
                if occ == OCC_SINGLE and head[j] >= 0:
                    accept = False
                elif site_scale[site_state[j]] < max_scale:
                    accept = np.random.random() * max_scale < site_scale[site_state[j]]
            if not accept:
                stats[S_NULL] += 1
            elif occ == OCC_ANNIHILATE and head[j] >= 0:
                # exciton-exciton annihilation: the arriving exciton is lost
                stats[S_ANNIH] += 1
                removed = True
            else:
                stats[S_HOPS] += 1
                _unlink(p, site, head, nxt, prv)
                _link(p, j, head, nxt, prv)
                _hop_vector(site, j, o, offs, lat_f, jit, vec)
                for k in range(3):
                    px[p, k] += vec[k]
                psite[p] = j
                pc[p, 0] = jx
                pc[p, 1] = jy
                pc[p, 2] = jz
                flipped = memory and site_state[j] == 0
                if flipped:
                    _make_fast(site_state, j, fast, nfast)
                if need_nb:
                    # rates of the particles next to the freed site and the filled (or
                    # flipped) site changed: redraw their hop clocks (exact, memoryless)
                    for c in range(2):
                        if c == 0 and occ != OCC_SINGLE:
                            continue
                        if c == 1 and not (occ == OCC_SINGLE or flipped):
                            continue
                        ux = cx if c == 0 else jx
                        uy = cy if c == 0 else jy
                        uz = cz if c == 0 else jz
                        for o2 in range(z):
                            n2, _, _, _ = _neighbour(ux, uy, uz, o2, offs, lat_i)
                            if n2 < 0:
                                continue
                            q = head[n2]
                            while q >= 0:
                                if not queued[q]:
                                    queued[q] = True
                                    redraw[n_redraw] = q
                                    tstart[q] = te
                                    n_redraw += 1
                                q = nxt[q]
        else:
            ch = _state_channel(s, conv, krad, knr, qs[s])
            if ch < 0:
                stats[S_RAD if ch == -1 else S_NONRAD] += 1
                removed = True
            else:
                stats[S_CONV] += 1
                pstate[p] = ch
                if mode != FIXED_COMPETING:
                    _heap_set(h, hp, kt, hn, N + p, _draw(mode, qs[ch], nxt_t))
        if removed:
            _unlink(p, site, head, nxt, prv)
            _heap_set(h, hp, kt, hn, p, INF)
            _heap_set(h, hp, kt, hn, N + p, INF)
            ai = apos[p]
            nalive -= 1
            last = alive[nalive]
            alive[ai] = last
            apos[last] = ai
            if queued[p]:  # drop it from the redraw list
                for ti in range(n_redraw):
                    if redraw[ti] == p:
                        redraw[ti] = redraw[n_redraw - 1]
                        n_redraw -= 1
                        break
                queued[p] = False
            if need_nb and occ == OCC_SINGLE:
                for o2 in range(z):
                    n2, _, _, _ = _neighbour(cx, cy, cz, o2, offs, lat_i)
                    if n2 < 0:
                        continue
                    q = head[n2]
                    while q >= 0:
                        if not queued[q]:
                            queued[q] = True
                            redraw[n_redraw] = q
                            tstart[q] = te
                            n_redraw += 1
                        q = nxt[q]
        elif not queued[p]:
            # its own hop clock (competing: its only clock) restarts after this event
            queued[p] = True
            redraw[n_redraw] = p
            tstart[p] = nxt_t
            n_redraw += 1
        else:
            tstart[p] = nxt_t
    for ai in range(nalive):
        head[psite[alive[ai]]] = -1
    return 0


@njit(cache=True, inline="always")
def _make_fast(site_state, site, fast, nfast):
    """Turn a slow site fast (Shcherbakov-Wu 2024: a NC visited by an exciton) and list it, so
    that relaxation between pulses costs O(fast sites), not O(lattice)."""
    if site_state[site] == 0:
        site_state[site] = 1
        fast[nfast[0]] = site
        nfast[0] += 1


@njit(cache=True)
def relax_memory(site_state, fast, nfast, p_keep, seed):
    """Shcherbakov-Wu 2024's relaxation between pulses (Shcherbakov-Wu 2024, Model dynamics).

    Every fast site (listed in ``fast[:nfast[0]]``) draws dt = -tau_relax ln(1 - f) and
    returns to the slow state (0) when dt <= period, otherwise stays fast for the next pulse.
    dt > period is the same event as 1 - f < exp(-period / tau_relax) = ``p_keep``, which is
    what is tested (no logarithm). The list is compacted in place; returns the number of
    sites still fast.
    """
    np.random.seed(seed)
    n = nfast[0]
    kept = 0
    for k in range(n):
        site = fast[k]
        if 1.0 - np.random.random() < p_keep:
            fast[kept] = site
            kept += 1
        else:
            site_state[site] = 0
    nfast[0] = kept
    return kept


@njit(cache=True, inline="always")
def _splitmix(state):
    """SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): next state and a uniform in [0, 1).

    The stepping kernel's per-step draws use it: one 64-bit mix instead of two Mersenne
    Twister outputs per double."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    # the top 53 bits fit an int64: a signed conversion is cheaper than an unsigned one
    return state, float(np.int64(z >> np.uint64(11))) * (1.0 / 9007199254740992.0)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def _uniforms(state, n, out):
    """The next ``n`` uniforms of :func:`_splitmix` from ``state``, into ``out[:n]``.

    SplitMix64's state is a counter (draw ``i`` mixes ``state + (i + 1) * golden``), so a
    whole step's draws are computed at once, in a loop the compiler vectorises; the
    stepping loop then reads them without waiting on the mixing. The caller advances its
    state by ``n * golden``: the same numbers, in the same order, as ``n`` calls."""
    for i in range(n):
        z = state + np.uint64(i + 1) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        out[i] = float(np.int64(z >> np.uint64(11))) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def run_stepping(
    lat_i,
    lat_f,
    vac,
    site_state,
    occ_grid,
    offs,
    cum_w,
    site_scale,
    conv,
    krad,
    knr,
    rule,
    occ,
    memory,
    fast,
    nfast,
    init_site,
    init_state,
    frame_steps,
    stop_step,
    roi_f,
    roi_i,
    counts,
    mom,
    stats,
    seed,
):
    """Fixed-step model stepped literally, step by step (Shcherbakov-Wu 2024 and Bornschlegl 2024).

    Used for interacting particles on a homogeneous lattice (no jitter), where almost
    every step holds an event (Shcherbakov-Wu 2024: P_hop = 0.7) and stepping is cheaper than
    skipping. In every step each particle, in turn, draws one uniform number ``u``: a hop
    candidate to offset ``o`` when ``u`` falls in ``cum_w[state]`` (the per-step
    probabilities to each neighbour for the fastest target state), accepted with the
    target's actual/largest probability and refused onto an occupied site (single
    occupancy). The acceptance is decided by where ``u`` falls within the offset's interval
    (that fraction is uniform on [0, 1) and independent of the offset), so an attempt costs
    one draw, never two. Then, ``FIXED_SEQUENTIAL``: a second uniform number decides the state
    channels (Shcherbakov-Wu 2024: decay after the hop attempt); ``FIXED_COMPETING``: ``u`` beyond
    the hop range picks a state channel in the same draw (one event per step, Bornschlegl 2024).

    ``occ_grid`` (int32, -1 everywhere) is used as scratch and left as it was found.
    """
    np.random.seed(seed)
    rs = np.uint64(seed) * np.uint64(0x2545F4914F6CDD1D) + np.uint64(1)
    N = init_site.shape[0]
    z = offs.shape[0]
    nst = krad.shape[0]
    qs = np.empty(nst)
    _state_rates(conv, krad, knr, qs)
    max_scale = 0.0
    for v in site_scale:
        max_scale = max(max_scale, v)
    # acceptance of a hop candidate by the target's site state (thinning), 1 for the fastest
    acc_p = np.empty(site_scale.shape[0])
    for k in range(site_scale.shape[0]):
        acc_p[k] = site_scale[k] / max_scale if max_scale > 0.0 else 0.0
    use_grid = occ != OCC_MULTIPLE
    psite = init_site.copy()
    pstate = init_state.copy()
    pc = np.empty((N, 3), np.int64)
    pu = np.zeros((N, 3), np.int64)  # unwrapped hop sum (sites); positions at record time
    px0 = np.empty((N, 3))
    xb = np.empty(3)
    alive = np.arange(N)
    nalive = N
    jit = np.zeros((0, 3))
    vec = np.empty(3)
    # sequential rule: the step of each particle's next state event (decay, conversion),
    # drawn geometrically -- the same as a Bernoulli(q) trial after every hop attempt
    tq = np.empty(N)
    ubuf = np.empty(N)
    for p in range(N):
        tq[p] = _draw(FIXED_SEQUENTIAL, qs[pstate[p]], 1.0)
        cx, cy, cz = _coords(psite[p], lat_i)
        pc[p, 0] = cx
        pc[p, 1] = cy
        pc[p, 2] = cz
        _site_position(cx, cy, cz, psite[p], lat_f, jit, vec)
        for k in range(3):
            px0[p, k] = vec[k]
        if use_grid:
            occ_grid[psite[p]] = p
        if memory:
            _make_fast(site_state, psite[p], fast, nfast)
    K = frame_steps.shape[0]
    dim = lat_i[0]
    a = lat_f[0]
    nx = lat_i[1]
    ny = lat_i[2]
    nz = lat_i[3]
    periodic = lat_i[4] == 1
    # per state: total hop probability and (equal weights) offsets per unit of u
    hsv = np.empty(nst)
    zf = np.empty(nst)
    for s_ in range(nst):
        hsv[s_] = cum_w[s_, z - 1]
        zf[s_] = z / hsv[s_] if hsv[s_] > 0.0 else 0.0
    # equal per-offset weights in every state (Shcherbakov-Wu 2024): pick the offset by arithmetic
    uniform = True
    for s_ in range(nst):
        for o_ in range(z):
            if abs(cum_w[s_, o_] - cum_w[s_, z - 1] * (o_ + 1) / z) > 1e-12 * cum_w[s_, z - 1]:
                uniform = False
    # linear-index step of each offset (open lattice: the coordinates say when it leaves)
    dlin = np.empty(z, np.int64)
    for o_ in range(z):
        dlin[o_] = offs[o_, 0] + nx * (offs[o_, 1] + ny * offs[o_, 2])
    has_vac = vac.shape[0] > 0
    sequential = rule == FIXED_SEQUENTIAL
    n_hops = 0
    n_null = 0
    kf = 0
    step = 0.0
    while True:
        t_rec = step if (nalive > 0 and step < stop_step) else INF
        while kf < K and frame_steps[kf] <= t_rec:
            for ai in range(nalive):
                q = alive[ai]
                for k in range(3):
                    if periodic:
                        xb[k] = px0[q, k] + pu[q, k] * a
                    else:
                        xb[k] = (pc[q, k] - lat_f[1 + k]) * a
                _record(kf, pstate[q], xb, px0[q], 0.0, counts, mom, roi_f, roi_i, dim)
            kf += 1
        if t_rec == INF:
            break
        step += 1.0
        # one uniform per particle alive at the start of the step, in processing order
        _uniforms(rs, nalive, ubuf)
        rs += np.uint64(nalive) * _GOLDEN
        ai = 0
        k = 0
        while ai < nalive:
            p = alive[ai]
            s = pstate[p]
            u = ubuf[k]
            k += 1
            hs = hsv[s]
            removed = False
            if u < hs:
                if uniform:
                    wu = u * zf[s]
                    o = int(wu)  # equal weights: no search, no mispredicted branch
                    if o >= z:
                        o = z - 1
                    fr = wu - o
                else:
                    o = 0
                    while o < z - 1 and u >= cum_w[s, o]:
                        o += 1
                    lo = cum_w[s, o - 1] if o > 0 else 0.0
                    fr = (u - lo) / (cum_w[s, o] - lo)
                jx = pc[p, 0] + offs[o, 0]
                jy = pc[p, 1] + offs[o, 1]
                jz = pc[p, 2] + offs[o, 2]
                ok = True
                j = psite[p] + dlin[o]
                if jx < 0 or jx >= nx or jy < 0 or jy >= ny or jz < 0 or jz >= nz:
                    if periodic:
                        j, jx, jy, jz = _neighbour(pc[p, 0], pc[p, 1], pc[p, 2], o, offs, lat_i)
                    else:
                        ok = False
                if ok and has_vac and vac[j] != 0:
                    ok = False
                if ok and use_grid and occ_grid[j] >= 0:
                    ok = False
                    if occ == OCC_ANNIHILATE:
                        stats[S_ANNIH] += 1
                        removed = True
                if ok:
                    ap = acc_p[site_state[j]]
                    if ap < 1.0:
                        ok = fr < ap
                if ok:
                    n_hops += 1
                    if use_grid:
                        occ_grid[psite[p]] = -1
                        occ_grid[j] = p
                    psite[p] = j
                    pc[p, 0] = jx
                    pc[p, 1] = jy
                    pc[p, 2] = jz
                    if periodic:  # open lattice: the coordinates are the position
                        pu[p, 0] += offs[o, 0]
                        pu[p, 1] += offs[o, 1]
                        pu[p, 2] += offs[o, 2]
                    if memory and site_state[j] == 0:
                        _make_fast(site_state, j, fast, nfast)
                elif not removed:
                    n_null += 1
            if not removed:
                ch = -3
                if sequential:
                    if tq[p] == step:
                        ch = _state_channel(s, conv, krad, knr, qs[s])
                elif u >= hs and u < hs + qs[s]:
                    ch = _state_channel(s, conv, krad, knr, qs[s])
                if ch == -1 or ch == -2:
                    stats[S_RAD if ch == -1 else S_NONRAD] += 1
                    removed = True
                elif ch >= 0:
                    stats[S_CONV] += 1
                    pstate[p] = ch
                    if sequential:
                        tq[p] = _draw(FIXED_SEQUENTIAL, qs[ch], step + 1.0)
            if removed:
                if use_grid:
                    occ_grid[psite[p]] = -1
                nalive -= 1
                alive[ai] = alive[nalive]
                alive[nalive] = p
                continue
            ai += 1
    stats[S_HOPS] += n_hops
    stats[S_NULL] += n_null
    for ai in range(nalive):
        if use_grid:
            occ_grid[psite[alive[ai]]] = -1
    return 0


#: Bit of ``site_state`` that :func:`run_stepping_plane` sets on an occupied site (scratch,
#: cleared before it returns); bit 0 is the slow (0) / fast (1) state.
OCCUPIED_BIT = 2
_CLEAR_OCC = np.int8(~OCCUPIED_BIT)


#: Fields of a particle's slot in :func:`run_stepping_plane`'s ``P`` (int64, 4 per slot):
#: its site, its column, and its unwrapped displacement in sites (periodic lattice).
_P_SITE, _P_X, _P_UX, _P_UY = 0, 1, 2, 3
#: Fields of an offset's entry in ``OFS`` (int64, 4 per offset): column step, step of the
#: linear index, row step.
_O_DX, _O_DLIN, _O_DY = 0, 1, 2


@njit(cache=True, _nrt=False)
def _plane_attempts(
    a0,
    k0,
    cnt,
    ubuf,
    cidx,
    P,
    site_state,
    OFS,
    accT,
    fast,
    nf,
    hs,
    zf,
    z,
    nx,
    n,
    setb,
    memory,
    periodic,
    nsteps,
    rs,
):
    """Hop attempts of :func:`run_stepping_plane`'s slots ``a0 .. a0 + cnt - 1``, in order,
    slot ``a0 + i`` with the draw ``ubuf[k0 + i]``; returns (hops, candidates, nf, rs).

    With ``nsteps`` > 0, ``nsteps`` whole steps in which no particle decays and nothing is
    recorded (``a0 = k0 = 0``, ``cnt`` slots): each step's draws are made here from the
    SplitMix64 state ``rs`` (advanced and returned), the same numbers in the same order as
    the caller would make them. A step then costs its attempts, not a call: once most of a
    pulse's particles have decayed, a step has a few of them, and a call with this many
    array arguments cost more than their attempts (in Shcherbakov-Wu 2024's model, the
    last ~45% of a pulse's ~16 000 steps have fewer than ~10 particles; they took ~0.8 ms
    of a 4.7 ms pulse, 0.3 ms with the steps run here).

    A function of its own, called once per step (or per run of slots between two decays),
    with few arguments (a slot's fields interleaved in ``P``, an offset's in ``OFS``), so
    that the compiler keeps this loop's values in registers instead of spilling the whole
    kernel's; compiled without reference counting (``_nrt=False``: it allocates nothing),
    so a call does not incref and decref each array. Indices are unsigned where they are
    known to be in range: no negative-index wraparound per array access. The listing pass
    also computes each candidate's offset (its draw's interval) and stores it in the upper
    half of the list entry: the address of the target site then depends on two loads, not
    on a multiplication and a conversion. A hop attempt takes no branch on its outcome: it
    hinges on the target's state, which no predictor foresees (about 1 in 6 candidates is
    refused in Shcherbakov-Wu 2024's model), so acceptance is a 0/1 value and each store
    writes either the hop's value or the one already there; only the rare append of a
    newly fast site branches. The order of the attempts is kept: a hop changes
    ``site_state`` for the candidates after it."""
    zmax = np.uint64(z - 1)
    hops = 0
    mtot = 0
    base = np.uint64(a0)
    four = np.uint64(4)
    lo = np.uint64(0x7FFFFFFF)
    sh = np.uint64(32)
    for _ in range(max(nsteps, 1)):
        kb = np.uint64(k0)
        if nsteps > 0:
            _uniforms(rs, cnt, ubuf)
            rs += np.uint64(cnt) * _GOLDEN
        # list the hop candidates (u < P_hop; 30% of the draws are not, in Shcherbakov-Wu
        # 2024's model) without a branch; equal weights: u picks offset floor(u z / P_hop).
        # First every draw's entry, with bit 31 (above any slot count) set on a candidate,
        # in a loop the compiler vectorises; then the candidates' entries moved to the front
        for i in range(cnt):
            u = ubuf[kb + np.uint64(i)]
            o = min(np.uint64(u * zf), zmax)
            cidx[i] = np.uint64(i) | (np.uint64(u < hs) << np.uint64(31)) | (o << np.uint64(32))
        m = 0
        for i in range(cnt):
            e = cidx[i]
            cidx[m] = e
            m += (e >> 31) & 1
        mtot += m
        # Two near-identical loops on purpose: the periodic wrap (and the unwrapped
        # displacement it must track) stays out of the open lattice's loop, the hottest
        # code of the engine.
        if periodic:
            for c in range(m):
                e = np.uint64(cidx[c])
                i = e & lo
                o = e >> sh
                pa = (base + i) * four
                f = ubuf[kb + i] * zf - float(o)
                oa = o * four
                s0 = P[pa]
                x0 = P[pa + np.uint64(_P_X)]
                dx = OFS[oa]
                jx = x0 + dx
                j = s0 + OFS[oa + np.uint64(_O_DLIN)]
                # wrap the column, then the row through the linear index (jx is inside now)
                if jx < 0:
                    jx += nx
                    j += nx
                elif jx >= nx:
                    jx -= nx
                    j -= nx
                if j < 0:
                    j += n
                elif j >= n:
                    j -= n
                ju = np.uint64(j)
                v = site_state[ju]
                ok = np.int64(f < accT[np.uint64(v)])
                hops += ok
                # the particle's own site has the occupied bit set: ^ clears it on a hop
                # (the target is that site only where the wrap brings a hop back, and is
                # refused)
                site_state[np.uint64(s0)] ^= np.int8(ok * OCCUPIED_BIT)
                if memory and (ok & ~v & 1) != 0:
                    fast[np.uint64(nf)] = j
                    nf += 1
                site_state[ju] = v | (setb & np.int8(-ok))
                P[pa] = s0 + ((j - s0) & -ok)
                P[pa + np.uint64(_P_X)] = x0 + ((jx - x0) & -ok)
                P[pa + np.uint64(_P_UX)] += dx & -ok
                P[pa + np.uint64(_P_UY)] += OFS[oa + np.uint64(_O_DY)] & -ok
            continue
        for c in range(m):
            e = np.uint64(cidx[c])
            i = e & lo
            o = e >> sh
            pa = (base + i) * four
            f = ubuf[kb + i] * zf - float(o)
            s0 = P[pa]
            # open lattice: padded with walls (see run_stepping_plane), so the target is
            # always in the array and a hop off the lattice is refused as onto an occupied
            # site: no bounds test, no column to track
            j = s0 + OFS[o * four + np.uint64(_O_DLIN)]
            ju = np.uint64(j)
            v = site_state[ju]
            ok = np.int64(f < accT[np.uint64(v)])
            hops += ok
            site_state[np.uint64(s0)] ^= np.int8(ok * OCCUPIED_BIT)
            if memory and (ok & ~v & 1) != 0:
                fast[np.uint64(nf)] = j
                nf += 1
            site_state[ju] = v | (setb & np.int8(-ok))
            P[pa] = s0 + ((j - s0) & -ok)
    return hops, mtot, nf, rs


@njit(cache=True)
def _plane_record(
    kf,
    nalive,
    P,
    X0,
    Y0,
    periodic,
    a,
    cx0,
    cy0,
    z0,
    W,
    pad_x,
    pad_y,
    counts,
    mom,
    roi_f,
    roi_i,
    dim,
):
    """:func:`_record` of every particle of :func:`run_stepping_plane` in frame ``kf`` (state 0,
    energy 0, z = ``z0``): the same sums, each moment summed in a local variable from its
    value in ``mom`` and stored back once (the same additions in the same order, so the
    same bytes), without a call, array indexing and position buffers per particle."""
    mn = mom[kf, 0, M_N]
    mx = mom[kf, 0, M_X]
    my = mom[kf, 0, M_X + 1]
    mz = mom[kf, 0, M_X + 2]
    mxx = mom[kf, 0, M_XX]
    myy = mom[kf, 0, M_XX + 1]
    mzz = mom[kf, 0, M_XX + 2]
    mdx = mom[kf, 0, M_D2]
    mdy = mom[kf, 0, M_D2 + 1]
    mdz = mom[kf, 0, M_D2 + 2]
    me = mom[kf, 0, M_E]
    rx = roi_f[0]
    ry = roi_f[1]
    pix = roi_f[2]
    nbx = roi_i[0]
    nby = roi_i[1]
    line = roi_i[2] == 1
    dz = z0 - z0
    for ai in range(nalive):
        if periodic:
            x = X0[ai] + P[4 * ai + _P_UX] * a
            y = Y0[ai] + P[4 * ai + _P_UY] * a
        else:
            # the padded site's row and column (a division per record, not per hop)
            row = P[4 * ai + _P_SITE] // W
            x = (P[4 * ai + _P_SITE] - row * W - pad_x - cx0) * a
            y = (row - pad_y - cy0) * a
        mn += 1.0
        mx += x
        mxx += x * x
        d = x - X0[ai]
        mdx += d * d
        my += y
        myy += y * y
        d = y - Y0[ai]
        mdy += d * d
        mz += z0
        mzz += z0 * z0
        mdz += dz * dz
        me += 0.0
        fx = (x - rx) / pix
        if fx < 0.0 or fx >= nbx:
            continue
        iy = 0
        if dim >= 2:
            fy = (y - ry) / pix
            if fy < 0.0 or fy >= nby:
                continue
            if line:
                iy = int(fy)
        counts[kf, 0, iy, int(fx)] += 1
    mom[kf, 0, M_N] = mn
    mom[kf, 0, M_X] = mx
    mom[kf, 0, M_X + 1] = my
    mom[kf, 0, M_X + 2] = mz
    mom[kf, 0, M_XX] = mxx
    mom[kf, 0, M_XX + 1] = myy
    mom[kf, 0, M_XX + 2] = mzz
    mom[kf, 0, M_D2] = mdx
    mom[kf, 0, M_D2 + 1] = mdy
    mom[kf, 0, M_D2 + 2] = mdz
    mom[kf, 0, M_E] = me


@njit(cache=True)
def run_stepping_plane(
    lat_i,
    lat_f,
    site_state,
    pad_x,
    pad_y,
    offs,
    cum_w,
    site_scale,
    conv,
    krad,
    knr,
    memory,
    fast,
    nfast,
    init_site,
    frame_steps,
    stop_step,
    roi_f,
    roi_i,
    counts,
    mom,
    stats,
    seed,
):
    """:func:`run_stepping` for its commonest case: the same draws, the same results, faster.

    The case: one particle state, single occupancy, the sequential rule (hop attempt, then
    decay), equal weights to every neighbour, no vacancies, a 1D or 2D lattice -- Shcherbakov-Wu
    2024's model. Each particle's data live in a slot; slots are kept in the order of
    :func:`run_stepping`'s ``alive`` list (a decayed particle's slot takes the last one's), so
    every draw, every sum and every output is the same as there. What is saved is the
    indirection, the per-axis loops and the separate occupancy grid: occupancy is bit
    :data:`OCCUPIED_BIT` of ``site_state`` (one byte to load per hop attempt), cleared again
    before returning, so nothing lattice-sized is allocated or reset per pulse. The hop
    attempts run in :func:`_plane_attempts`: one call does all the steps up to the next
    decay, record or stop; in a step in which a particle decays, one call per run of slots
    up to a decaying particle, whose decay (freeing its site) comes before the next slot's
    attempt.
    On an open lattice ``site_state`` is padded: ``ny + 2 pad_y`` rows of ``nx + 2 pad_x``
    sites, the lattice in the middle and walls around it (bit :data:`OCCUPIED_BIT` set, never
    cleared), at least as wide as the longest offset, so a hop off the lattice is refused as
    a hop onto an occupied site is, with the same draws and counts as :func:`run_stepping`'s
    bounds test. ``pad_x = pad_y = 0`` on a periodic lattice. The lists ``fast`` and the
    particles' sites hold padded indices; row and column are recomputed when recorded.
    """
    np.random.seed(seed)
    rs = np.uint64(seed) * np.uint64(0x2545F4914F6CDD1D) + np.uint64(1)
    N = init_site.shape[0]
    z = offs.shape[0]
    qs = np.empty(1)
    _state_rates(conv, krad, knr, qs)
    q0 = qs[0]
    max_scale = 0.0
    for sv in site_scale:
        max_scale = max(max_scale, sv)
    # acceptance of a candidate onto a slow (0) / fast (1) target; 2 (always) for the fastest
    # indexed by the target's byte (state bit 0, occupancy bit OCCUPIED_BIT): an occupied
    # target (or a wall) is refused whatever the draw (-1)
    accT = np.full(4, -1.0)
    for k in range(2):
        sc = site_scale[min(k, site_scale.shape[0] - 1)]
        r = sc / max_scale if max_scale > 0.0 else 0.0
        accT[k] = 2.0 if r >= 1.0 else r
    nx = lat_i[1]
    ny = lat_i[2]
    n = nx * ny
    periodic = lat_i[4] == 1
    # row length of site_state (padded on an open lattice): sites are ``x + pad_x + W (y + pad_y)``
    W = nx + 2 * pad_x
    a = lat_f[0]
    cx0 = lat_f[1]
    cy0 = lat_f[2]
    z0 = (0.0 - lat_f[3]) * a
    hs = cum_w[0, z - 1]
    zf = z / hs if hs > 0.0 else 0.0
    OFS = np.zeros(4 * z, np.int64)
    for o in range(z):
        OFS[4 * o + _O_DX] = offs[o, 0]
        OFS[4 * o + _O_DLIN] = offs[o, 0] + W * offs[o, 1]
        OFS[4 * o + _O_DY] = offs[o, 1]
    P = np.zeros(4 * N, np.int64)
    X0 = np.empty(N)
    Y0 = np.empty(N)
    TQ = np.empty(N)
    ubuf = np.empty(N)
    setb = np.int8(OCCUPIED_BIT | 1) if memory else np.int8(OCCUPIED_BIT)
    for p in range(N):
        TQ[p] = _draw(FIXED_SEQUENTIAL, q0, 1.0)
        cx = init_site[p] % nx
        cy = init_site[p] // nx
        site = cx + pad_x + W * (cy + pad_y)
        P[4 * p + _P_SITE] = site
        P[4 * p + _P_X] = cx
        X0[p] = (cx - cx0) * a
        Y0[p] = (cy - cy0) * a
        if memory and (site_state[site] & 1) == 0:
            fast[nfast[0]] = site
            nfast[0] += 1
        site_state[site] |= setb
    nf = nfast[0]
    K = frame_steps.shape[0]
    dim = lat_i[0]
    n_hops = 0
    n_null = 0
    kf = 0
    step = 0.0
    nalive = N
    cidx = np.empty(N, np.int64)
    tmin = INF
    for k in range(N):
        tmin = min(tmin, TQ[k])
    while True:
        t_rec = step if (nalive > 0 and step < stop_step) else INF
        while kf < K and frame_steps[kf] <= t_rec:
            _plane_record(
                kf,
                nalive,
                P,
                X0,
                Y0,
                periodic,
                a,
                cx0,
                cy0,
                z0,
                W,
                pad_x,
                pad_y,
                counts,
                mom,
                roi_f,
                roi_i,
                dim,
            )
            kf += 1
        if t_rec == INF:
            break
        # steps step + 1 .. step + b: no decay (each before tmin), no record at their start
        # (each start before the next frame step) and each start before stop_step
        b = min(np.ceil(tmin - step) - 1.0, 1e15)
        if kf < K:
            b = min(b, np.ceil(frame_steps[kf] - step))
        b = min(b, np.ceil(stop_step - step))
        # Two call sites of _plane_attempts on purpose: one call site for both (nsteps 0 or
        # b, the decay search skipped for b) measured 3% slower per pulse.
        if b >= 1.0:
            hops, m, nf, rs = _plane_attempts(
                0,
                0,
                nalive,
                ubuf,
                cidx,
                P,
                site_state,
                OFS,
                accT,
                fast,
                nf,
                hs,
                zf,
                z,
                nx,
                n,
                setb,
                memory,
                periodic,
                int(b),
                rs,
            )
            n_hops += hops
            n_null += m - hops
            step += b
            continue
        step += 1.0
        _uniforms(rs, nalive, ubuf)
        rs += np.uint64(nalive) * _GOLDEN
        ai = 0
        k = 0
        while True:
            # slots ai .. d: hop attempts (draws k ..), then slot d decays (or d = nalive:
            # no decay left in this step; tmin, the earliest decay step, says so at once)
            d = nalive
            if step >= tmin:
                d = ai
                while d < nalive and TQ[d] != step:
                    d += 1
            cnt = min(d + 1, nalive) - ai
            hops, m, nf, _ = _plane_attempts(
                ai,
                k,
                cnt,
                ubuf,
                cidx,
                P,
                site_state,
                OFS,
                accT,
                fast,
                nf,
                hs,
                zf,
                z,
                nx,
                n,
                setb,
                memory,
                periodic,
                0,
                rs,
            )
            n_hops += hops
            n_null += m - hops
            if d == nalive:
                break
            k += cnt
            ch = _state_channel(0, conv, krad, knr, q0)
            stats[S_RAD if ch == -1 else S_NONRAD] += 1
            site_state[P[4 * d + _P_SITE]] &= _CLEAR_OCC
            nalive -= 1
            for f_ in range(4):
                P[4 * d + f_] = P[4 * nalive + f_]
            X0[d] = X0[nalive]
            Y0[d] = Y0[nalive]
            TQ[d] = TQ[nalive]
            ai = d
            if ai >= nalive:
                break
        if step >= tmin:
            tmin = INF  # some particle decayed: the earliest decay step is found again
            for k in range(nalive):
                tmin = min(tmin, TQ[k])
    nfast[0] = nf
    stats[S_HOPS] += n_hops
    stats[S_NULL] += n_null
    for ai in range(nalive):
        site_state[P[4 * ai + _P_SITE]] &= _CLEAR_OCC
    return 0
