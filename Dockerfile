# One image for every process of a deployment; its first argument picks the process
# (deploy/entrypoint.sh): code-location (the gRPC server Dagster loads the definitions from), receiver,
# dashboard, webserver, daemon, init; anything else is run as given (Dagster's run launchers start
# `dagster api execute_run ...` in it). Build from the repository root:
#   docker build -t tiktok-pipelines:latest .
# Layout and sizes: docs/scale.md.

ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS build
# A C compiler for the feed's compiled reader (setup.py); the install goes on without it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY tiktok_pipelines ./tiktok_pipelines
# The project, the Dagster instance's Postgres storage and the Kubernetes run launcher (the ECS one
# comes with dagster-aws, a dependency of the project).
RUN pip install --no-cache-dir . "dagster-postgres>=0.27,<0.30" "dagster-k8s>=0.27,<0.30" "psycopg2-binary>=2.9"

FROM python:${PYTHON_VERSION}-slim AS runtime
RUN groupadd --system --gid 10001 dagster \
    && useradd --system --uid 10001 --gid dagster --home-dir /opt/dagster --create-home dagster
COPY --from=build /opt/venv /opt/venv
COPY deploy/entrypoint.sh /usr/local/bin/tiktok-pipelines-entrypoint
COPY deploy/workspace.yaml /opt/dagster/workspace.yaml
# The instance file of the compose deployment; Kubernetes and ECS mount or bake their own
# (deploy/k8s/dagster.yaml, deploy/ecs/dagster.yaml) over it.
COPY deploy/dagster.compose.yaml /opt/dagster/home/dagster.yaml
RUN mkdir -p /opt/dagster/data && chown -R dagster:dagster /opt/dagster
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/home \
    DAGSTER_WORKSPACE=/opt/dagster/workspace.yaml \
    TIKTOK_PIPELINES_DATA_DIR=/opt/dagster/data \
    TIKTOK_PIPELINES_RECEIVER_HOST=0.0.0.0 \
    TIKTOK_PIPELINES_DASHBOARD_HOST=0.0.0.0
WORKDIR /opt/dagster
USER dagster
EXPOSE 3000 4000 8700 8706
ENTRYPOINT ["tiktok-pipelines-entrypoint"]
CMD ["receiver"]
