"""Activities of the `default` task queue, one module per task."""
