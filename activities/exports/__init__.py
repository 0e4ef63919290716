"""Activities of the `exports` task queue, one module per task."""
