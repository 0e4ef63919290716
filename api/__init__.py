"""The task API: FastAPI over Temporal, keeping the Celery-era JSON shapes the frontend reads."""
