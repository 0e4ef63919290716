"""Fixtures are split by concern: database backends, ML data sets, PDF rendering, notification sinks, and the
running Temporal stack."""

import os

from tests.keys import TEST_PAYLOAD_KEYS

# Before any Settings() is read: this process and every process a test starts encrypt payloads with the test
# keys (not a developer's own, nor a generated dev key), so recorded histories replay on every machine.
os.environ["PAYLOAD_ENCRYPTION_KEYS"] = TEST_PAYLOAD_KEYS

pytest_plugins = [
    "tests.fixtures_db",
    "tests.fixtures_ml",
    "tests.fixtures_pdf",
    "tests.fixtures_notify",
    "tests.fixtures_stack",
]
