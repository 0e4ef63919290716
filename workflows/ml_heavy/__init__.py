"""Workflows of the `ml_heavy` task queue, one module per task."""
