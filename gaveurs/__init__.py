"""Shared code of the gaveurs task platform: settings, farm database, domain logic and task catalogue."""
