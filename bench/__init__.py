"""Speed figures: `make bench` prints them. Targets live here, not in timed tests."""
