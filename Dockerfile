# One image for the API and every worker; the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gaveurs ./gaveurs
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
RUN pip install . && useradd --create-home --uid 10001 gaveurs && mkdir -p /data/artifacts && chown gaveurs /data/artifacts
USER gaveurs
ENV ARTIFACT_DIR=/data/artifacts
# 8000: the API; 9464: Prometheus metrics of whichever process runs (METRICS_PORT).
EXPOSE 8000 9464
CMD ["python", "-m", "api", "--host", "0.0.0.0", "--port", "8000"]
