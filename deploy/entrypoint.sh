#!/bin/sh
# The image's entrypoint: the first argument names the process to run, the rest are passed to it.
#   code-location  Dagster's gRPC server for the one code location (tiktok_pipelines.definitions)
#   webserver      the Dagster UI, loading the code location named by $DAGSTER_WORKSPACE
#   daemon         the Dagster daemon (schedules, sensors, run queue, run monitoring)
#   receiver       the webhook and OAuth receiver (`tiktok-pipelines webhooks serve`)
#   dashboard      the sales dashboard (`tiktok-pipelines dashboard serve`)
#   init           the state DB's tables, then the Dagster instance's (run once before the others)
# Anything else is executed as given: Kubernetes and ECS run launchers start
# `dagster api execute_run ...` in this image.
set -eu

role="${1:-receiver}"
[ "$#" -gt 0 ] && shift

case "$role" in
  code-location)
    exec dagster api grpc \
      --host "${DAGSTER_GRPC_LISTEN_HOST:-0.0.0.0}" --port "${DAGSTER_GRPC_PORT:-4000}" \
      --module-name tiktok_pipelines.definitions --location-name tiktok_pipelines "$@"
    ;;
  webserver)
    exec dagster-webserver \
      --host "${DAGSTER_WEBSERVER_HOST:-0.0.0.0}" --port "${DAGSTER_WEBSERVER_PORT:-3000}" \
      --workspace "${DAGSTER_WORKSPACE:-/opt/dagster/workspace.yaml}" "$@"
    ;;
  daemon)
    exec dagster-daemon run --workspace "${DAGSTER_WORKSPACE:-/opt/dagster/workspace.yaml}" "$@"
    ;;
  receiver)
    exec tiktok-pipelines webhooks serve "$@"
    ;;
  dashboard)
    exec tiktok-pipelines dashboard serve "$@"
    ;;
  init)
    tiktok-pipelines init
    exec dagster instance migrate
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
