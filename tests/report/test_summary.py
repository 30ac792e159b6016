"""Headline lines from the results layouts of each command."""

from __future__ import annotations

from nctransport.report.summary import summarize


def test_kinetics_components_with_errors():
    r = {"model": "exp2", "components": [{"tau_ns": 0.48, "tau_err_ns": 0.012}, {"tau_ns": 52.0}]}
    assert summarize(r) == "exp2: τ = 0.480 ± 0.012, 52 ns"


def test_device_sclc_and_fit():
    sclc = {
        "files": [{"mobility_m2_Vs": 3.65e-11, "temperature_K": 220.0}],
        "arrhenius": {"activation_eV": 0.3, "activation_ci95_eV": [0.25, 0.35]},
    }
    assert summarize(sclc) == (
        "μ_SCLC = 3.65×10⁻¹¹ (220 K) m²/(V·s); Arrhenius Δ = 0.3 eV (95% CI [0.25, 0.35])"
    )
    fit = {"sigma_eV": 0.12, "sigma_ci95_eV": [0.119, 0.121], "files": [{"temperature_K": 220}]}
    assert summarize(fit) == "σ = 0.12 eV (95% CI [0.119, 0.121])"


def test_simulation_d_at_1ns_is_msd_over_2t():
    # MSD = 2 D t with D = 1e-6 m^2/s (0.01 cm^2/s): D(1 ns) must read 0.01 cm^2/s.
    t = [0.0, 0.5e-9, 1.0e-9, 2.0e-9]
    r = {
        "t_s": t,
        "msd_per_axis_m2": {"emission": [2e-6 * x for x in t]},
        "pulses": 1,
        "events_per_second": 1.0e6,
    }
    assert summarize(r) == (
        "emission D(t=1 ns) = MSD/2t = 0.01 cm²/s; MSD max 4000 nm² at 2 ns; "
        "1 pulse, 1×10⁶ events/s"
    )


def test_spectra_and_warnings_and_unknown_layout():
    r = {"sigma_inh_meV": {"value": 49.83, "ci95": [49.6, 50.07]}, "warnings": ["a", "b"]}
    assert summarize(r) == "σ_inh = 49.83 meV (95% CI [49.6, 50.07]); 2 warnings"
    assert summarize({"something": 1}) == ""


def test_a_result_object_speaks_for_itself(tmp_path):
    # No key guessing when the caller has a result: its own summary_rows() make the line.
    from nctransport.report.index import IndexEntry, write_index
    from nctransport.results import Estimate, ResultProtocol

    class R(ResultProtocol):
        warnings = ("w",)

        def to_dict(self):
            return {"diffusivity": {"value_cm2_s": 99.0}}  # would be guessed as D = 99

        def summary_rows(self):
            return [("D (per axis)", str(Estimate(0.05, None, None, "cm^2/s")), "")]

    assert summarize(R()) == "D (per axis) = 0.05 cm^2/s; 1 warning"
    page = write_index(tmp_path, [IndexEntry("fit", None, summary=R())]).read_text()
    assert "D (per axis) = 0.05 cm^2/s; 1 warning" in page
