// The text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format:
// HELP escapes \ and newline; label values escape \, " and newline) and OpenMetrics 1.0 text
// (https://github.com/prometheus/OpenMetrics/blob/v1.0.0/specification/OpenMetrics.md: counters as
// <family>_total, timestamps in seconds, exemplars, # EOF), plus exponential → classic buckets.
import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, renderExposition, type ExpositionFamily } from '../../src/prometheus/exposition.js';
import { exponentialToClassic, type PointExemplar } from '../../src/prometheus/points.js';
import { pointSamples } from '../../src/prometheus/samples.js';
import { formatGoG } from '../../src/prometheus/float.js';

const L = (pairs: Record<string, string>) => new Map(Object.entries(pairs));
const exemplar = (value: number, timeMs: number | undefined, traceId = 'aa', attributes: Array<[string, string]> = []): PointExemplar => ({ value, timeMs, traceId, spanId: 'bb', attributes });

describe('escaping', () => {
  it('HELP: backslash and newline (text); also the double quote (OpenMetrics)', () => {
    expect(escapeHelp('a\\b\nc "d"', 'text')).toBe('a\\\\b\\nc "d"');
    expect(escapeHelp('a\\b\nc "d"', 'openmetrics')).toBe('a\\\\b\\nc \\"d\\"');
  });

  it('label values: backslash, double quote and newline', () => {
    expect(escapeLabelValue('C:\\dir "x"\nnext')).toBe('C:\\\\dir \\"x\\"\\nnext');
  });

  it('in a rendered line', () => {
    const text = renderExposition(
      [{ name: 'files_open', type: 'gauge', help: 'Open files.\nPer "dir" \\ host.', samples: [{ name: 'files_open', labels: L({ path: 'C:\\tmp "q"\n' }), value: 3, exemplars: [] }] }],
      'text',
    );
    expect(text).toBe('# HELP files_open Open files.\\nPer "dir" \\\\ host.\n# TYPE files_open gauge\nfiles_open{path="C:\\\\tmp \\"q\\"\\n"} 3\n');
  });
});

describe('text format 0.0.4', () => {
  it('writes every family once: HELP, TYPE, then its samples, with timestamps in ms when given', () => {
    const histogram = pointSamples('latency_seconds', 'histogram', { kind: 'histogram', count: 6, sum: 2.5, bounds: [0.1, 1, 1e6], counts: [1, 2, 3, 0] }, L({ job: 'app' }), [], formatGoG);
    const summary = pointSamples('rpc_seconds', 'summary', { kind: 'summary', count: 10, sum: 4, quantiles: [{ quantile: 0.5, value: 0.3 }, { quantile: 0.99, value: 1.2 }] }, L({}), [], formatGoG);
    const families: ExpositionFamily[] = [
      { name: 'orders_total', type: 'counter', help: 'Orders placed.', samples: [{ name: 'orders_total', labels: L({ a: '1', b: '2' }), value: 7, exemplars: [], timestampMs: 1700000000123 }] },
      { name: 'latency_seconds', type: 'histogram', help: '', samples: histogram },
      { name: 'rpc_seconds', type: 'summary', help: '', samples: summary },
      { name: 'legacy', type: 'unknown', help: '', samples: [{ name: 'legacy', labels: L({}), value: 1234567, exemplars: [] }] },
    ];
    expect(renderExposition(families, 'text')).toBe(
      [
        '# HELP orders_total Orders placed.',
        '# TYPE orders_total counter',
        'orders_total{a="1",b="2"} 7 1700000000123',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{job="app",le="0.1"} 1',
        'latency_seconds_bucket{job="app",le="1"} 3',
        'latency_seconds_bucket{job="app",le="1e+06"} 6',
        'latency_seconds_bucket{job="app",le="+Inf"} 6',
        'latency_seconds_sum{job="app"} 2.5',
        'latency_seconds_count{job="app"} 6',
        '# TYPE rpc_seconds summary',
        'rpc_seconds{quantile="0.5"} 0.3',
        'rpc_seconds{quantile="0.99"} 1.2',
        'rpc_seconds_sum 4',
        'rpc_seconds_count 10',
        '# TYPE legacy untyped',
        'legacy 1.234567e+06',
        '',
      ].join('\n'),
    );
  });

  it('leaves _sum out when the histogram point has none', () => {
    const samples = pointSamples('h', 'histogram', { kind: 'histogram', count: 1, sum: undefined, bounds: [1], counts: [1, 0] }, L({}), [], formatGoG);
    expect(samples.map((s) => s.name)).toEqual(['h_bucket', 'h_bucket', 'h_count']);
  });
});

describe('OpenMetrics 1.0', () => {
  it('names counter families without _total, writes timestamps in seconds, exemplars, and # EOF', () => {
    const counter = pointSamples('orders_total', 'counter', { kind: 'number', value: 7 }, L({}), [exemplar(1, 1700000000000, 'old'), exemplar(2, 1700000001500, 'new')], formatGoG);
    const text = renderExposition(
      [
        { name: 'orders_total', type: 'counter', help: 'Say "hi"', samples: counter.map((s) => ({ ...s, timestampMs: 1700000002250 })) },
        { name: 'plain', type: 'counter', help: '', samples: [{ name: 'plain', labels: L({}), value: 1, exemplars: [] }] },
        { name: 'legacy', type: 'unknown', help: '', samples: [{ name: 'legacy', labels: L({}), value: 2, exemplars: [] }] },
      ],
      'openmetrics',
    );
    expect(text).toBe(
      [
        '# HELP orders Say \\"hi\\"',
        '# TYPE orders counter',
        'orders_total 7 1700000002.25 # {trace_id="new",span_id="bb"} 2 1700000001.5',
        '# TYPE plain counter',
        'plain_total 1',
        '# TYPE legacy unknown',
        'legacy 2',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('shows the largest exemplar of each bucket, and the one below for a bucket without', () => {
    const samples = pointSamples(
      'latency_seconds',
      'histogram',
      { kind: 'histogram', count: 6, sum: 3, bounds: [0.1, 1, 10], counts: [2, 2, 1, 1] },
      L({}),
      [exemplar(0.05, undefined, 't1'), exemplar(0.08, undefined, 't2', [['user.id', 'u7']]), exemplar(20, undefined, 't3')],
      formatGoG,
    );
    const text = renderExposition([{ name: 'latency_seconds', type: 'histogram', help: '', samples }], 'openmetrics');
    expect(text.split('\n').filter((l) => l.includes('_bucket'))).toEqual([
      'latency_seconds_bucket{le="0.1"} 2 # {trace_id="t2",span_id="bb",user_id="u7"} 0.08',
      'latency_seconds_bucket{le="1"} 4 # {trace_id="t2",span_id="bb",user_id="u7"} 0.08',
      'latency_seconds_bucket{le="10"} 5 # {trace_id="t2",span_id="bb",user_id="u7"} 0.08',
      'latency_seconds_bucket{le="+Inf"} 6 # {trace_id="t3",span_id="bb"} 20',
    ]);
  });

  it('drops exemplar attributes that would pass the 128-character limit, keeping the trace ids', () => {
    const samples = pointSamples('c_total', 'counter', { kind: 'number', value: 1 }, L({}), [exemplar(1, undefined, 'a'.repeat(32), [['note', 'x'.repeat(100)]])], formatGoG);
    const text = renderExposition([{ name: 'c_total', type: 'counter', help: '', samples }], 'openmetrics');
    expect(text).toContain(`c_total 1 # {trace_id="${'a'.repeat(32)}",span_id="bb"} 1\n`);
  });
});

describe('exponential histograms as classic buckets', () => {
  it('one le per exponential bucket: negatives, the zero bucket, positives; counts cumulative', () => {
    // Scale 0: bucket i holds (2^i, 2^(i+1)]. Positive offset 1: (2,4], (4,8]; negative offset 0: [-2,-1).
    const classic = exponentialToClassic({
      kind: 'exponential',
      count: 9,
      sum: 20,
      scale: 0,
      zeroCount: 2,
      zeroThreshold: 0,
      positive: { offset: 1, counts: [3, 3] },
      negative: { offset: 0, counts: [1] },
    });
    expect(classic).toEqual({ kind: 'histogram', count: 9, sum: 20, bounds: [-1, 0, 4, 8], counts: [1, 2, 3, 3, 0] });
    const samples = pointSamples('size_bytes', 'histogram', classic, L({}), [], formatGoG);
    expect(samples.map((s) => `${s.labels.get('le') ?? s.name} ${s.value}`)).toEqual(['-1 1', '0 3', '4 6', '8 9', '+Inf 9', 'size_bytes_sum 20', 'size_bytes_count 9']);
  });

  it('uses exact powers of two at scale 3 and hands a bucket inside a wide zero bucket to the next one', () => {
    const classic = exponentialToClassic({
      kind: 'exponential',
      count: 4,
      sum: 3,
      scale: 3,
      zeroCount: 1,
      zeroThreshold: 1.1,
      positive: { offset: 0, counts: [1, 2] },
      negative: { offset: 0, counts: [] },
    });
    // Bucket 0 is (1, 2^(1/8)] = (1, 1.0905…]: below the zero threshold 1.1, so its count moves up.
    expect(classic.bounds).toEqual([1.1, Math.pow(2, 2 / 8)]);
    expect(classic.counts).toEqual([1, 3, 0]);
  });
});
