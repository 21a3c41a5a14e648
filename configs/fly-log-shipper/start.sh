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
if set_ APPSIGNAL_PUSH_API_KEY; then sink appsignal; fi
if set_ AWS_BUCKET; then
  sink aws-s3
  if set_ S3_ENDPOINT; then add aws-s3-endpoint; fi
fi
if set_ BASELIME_API_KEY; then sink baselime; fi
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
if set_ ERASEARCH_URL && set_ ERASEARCH_INDEX; then sink erasearch; fi
if set_ GRAVWELL_URL && set_ GRAVWELL_TOKEN; then sink gravwell; fi
if set_ HIGHLIGHT_PROJECT_ID; then sink highlight; fi
if set_ HONEYBADGER_API_KEY; then sink honeybadger; fi
if set_ HONEYCOMB_API_KEY; then sink honeycomb; fi
if set_ HTTP_URL; then
  sink http
  if set_ HTTP_TOKEN; then add http-bearer; elif set_ HTTP_USER; then add http-basic-auth; fi
fi
if set_ HUMIO_TOKEN; then sink humio; fi
if set_ HYPERDX_API_KEY; then sink hyperdx; fi
if set_ LOGDNA_API_KEY; then sink logdna; fi
if set_ LOGFLARE_API_KEY && set_ LOGFLARE_SOURCE_TOKEN; then sink logflare; fi
if set_ LOGTAIL_TOKEN; then sink logtail; fi
if set_ NEW_RELIC_LICENSE_KEY || set_ NEW_RELIC_INSERT_KEY; then
  NEW_RELIC_LICENSE_KEY=${NEW_RELIC_LICENSE_KEY:-$NEW_RELIC_INSERT_KEY}
  if [ -z "${NEW_RELIC_OTLP_ENDPOINT:-}" ]; then
    case "${NEW_RELIC_REGION:-us}" in
      eu | EU) NEW_RELIC_OTLP_ENDPOINT=https://otlp.eu01.nr-data.net ;;
      *) NEW_RELIC_OTLP_ENDPOINT=https://otlp.nr-data.net ;;
    esac
  fi
  export NEW_RELIC_LICENSE_KEY NEW_RELIC_OTLP_ENDPOINT
  sink new-relic
fi
if set_ OPENOBSERVE_URI; then sink openobserve; fi
if set_ OPSVERSE_LOGS_ENDPOINT; then sink opsverse; fi
if set_ PAPERTRAIL_ENDPOINT; then
  # Fly's PAPERTRAIL_ENDPOINT is host:port; the syslog exporter takes them apart.
  PAPERTRAIL_HOST=${PAPERTRAIL_ENDPOINT%:*}
  PAPERTRAIL_PORT=${PAPERTRAIL_ENDPOINT##*:}
  export PAPERTRAIL_HOST PAPERTRAIL_PORT
  sink papertrail
fi
if set_ QUICKWIT_URL; then sink quickwit; fi
if set_ SEMATEXT_TOKEN; then
  case "${SEMATEXT_REGION:-us}" in
    eu | EU) SEMATEXT_URL=https://logsene-receiver.eu.sematext.com ;;
    *) SEMATEXT_URL=https://logsene-receiver.sematext.com ;;
  esac
  export SEMATEXT_URL
  sink sematext
fi
if set_ SIGNOZ_INGESTION_KEY; then
  SIGNOZ_OTLP_ENDPOINT=${SIGNOZ_OTLP_ENDPOINT:-https://ingest.${SIGNOZ_REGION:-us}.signoz.cloud:443}
  export SIGNOZ_OTLP_ENDPOINT
  sink signoz
fi
if set_ SLACK_WEBHOOK_URL; then
  # Fly's keywords are VRL patterns, "[r'SIGTERM', r'reboot']": one regular expression, SIGTERM|reboot.
  SLACK_ALERT_PATTERN=$(printf '%s' "${SLACK_ALERT_KEYWORDS:-error}" | sed -e "s/^[[:space:]]*\[//" -e "s/\][[:space:]]*$//" -e "s/r'\([^']*\)'/\1/g" -e "s/\"\([^\"]*\)\"/\1/g" -e 's/[[:space:]]*,[[:space:]]*/|/g')
  export SLACK_ALERT_PATTERN
  sink slack
fi
if set_ UPTRACE_API_KEY && set_ UPTRACE_PROJECT; then sink uptrace; fi
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
  echo "fly-log-shipper: no sink is configured. Set the variables of at least one: APPSIGNAL_PUSH_API_KEY (appsignal), AWS_BUCKET (aws_s3), BASELIME_API_KEY (baselime), BETTER_STACK_SOURCE_TOKEN (better-stack), CLOUDWATCH_LOG_GROUP_NAME (aws_cloudwatch), DATADOG_API_KEY (datadog), ERASEARCH_URL + ERASEARCH_INDEX (erasearch), GRAVWELL_URL + GRAVWELL_TOKEN (gravwell), HIGHLIGHT_PROJECT_ID (highlight), HONEYBADGER_API_KEY (honeybadger), HONEYCOMB_API_KEY (honeycomb), HTTP_URL (http), HUMIO_TOKEN (humio), HYPERDX_API_KEY (hyperdx), LOGDNA_API_KEY (logdna/mezmo), LOGFLARE_API_KEY + LOGFLARE_SOURCE_TOKEN (logflare), LOGTAIL_TOKEN (logtail), LOKI_URL (loki), NEW_RELIC_LICENSE_KEY or NEW_RELIC_INSERT_KEY (new_relic), OPENOBSERVE_URI (openobserve), OPSVERSE_LOGS_ENDPOINT (opsverse), PAPERTRAIL_ENDPOINT (papertrail), QUICKWIT_URL (quickwit), SEMATEXT_TOKEN (sematext), SIGNOZ_INGESTION_KEY (signoz), SLACK_WEBHOOK_URL (slack), UPTRACE_API_KEY + UPTRACE_PROJECT (uptrace); or Ferry's own: OTLP_ENDPOINT, ELASTICSEARCH_ENDPOINT, SPLUNK_HEC_URL, LOG_FILE, LOG_TO_STDOUT=1 (see $here/README.md)" >&2
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
