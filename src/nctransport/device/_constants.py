"""Physical constants of the device solver, without importing scipy.constants.

``scipy.constants`` parses its whole CODATA table on import (about 0.1 s of CPU, issue 17);
the device path needs three numbers. The elementary charge and the Boltzmann constant are
exact in the SI since 2019; the vacuum permittivity is CODATA 2022, the value
``scipy.constants.epsilon_0`` has since SciPy 1.15 (tests/device/test_constants.py checks
all three against SciPy).
"""

from __future__ import annotations

#: Elementary charge (C), exact.
Q_E = 1.602176634e-19
#: Boltzmann constant (J/K), exact.
K_B = 1.380649e-23
#: Vacuum electric permittivity (F/m), CODATA 2022.
EPS0 = 8.8541878188e-12
