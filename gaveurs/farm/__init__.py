"""The farm's data: a deterministic generator with planted truths, its fast loader, and the SQL the tasks use."""
