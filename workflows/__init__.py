"""One module per task queue; every workflow's type is the seed's task name."""
