"""Payload encryption keys of the test runs. TEST KEYS ONLY: published here, so they protect nothing.

Every test process and every process a test starts uses them (tests/conftest.py puts them in the
environment), so the histories recorded in tests/histories/ decrypt on any machine. Two keys, as after a
rotation: the first encrypts, both decrypt.
"""

from __future__ import annotations

CURRENT = "test-2026b:dGVzdC1vbmx5LWtleS1iLWZvci1nYXZldXJzLXRlc3Q="
PREVIOUS = "test-2026a:dGVzdC1vbmx5LWtleS1hLWZvci1nYXZldXJzLXRlc3Q="
TEST_PAYLOAD_KEYS = f"{CURRENT},{PREVIOUS}"
