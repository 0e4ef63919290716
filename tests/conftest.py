"""Fixtures are split by concern: database backends, ML data sets, PDF rendering, notification sinks, and the
running Temporal stack."""

pytest_plugins = [
    "tests.fixtures_db",
    "tests.fixtures_ml",
    "tests.fixtures_pdf",
    "tests.fixtures_notify",
    "tests.fixtures_stack",
]
