"""Workflows of the `ml_light` task queue, one module per task."""
