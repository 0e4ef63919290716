"""Workflows, one package per task queue and one module per task (`workflows/<queue>/<task>.py`).

Every workflow's type is its catalogue row's name (the seed's function name); the worker of that row's queue
registers it. Workflow code is deterministic and does no I/O: activities do.
"""
