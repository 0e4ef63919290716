"""Fixtures are split by concern: database backends, ML data sets, PDF rendering, and the running Temporal stack."""

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_ml", "tests.fixtures_pdf", "tests.fixtures_stack"]
