// The Collector's translation of scrapes to OTLP, scrape by scrape, on one target's translator:
// start times (first scrape, reset, _created), staleness markers, labels, target_info, limits.
import { describe, expect, it } from 'vitest';
import type { Metric, ResourceMetrics } from '../../../src/pdata/types.js';
import { parseExposition } from '../../../src/prometheus/parse.js';
import { compileRelabel } from '../../../src/prometheus/relabel.js';
import { ScrapeLimitError, TargetTranslator, type TranslatorOptions } from '../../../src/receivers/prometheus/translate.js';
import { attrs } from '../../helpers/values.js';

const T0 = 1_700_000_000_000;
const ns = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

function translator(extra: Partial<TranslatorOptions> = {}): TargetTranslator {
  return new TargetTranslator({
    targetLabels: new Map([['job', 'app'], ['instance', 'host-1:9100'], ['env', 'prod']]),
    scheme: 'http',
    honorLabels: false,
    honorTimestamps: true,
    metricRelabel: [],
    sampleLimit: 0,
    labelLimit: 0,
    ...extra,
  });
}

function metrics(resources: ResourceMetrics[]): Map<string, Metric> {
  return new Map(resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => [m.name, m] as const))));
}

const scrape = (t: TargetTranslator, text: string, ms: number, om = false): ResourceMetrics[] => t.translate(parseExposition(text, om), ms, 0.01).resources;

describe('TargetTranslator', () => {
  it('maps job/instance to the resource and keeps the other labels as attributes, renaming clashes to exported_*', () => {
    const out = scrape(translator(), '# TYPE g gauge\ng{env="staging",path="/"} 3\n', T0);
    expect(out).toHaveLength(1);
    expect(attrs(out[0]?.resource?.attributes)).toEqual({ 'service.name': 'app', 'service.instance.id': 'host-1:9100', 'server.address': 'host-1', 'server.port': 9100, 'url.scheme': 'http' });
    const g = metrics(out).get('g');
    expect(attrs(g?.gauge?.dataPoints[0]?.attributes)).toEqual({ env: 'prod', exported_env: 'staging', path: '/' });
    const honored = scrape(translator({ honorLabels: true }), 'g{env="staging",job="other"} 3\n', T0);
    // honor_labels: the sample's job wins, and is its own resource.
    const sampleResource = honored.find((r) => attrs(r.resource?.attributes)['service.name'] === 'other');
    expect(attrs(metrics([sampleResource as ResourceMetrics]).get('g')?.gauge?.dataPoints[0]?.attributes)).toEqual({ env: 'staging' });
  });

  it('counters: start time is the first scrape, kept while the value grows, reset when it drops', () => {
    const t = translator();
    const point = (text: string, ms: number) => metrics(scrape(t, text, ms)).get('reqs_total')?.sum?.dataPoints[0];
    const text = (v: number): string => `# HELP reqs_total Requests.\n# TYPE reqs_total counter\nreqs_total ${v}\n`;
    expect(point(text(5), T0)).toMatchObject({ startTimeUnixNano: ns(T0), timeUnixNano: ns(T0), asDouble: 5 });
    expect(point(text(7), T0 + 200)).toMatchObject({ startTimeUnixNano: ns(T0), timeUnixNano: ns(T0 + 200), asDouble: 7 });
    expect(point(text(2), T0 + 400)).toMatchObject({ startTimeUnixNano: ns(T0 + 400), asDouble: 2 });
    expect(point(text(3), T0 + 600)).toMatchObject({ startTimeUnixNano: ns(T0 + 400), asDouble: 3 });
    const m = metrics(scrape(t, text(4), T0 + 800)).get('reqs_total');
    expect(m).toMatchObject({ description: 'Requests.', sum: { isMonotonic: true, aggregationTemporality: 2 } });
  });

  it('OpenMetrics: _created is the start time, the unit is kept, exemplars carry trace ids', () => {
    const text = [
      '# TYPE rpc counter',
      '# UNIT rpc requests',
      'rpc_total 17 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7",user="x"} 1',
      'rpc_created 1699999990.5',
      '# TYPE lat histogram',
      'lat_bucket{le="0.1"} 1',
      'lat_bucket{le="1"} 3',
      'lat_bucket{le="+Inf"} 4',
      'lat_sum 5.5',
      'lat_count 4',
      'lat_created 1699999980',
      '# EOF',
    ].join('\n');
    const m = metrics(scrape(translator(), text, T0, true));
    const rpc = m.get('rpc_total');
    expect(rpc?.unit).toBe('requests');
    expect(rpc?.sum?.dataPoints[0]).toMatchObject({ startTimeUnixNano: ns(1_699_999_990_500), asDouble: 17 });
    const ex = rpc?.sum?.dataPoints[0]?.exemplars[0];
    expect(Buffer.from(ex?.traceId ?? []).toString('hex')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(attrs(ex?.filteredAttributes)).toEqual({ user: 'x' });
    expect(m.get('lat')?.histogram?.dataPoints[0]).toMatchObject({ startTimeUnixNano: ns(1_699_999_980_000), count: 4, sum: 5.5, explicitBounds: [0.1, 1], bucketCounts: [1, 2, 1] });
  });

  it('a series that disappears, or a failed scrape, gives points flagged "no recorded value"', () => {
    const t = translator();
    scrape(t, '# TYPE c counter\nc{k="a"} 1\nc{k="b"} 1\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\ns_count 1\n', T0);
    const second = metrics(scrape(t, '# TYPE c counter\nc{k="a"} 2\n', T0 + 200));
    const stale = second.get('c')?.sum?.dataPoints.find((p) => attrs(p.attributes).k === 'b');
    expect(stale).toMatchObject({ flags: 1, timeUnixNano: ns(T0 + 200), startTimeUnixNano: ns(T0) });
    expect(second.get('s')?.summary?.dataPoints[0]).toMatchObject({ flags: 1 });
    const failed = metrics(t.failed(T0 + 400, 0.15));
    expect(failed.get('c')?.sum?.dataPoints).toMatchObject([{ flags: 1, attributes: [{ key: 'env' }, { key: 'k', value: { stringValue: 'a' } }] }]);
    expect(failed.get('up')?.gauge?.dataPoints[0]?.asDouble).toBe(0);
    expect(failed.get('scrape_duration_seconds')?.gauge?.dataPoints[0]?.asDouble).toBe(0.15);
    // Back after the failure: a new start time.
    const back = metrics(scrape(t, '# TYPE c counter\nc{k="a"} 5\n', T0 + 600));
    expect(back.get('c')?.sum?.dataPoints[0]).toMatchObject({ startTimeUnixNano: ns(T0 + 600), asDouble: 5 });
  });

  it('reports the scrape metrics and turns target_info into resource attributes', () => {
    const t = translator();
    const text = '# TYPE target_info gauge\ntarget_info{job="app",instance="host-1:9100",k8s_pod_name="p-1"} 1\n# TYPE u untyped\nu 1\nv 2\n';
    const out = t.translate(parseExposition(text, false), T0, 0.02);
    expect(out).toMatchObject({ samplesScraped: 3, samplesPostRelabel: 3, seriesAdded: 3 });
    expect(attrs(out.resources[0]?.resource?.attributes)).toMatchObject({ 'service.name': 'app', k8s_pod_name: 'p-1' });
    const m = metrics(out.resources);
    expect(m.has('target_info')).toBe(false);
    expect(m.get('u')?.gauge?.dataPoints[0]?.asDouble).toBe(1);
    for (const [name, v] of [['up', 1], ['scrape_duration_seconds', 0.02], ['scrape_samples_scraped', 3], ['scrape_samples_post_metric_relabeling', 3], ['scrape_series_added', 3]] as const) {
      expect(m.get(name)?.gauge?.dataPoints[0]?.asDouble, name).toBe(v);
      expect(attrs(m.get(name)?.gauge?.dataPoints[0]?.attributes)).toEqual({ env: 'prod' });
    }
    expect(metrics(t.translate(parseExposition(text, false), T0 + 200, 0.02).resources).get('scrape_series_added')?.gauge?.dataPoints[0]?.asDouble).toBe(0);
  });

  it('metric_relabel_configs drop samples before sample_limit counts them; past the limit the scrape fails', () => {
    const rules = [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' as const }].map(compileRelabel);
    const out = translator({ metricRelabel: rules, sampleLimit: 1 }).translate(parseExposition('go_x 1\ngo_y 2\nkept 3\n', false), T0, 0.01);
    expect(out.samplesPostRelabel).toBe(1);
    expect([...metrics(out.resources).keys()]).toContain('kept');
    expect(() => translator({ sampleLimit: 1 }).translate(parseExposition('a 1\nb 2\n', false), T0, 0.01)).toThrow(ScrapeLimitError);
  });
});
