"""Activities of the `notifications` task queue, one module per task."""
