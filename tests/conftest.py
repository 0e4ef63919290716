"""Fixtures are split by concern: database backends, the running Temporal stack, the notification sinks."""

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_stack", "tests.fixtures_notify"]
