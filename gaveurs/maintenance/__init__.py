"""The scheduled maintenance work as plain functions (database in, typed result out), one module per task.

| task (seed name)                 | function                                              |
| -------------------------------- | ----------------------------------------------------- |
| refresh_continuous_aggregates    | `aggregates.refresh_continuous_aggregates`            |
| backup_database_task             | `backup.backup_database` (+ `verify_backup`, `restore_backup`) |
| cleanup_old_celery_tasks         | `task_cleanup.cleanup_old_task_records`               |
| calculate_weekly_kpis            | `weekly_kpis.calculate_weekly_kpis`                   |
| cleanup_old_sensor_data          | `sensor_retention.cleanup_old_sensor_data`            |
| health_check_periodic (storage)  | `health_records.record_health_result`, `last_health_result` |
"""
