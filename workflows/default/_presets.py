"""Option presets of the maintenance jobs, derived from the shared ones (workflows/_options.py).

Every maintenance job runs in a child process exactly like a model fit (see activities/default/_jobs.py):
the parent heartbeats every second, a cancel waits until the process is killed (its connection, its
transaction, pg_dump with it), and crashes are retried from a clean start. So each takes CPU_LONG's shape,
with timeouts sized for the job. The machinery names that shape after its first users; a neutral name
(`CHILD_PROCESS`, say) in _options.py would read better here.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows._options import CPU_LONG

# Hourly: an attempt that needs more than 20 min is stuck on a lock, and the next run is due within the hour.
REFRESH = CPU_LONG.with_timeouts(
    start_to_close=timedelta(minutes=20), schedule_to_close=timedelta(minutes=50)
)
# pg_dump of a production farm: minutes (seed: 5–10 min); a dump blocked behind a lock ends at 90 min.
BACKUP = CPU_LONG.with_timeouts(start_to_close=timedelta(minutes=90), schedule_to_close=timedelta(hours=3))
# Deletes of a day of expired files and rows, or a week of KPIs: seconds on the demo farm.
HOUSEKEEPING = CPU_LONG.with_timeouts(
    start_to_close=timedelta(minutes=20), schedule_to_close=timedelta(minutes=50)
)
# A month of raw samples in batches, each committed: a retry continues where the last one stopped.
SENSOR_RETENTION = CPU_LONG.with_timeouts(
    start_to_close=timedelta(hours=2), schedule_to_close=timedelta(hours=4)
)
