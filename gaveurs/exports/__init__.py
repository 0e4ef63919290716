"""The export tasks as plain functions: CSV streaming, batch zips, and the whole-export entry points."""
