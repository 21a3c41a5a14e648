// The prometheus receiver's configuration: Prometheus's own scrape_configs, defaults, the
// Collector's self-scrape example, and clear errors for what Ferry does not do.
import { describe, expect, it } from 'vitest';
import { compileConfigSchema, fillNullMaps } from '../../../src/config/validate.js';
import { compileRelabel } from '../../../src/prometheus/relabel.js';
import { parseByteSize, parsePromDuration, resolveScrape, type PrometheusReceiverConfig } from '../../../src/receivers/prometheus/config.js';
import { prometheusReceiver } from '../../../src/receivers/prometheus/index.js';
import { buildTargets } from '../../../src/receivers/prometheus/targets.js';

function load(raw: Record<string, unknown>): PrometheusReceiverConfig {
  const data = structuredClone(raw);
  fillNullMaps(prometheusReceiver.configSchema, data);
  const validate = compileConfigSchema(prometheusReceiver.configSchema);
  if (!validate(data)) throw new Error(JSON.stringify(validate.errors));
  return data as unknown as PrometheusReceiverConfig;
}

describe('prometheus receiver config', () => {
  it('takes the Collector README example and Prometheus defaults (1m interval, 10s timeout, /metrics, http)', () => {
    const c = load({ config: { scrape_configs: [{ job_name: 'otel-collector', scrape_interval: '5s', static_configs: [{ targets: ['0.0.0.0:8888'] }] }] } });
    expect(prometheusReceiver.validate?.(c)).toEqual([]);
    const job = c.config.scrape_configs[0];
    if (!job) throw new Error('no job');
    expect(resolveScrape(c.config.global, job)).toMatchObject({ intervalMs: 5000, timeoutMs: 5000, bodySizeLimit: 100 * 1024 * 1024 });
    expect(resolveScrape(undefined, { job_name: 'x' })).toMatchObject({ intervalMs: 60_000, timeoutMs: 10_000 });
    expect(resolveScrape({ scrape_interval: '15s', scrape_timeout: '3s' }, { job_name: 'x' })).toMatchObject({ intervalMs: 15_000, timeoutMs: 3000 });
    const { targets } = buildTargets(job, resolveScrape(c.config.global, job), []);
    expect(targets.map((t) => [t.url.href, Object.fromEntries(t.labels)])).toEqual([['http://0.0.0.0:8888/metrics', { job: 'otel-collector', instance: '0.0.0.0:8888' }]]);
  });

  it('reads Prometheus durations and sizes', () => {
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('1d')).toBe(86_400_000);
    expect(parsePromDuration('200ms')).toBe(200);
    expect(() => parsePromDuration('1.5s')).toThrow(/Prometheus durations/);
    expect(parseByteSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('512KiB')).toBe(512 * 1024);
    expect(() => parseByteSize('ten')).toThrow(/invalid size/);
  });

  it('relabel_configs set scheme, path, params and instance, and drop targets', () => {
    const c = load({
      config: {
        scrape_configs: [
          {
            job_name: 'blackbox',
            params: { module: ['http_2xx'] },
            static_configs: [{ targets: ['https://example.test', 'drop.me:1'], labels: { team: 'a' } }],
            relabel_configs: [
              { source_labels: ['__address__'], regex: 'drop\\.me:.*', action: 'drop' },
              { source_labels: ['__address__'], target_label: '__param_target' },
              { source_labels: ['__param_target'], target_label: 'instance' },
              { target_label: '__address__', replacement: '127.0.0.1:9115' },
              { target_label: '__metrics_path__', replacement: '/probe' },
            ],
          },
        ],
      },
    });
    const job = c.config.scrape_configs[0];
    if (!job) throw new Error('no job');
    const { targets } = buildTargets(job, resolveScrape(undefined, job), (job.relabel_configs ?? []).map(compileRelabel));
    expect(targets).toHaveLength(1);
    expect(targets[0]?.url.href).toBe('http://127.0.0.1:9115/probe?module=http_2xx&target=https%3A%2F%2Fexample.test');
    expect(Object.fromEntries(targets[0]?.labels ?? [])).toEqual({ job: 'blackbox', instance: 'https://example.test', team: 'a' });
    const bad = buildTargets({ job_name: 'x', static_configs: [{ targets: ['http://host:9100/metrics'] }] }, resolveScrape(undefined, { job_name: 'x' }), []);
    expect(bad.targets).toEqual([]);
    expect(bad.problems[0]?.message).toMatch(/not a valid host:port/);
  });

  it('reports service discovery, server-only settings, timeouts over the interval and incomplete relabel rules', () => {
    const c = load({
      config: {
        rule_files: ['x.yml'],
        scrape_configs: [
          { job_name: 'k8s', kubernetes_sd_configs: [{ role: 'pod' }] },
          { job_name: 'slow', scrape_interval: '1s', scrape_timeout: '5s', static_configs: [{ targets: ['a:1', 'http://a:2/metrics'] }] },
          { job_name: 'slow', static_configs: [{ targets: ['a:1'] }], metric_relabel_configs: [{ action: 'hashmod', source_labels: ['a'], target_label: 'b' }, { regex: '(', action: 'labeldrop' }] },
        ],
      },
    });
    const problems = prometheusReceiver.validate?.(c) ?? [];
    expect(problems.map((p) => p.path)).toEqual([
      'config.rule_files',
      'config.scrape_configs.0.kubernetes_sd_configs',
      'config.scrape_configs.1.scrape_timeout',
      'config.scrape_configs.1.static_configs.0.targets.1',
      'config.scrape_configs.2.job_name',
      'config.scrape_configs.2.metric_relabel_configs.0.modulus',
      'config.scrape_configs.2.metric_relabel_configs.1.regex',
    ]);
    expect(problems.every((p) => p.fix !== undefined)).toBe(true);
    expect(() => load({ config: { scrape_configs: [{ job_name: 'x', scrape_interval: '5 seconds' }] } })).toThrow(/pattern/);
  });
});
