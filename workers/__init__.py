"""Worker processes: one per task queue, each registering only that queue's workflows and activities."""
