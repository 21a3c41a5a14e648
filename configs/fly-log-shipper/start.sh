#!/bin/sh
# Fly.io log shipper: Ferry with configs/fly-log-shipper.yaml plus one file per sink whose
# variables are set, merged in order as `--config` files (the OpenTelemetry Collector's
# merge: each sink adds its own exporter and pipeline). superfly/fly-log-shipper does the
# same for Vector. Runs `ferry` from $FERRY_BIN, else from PATH, else this checkout's dist/.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
files=''
names=''
add() {
  files="$files
$here/$1.yaml"
}
sink() {
  names="$names $1"
  add "$1"
}
set_() { eval "[ -n \"\${$1:-}\" ]"; }

if set_ OTLP_ENDPOINT; then sink otlp; fi
if set_ LOKI_URL; then
  # Fly's LOKI_URL is Loki's base URL; the exporter posts to the full push URL.
  case "$LOKI_URL" in
    */loki/api/v1/push) LOKI_PUSH_URL=$LOKI_URL ;;
    *) LOKI_PUSH_URL="${LOKI_URL%/}/loki/api/v1/push" ;;
  esac
  export LOKI_PUSH_URL
  sink loki
  if set_ LOKI_USERNAME; then add loki-basic-auth; fi
fi
if set_ DATADOG_API_KEY; then
  sink datadog
  if set_ DATADOG_LOGS_ENDPOINT; then add datadog-endpoint; fi
fi
if set_ HONEYCOMB_API_KEY; then sink honeycomb; fi
if set_ NEW_RELIC_LICENSE_KEY; then
  if [ -z "${NEW_RELIC_OTLP_ENDPOINT:-}" ]; then
    case "${NEW_RELIC_REGION:-us}" in
      eu | EU) NEW_RELIC_OTLP_ENDPOINT=https://otlp.eu01.nr-data.net ;;
      *) NEW_RELIC_OTLP_ENDPOINT=https://otlp.nr-data.net ;;
    esac
  fi
  export NEW_RELIC_OTLP_ENDPOINT
  sink new-relic
fi
if set_ BETTER_STACK_SOURCE_TOKEN; then sink better-stack; fi
if set_ CLOUDWATCH_LOG_GROUP_NAME; then sink cloudwatch; fi
if set_ ELASTICSEARCH_ENDPOINT; then
  sink elasticsearch
  if set_ ELASTICSEARCH_API_KEY; then add elasticsearch-api-key; elif set_ ELASTICSEARCH_USER; then add elasticsearch-basic-auth; fi
fi
if set_ SPLUNK_HEC_URL; then sink splunk; fi
if set_ LOG_FILE; then sink file; fi
if [ "${LOG_TO_STDOUT:-}" = 1 ]; then sink stdout; fi

if [ -z "$names" ]; then
  echo "fly-log-shipper: no sink is configured. Set the variables of at least one: OTLP_ENDPOINT, LOKI_URL, DATADOG_API_KEY, HONEYCOMB_API_KEY, NEW_RELIC_LICENSE_KEY, BETTER_STACK_SOURCE_TOKEN, CLOUDWATCH_LOG_GROUP_NAME, ELASTICSEARCH_ENDPOINT, SPLUNK_HEC_URL, LOG_FILE, or LOG_TO_STDOUT=1 (see $here/README.md)" >&2
  exit 2
fi
echo "fly-log-shipper: shipping to$names" >&2

set -- --config "$here/../fly-log-shipper.yaml" "$@"
old_ifs=$IFS
IFS='
'
for f in $files; do
  if [ -n "$f" ]; then set -- "$@" --config "$f"; fi
done
IFS=$old_ifs

if [ -n "${FERRY_BIN:-}" ]; then
  # shellcheck disable=SC2086 # FERRY_BIN may be a command with arguments, e.g. "node dist/cli.js".
  exec $FERRY_BIN "$@"
elif command -v ferry >/dev/null 2>&1; then
  exec ferry "$@"
else
  exec "$here/../../dist/cli.js" "$@"
fi
