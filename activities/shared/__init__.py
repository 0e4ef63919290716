"""Steps and helpers shared by every queue; the activities here are registered on every worker."""
