"""KMC tests: small configs live in ``kmc_configs.py`` (imported by the test modules)."""
