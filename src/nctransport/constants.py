"""Physical constants (SI), without importing scipy.constants.

``scipy.constants`` parses its whole CODATA table on import (~0.1 s of CPU, issue 17): too
much for a calculator that needs two numbers. The elementary charge, the Boltzmann, Planck
and Avogadro constants and the speed of light are exact in the SI since 2019; the vacuum
permittivity and the electron mass are CODATA 2022, the values ``scipy.constants`` has since
SciPy 1.15 (tests/test_constants.py checks every one against SciPy).
"""

from __future__ import annotations

#: Elementary charge (C), exact.
Q_E = 1.602176634e-19
#: Boltzmann constant (J/K), exact.
K_B = 1.380649e-23
#: Planck constant (J s), exact.
H_PLANCK = 6.62607015e-34
#: Speed of light in vacuum (m/s), exact.
C_LIGHT = 299792458.0
#: Avogadro constant (1/mol), exact.
N_A = 6.02214076e23
#: Vacuum electric permittivity (F/m), CODATA 2022.
EPS0 = 8.8541878188e-12
#: Electron mass (kg), CODATA 2022.
M_E = 9.1093837139e-31
