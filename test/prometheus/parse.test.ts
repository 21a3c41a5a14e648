// The exposition parser: Prometheus text 0.0.4 and OpenMetrics 1.0, as the formats' specs write them
// (https://prometheus.io/docs/instrumenting/exposition_formats/, https://openmetrics.io).
import { describe, expect, it } from 'vitest';
import { ExpositionParseError, isOpenMetrics, parseExposition } from '../../src/prometheus/parse.js';

describe('parseExposition (text 0.0.4)', () => {
  it('reads HELP, TYPE, labels with escapes, special values and millisecond timestamps', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '# a comment',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.5"} 4773',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
      '# TYPE latency histogram',
      'latency_bucket{le="0.5"} 1',
      'latency_bucket{le="+Inf"} 2',
      'latency_sum 0.75',
      'latency_count 2',
      'nan_value NaN',
      '',
    ].join('\n');
    const r = parseExposition(text, false);
    expect(r.samples.map((s) => [s.name, s.family.name, s.family.type])).toEqual([
      ['http_requests_total', 'http_requests_total', 'counter'],
      ['http_requests_total', 'http_requests_total', 'counter'],
      ['msdos_file_access_time_seconds', 'msdos_file_access_time_seconds', 'unknown'],
      ['metric_without_timestamp_and_labels', 'metric_without_timestamp_and_labels', 'unknown'],
      ['something_weird', 'something_weird', 'unknown'],
      ['rpc_duration_seconds', 'rpc_duration_seconds', 'summary'],
      ['rpc_duration_seconds_sum', 'rpc_duration_seconds', 'summary'],
      ['rpc_duration_seconds_count', 'rpc_duration_seconds', 'summary'],
      ['latency_bucket', 'latency', 'histogram'],
      ['latency_bucket', 'latency', 'histogram'],
      ['latency_sum', 'latency', 'histogram'],
      ['latency_count', 'latency', 'histogram'],
      ['nan_value', 'nan_value', 'unknown'],
    ]);
    expect(r.samples[0]).toMatchObject({ labels: [['method', 'post'], ['code', '200']], value: 1027, timestampMs: 1395066363000 });
    expect(r.samples[0]?.family.help).toBe('The total number of HTTP requests.');
    expect(r.samples[2]?.labels).toEqual([['path', 'C:\\DIR\\FILE.TXT'], ['error', 'Cannot find file:\n"FILE.TXT"']]);
    expect(r.samples[4]).toMatchObject({ value: Infinity, timestampMs: -3982045 });
    expect(r.samples[12]?.value).toBeNaN();
  });

  it('fails on a malformed line and names it', () => {
    const bad = ['ok_metric 1', 'broken{a="b" 1', 'next 2'].join('\n');
    expect(() => parseExposition(bad, false)).toThrow(ExpositionParseError);
    expect(() => parseExposition(bad, false)).toThrow(/line 2/);
    expect(() => parseExposition('m{a="b"} one', false)).toThrow(/invalid value "one"/);
    expect(() => parseExposition('m 1 2 3', false)).toThrow(/after the value/);
    expect(() => parseExposition('m{a="unterminated} 1', false)).toThrow(/line 1/);
    expect(() => parseExposition('# TYPE m frobnicator', false)).toThrow(/unknown metric type/);
  });
});

describe('parseExposition (OpenMetrics 1.0)', () => {
  it('reads UNIT, counters written with _total and _created, exemplars, second timestamps and # EOF', () => {
    const text = [
      '# TYPE acme_http_router_request_seconds summary',
      '# UNIT acme_http_router_request_seconds seconds',
      '# HELP acme_http_router_request_seconds Latency though all of ACME\'s HTTP request router.',
      'acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32',
      'acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0',
      'acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0',
      '# TYPE foo counter',
      'foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67',
      'foo_created 1520430000.123',
      '# EOF',
    ].join('\n');
    expect(isOpenMetrics('application/openmetrics-text; version=1.0.0; charset=utf-8')).toBe(true);
    const r = parseExposition(text, true);
    expect(r.samples.map((s) => [s.name, s.family.name])).toEqual([
      ['acme_http_router_request_seconds_sum', 'acme_http_router_request_seconds'],
      ['acme_http_router_request_seconds_count', 'acme_http_router_request_seconds'],
      ['acme_http_router_request_seconds_created', 'acme_http_router_request_seconds'],
      ['foo_total', 'foo'],
      ['foo_created', 'foo'],
    ]);
    expect(r.families.get('acme_http_router_request_seconds')?.unit).toBe('seconds');
    expect(r.samples[3]).toMatchObject({ value: 17, timestampMs: 1520879607789, exemplar: { labels: [['trace_id', 'KOO5S4vxi0o']], value: 0.67 } });
  });

  it('requires # EOF and nothing after it', () => {
    expect(() => parseExposition('# TYPE a gauge\na 1\n', true)).toThrow(/EOF/);
    expect(() => parseExposition('a 1\n# EOF\nb 2\n', true)).toThrow(/after # EOF/);
  });
});
