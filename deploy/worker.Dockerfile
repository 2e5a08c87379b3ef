# The triggersqs image for `worker` and `serve` on ECS, Kubernetes or any container host: Python
# 3.13 slim, the project with its `server` extra exactly as uv.lock pins it (no test or lint
# tools), all compiled to bytecode, run by a user without privileges. Build it from the
# repository root:
#   docker build -f deploy/worker.Dockerfile -t triggersqs .
#   docker run -e TRIGGERSQS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/orders \
#       -e TRIGGERSQS_STORE=dynamodb -e TRIGGERSQS_DYNAMODB_TABLE=triggersqs triggersqs worker
#   docker run -p 8000:8000 -e TRIGGERSQS_STORE=dynamodb ... triggersqs serve --host 0.0.0.0
# Logs are JSON lines (stdout is not a terminal). --build-arg EXTRAS=dev adds the embedded SQS
# server for `triggersqs dev`, as deploy/docker-compose.yaml does.

ARG PYTHON_VERSION=3.13

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG EXTRAS=server
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/triggersqs
WORKDIR /build

# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-default-groups --extra "$EXTRAS" --no-install-project

# Then the project itself, installed as a package (not editable: /build is not copied on).
COPY README.md ./
COPY src ./src
RUN uv sync --frozen --no-default-groups --extra "$EXTRAS" --no-editable

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN useradd --system --no-log-init --uid 10001 --home-dir /data --create-home triggersqs
COPY --from=build /opt/triggersqs /opt/triggersqs
ENV PATH=/opt/triggersqs/bin:$PATH \
    PYTHONUNBUFFERED=1
# The SQLite store (the default) and dev's state file go here; mount a volume to keep them.
WORKDIR /data
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["triggersqs"]
CMD ["worker"]
