"""Fixtures are split by concern: database backends, and the running Temporal stack."""

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_stack", "tests.fixtures_pdf"]
