// Every ready-made configuration in configs/ must validate as shipped: the presets, the
// vendor configs in configs/vendors/, and the Fly log shipper's base with each of its sinks
// (configs/fly-log-shipper/, merged by its start.sh when the sink's variables are set).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { components } from '../src/components.js';
import { formatConfigErrors, loadConfig } from '../src/config/index.js';

const dir = new URL('../configs/', import.meta.url);
const yamlIn = (d: URL): string[] => readdirSync(d).filter((f) => f.endsWith('.yaml'));
/** The Fly shipper's base has no pipeline of its own: its sinks bring them. */
const FLY_BASE = 'fly-log-shipper.yaml';
const files = [...yamlIn(dir).filter((f) => f !== FLY_BASE), ...yamlIn(new URL('vendors/', dir)).map((f) => `vendors/${f}`)];
const flyDir = new URL('fly-log-shipper/', dir);
/** Fragments start.sh adds on top of a sink (auth, endpoint override): validated with their sink. */
const flyAddOns: Readonly<Record<string, string>> = {
  'loki-basic-auth.yaml': 'loki.yaml',
  'datadog-endpoint.yaml': 'datadog.yaml',
  'elasticsearch-api-key.yaml': 'elasticsearch.yaml',
  'elasticsearch-basic-auth.yaml': 'elasticsearch.yaml',
  'http-bearer.yaml': 'http.yaml',
  'http-basic-auth.yaml': 'http.yaml',
  'aws-s3-endpoint.yaml': 'aws-s3.yaml',
};
const flySinks = yamlIn(flyDir).filter((f) => !(f in flyAddOns));

const source = (url: URL, name: string) => ({ name, text: readFileSync(url, 'utf8') });

describe('configs/', () => {
  it('has the embedded default and ready-made configurations', () => {
    expect(files).toContain('default.yaml');
    expect(files.length).toBeGreaterThan(1);
  });
  for (const f of files) {
    it(`${f} is valid with no environment set`, async () => {
      const { config, errors, warnings } = await loadConfig({ sources: [source(new URL(f, dir), f)], env: {}, components });
      expect(formatConfigErrors(errors)).toBe('');
      expect(config?.pipelines.length).toBeGreaterThan(0);
      // Shipped configs use the Collector's current type names.
      expect(warnings.filter((w) => w.includes('is deprecated'))).toEqual([]);
    });
  }
});

describe('configs/fly-log-shipper', () => {
  // The variables start.sh requires for each sink, with placeholder values.
  const env = {
    OTLP_ENDPOINT: 'https://otlp.example.com',
    LOKI_PUSH_URL: 'https://loki.example.com/loki/api/v1/push',
    LOKI_USERNAME: 'u',
    DATADOG_API_KEY: '0123456789abcdef0123456789abcdef',
    DATADOG_LOGS_ENDPOINT: 'https://intake.example.com',
    HONEYCOMB_API_KEY: 'h',
    NEW_RELIC_LICENSE_KEY: 'n',
    NEW_RELIC_OTLP_ENDPOINT: 'https://otlp.nr-data.net',
    BETTER_STACK_SOURCE_TOKEN: 'b',
    CLOUDWATCH_LOG_GROUP_NAME: 'fly',
    AWS_REGION: 'eu-west-1',
    ELASTICSEARCH_ENDPOINT: 'https://es.example.com:9200',
    ELASTICSEARCH_API_KEY: 'k',
    ELASTICSEARCH_USER: 'e',
    SPLUNK_HEC_URL: 'https://splunk.example.com:8088',
    SPLUNK_HEC_TOKEN: 't',
    LOG_FILE: '/tmp/fly-logs.jsonl',
    APPSIGNAL_PUSH_API_KEY: 'a',
    AWS_BUCKET: 'logs',
    S3_ENDPOINT: 'https://r2.example.com',
    BASELIME_API_KEY: 'b',
    ERASEARCH_URL: 'https://era.example.com',
    ERASEARCH_INDEX: 'fly',
    ERASEARCH_AUTH: 'u',
    ERASEARCH_PASSWORD: 'p',
    GRAVWELL_URL: 'https://gravwell.example.com',
    GRAVWELL_TOKEN: 'g',
    HIGHLIGHT_PROJECT_ID: 'h',
    HONEYBADGER_API_KEY: 'h',
    HTTP_URL: 'https://logs.example.com/ingest',
    HTTP_TOKEN: 't',
    HTTP_USER: 'u',
    HUMIO_TOKEN: 'h',
    HYPERDX_API_KEY: 'h',
    LOGDNA_API_KEY: 'l',
    LOGFLARE_API_KEY: 'l',
    LOGFLARE_SOURCE_TOKEN: 's',
    LOGTAIL_TOKEN: 'l',
    OPENOBSERVE_URI: 'https://api.openobserve.ai/api/org/default/_json',
    OPENOBSERVE_USER: 'u',
    OPSVERSE_LOGS_ENDPOINT: 'https://loki.opsverse.example.com/loki/api/v1/push',
    OPSVERSE_USERNAME: 'u',
    PAPERTRAIL_HOST: 'logs1.papertrailapp.com',
    PAPERTRAIL_PORT: '12345',
    QUICKWIT_URL: 'https://quickwit.example.com',
    SEMATEXT_URL: 'https://logsene-receiver.sematext.com',
    SEMATEXT_TOKEN: 's',
    SIGNOZ_OTLP_ENDPOINT: 'https://ingest.us.signoz.cloud:443',
    SIGNOZ_INGESTION_KEY: 's',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x',
    SLACK_ALERT_PATTERN: 'SIGTERM|reboot',
    UPTRACE_API_KEY: 'u',
    UPTRACE_PROJECT: '1',
  };
  const base = source(new URL(FLY_BASE, dir), FLY_BASE);
  for (const sink of flySinks) {
    const addOns = Object.keys(flyAddOns).filter((a) => flyAddOns[a] === sink);
    for (const extra of [undefined, ...addOns]) {
      const name = extra ? `${sink} + ${extra}` : sink;
      it(`the base with ${name} is valid, one pipeline fed by the nats receiver`, async () => {
        const sources = [base, source(new URL(sink, flyDir), sink), ...(extra ? [source(new URL(extra, flyDir), extra)] : [])];
        const { config, errors, warnings } = await loadConfig({ sources, env, components });
        expect(formatConfigErrors(errors)).toBe('');
        expect(warnings.filter((w) => w.includes('is deprecated'))).toEqual([]);
        expect(config?.pipelines.map((p) => p.receivers)).toEqual([['nats']]);
      });
    }
  }
});
