// OTel → Prometheus names, table-driven from the OpenTelemetry specification's rules
// (https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#otlp-metric-points-to-prometheus)
// and the cases of the Collector's translator
// (https://github.com/prometheus/otlptranslator/blob/main/metric_namer_test.go, label_namer_test.go).
import { describe, expect, it } from 'vitest';
import { attributeLabels, labelName, metricName, targetInfoName, unitName, type NamingType } from '../../src/prometheus/naming.js';
import { formatGoF, formatGoG } from '../../src/prometheus/float.js';

const SUFFIXES = { namespace: '', addSuffixes: true };
const PLAIN = { namespace: '', addSuffixes: false };

describe('metric names with suffixes (the default)', () => {
  const cases: Array<[name: string, unit: string, type: NamingType, expected: string]> = [
    // Monotonic sums get _total; a name that has it keeps one.
    ['requests', '', 'monotonic_sum', 'requests_total'],
    ['requests_total', '', 'monotonic_sum', 'requests_total'],
    ['http.requests', '1', 'monotonic_sum', 'http_requests_total'],
    ['items', '1', 'monotonic_sum', 'items_total'],
    // Unit "1" is _ratio on gauges only.
    ['cpu_usage', '1', 'gauge', 'cpu_usage_ratio'],
    ['cpu_usage_ratio', '1', 'gauge', 'cpu_usage_ratio'],
    ['active_connections', '', 'non_monotonic_sum', 'active_connections'],
    // Abbreviations become words.
    ['response_time', 'ms', 'gauge', 'response_time_milliseconds'],
    ['memory_usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['uptime', 'd', 'gauge', 'uptime_days'],
    ['duration', 'h', 'gauge', 'duration_hours'],
    ['timeout', 'min', 'gauge', 'timeout_minutes'],
    ['latency', 'us', 'gauge', 'latency_microseconds'],
    ['precision_time', 'ns', 'gauge', 'precision_time_nanoseconds'],
    ['cache_size', 'KiBy', 'gauge', 'cache_size_kibibytes'],
    ['memory', 'MiBy', 'gauge', 'memory_mebibytes'],
    ['storage', 'GiBy', 'gauge', 'storage_gibibytes'],
    ['transfer', 'KBy', 'gauge', 'transfer_kilobytes'],
    ['download', 'MBy', 'gauge', 'download_megabytes'],
    ['distance', 'm', 'gauge', 'distance_meters'],
    ['voltage', 'V', 'gauge', 'voltage_volts'],
    ['current', 'A', 'gauge', 'current_amperes'],
    ['energy', 'J', 'gauge', 'energy_joules'],
    ['power', 'W', 'gauge', 'power_watts'],
    ['weight', 'g', 'gauge', 'weight_grams'],
    ['temperature', 'Cel', 'gauge', 'temperature_celsius'],
    ['frequency', 'Hz', 'gauge', 'frequency_hertz'],
    ['cpu_usage', '%', 'gauge', 'cpu_usage_percent'],
    // "foo/bar" is foo_per_bar.
    ['requests', '1/s', 'gauge', 'requests_per_second'],
    ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    ['requests', '1/m', 'gauge', 'requests_per_minute'],
    ['events', '1/h', 'gauge', 'events_per_hour'],
    ['transactions', '1/d', 'gauge', 'transactions_per_day'],
    ['reports', '1/w', 'gauge', 'reports_per_week'],
    ['invoices', '1/mo', 'gauge', 'invoices_per_month'],
    ['renewals', '1/y', 'gauge', 'renewals_per_year'],
    ['custom', '1/custom_unit', 'gauge', 'custom_per_custom_unit'],
    ['requests', '1/s', 'monotonic_sum', 'requests_per_second_total'],
    // Unknown units are kept; annotations in braces are dropped.
    ['custom_metric', 'custom_unit', 'gauge', 'custom_metric_custom_unit'],
    ['custom_metric', '{custom}', 'gauge', 'custom_metric'],
    ['custom_metric', 'By/{custom}', 'gauge', 'custom_metric_bytes'],
    ['packets', '{packet}', 'monotonic_sum', 'packets_total'],
    ['metric', 'By/', 'gauge', 'metric_bytes'],
    ['metric', ' By / s ', 'gauge', 'metric_bytes_per_second'],
    ['metric', '/', 'gauge', 'metric'],
    // A name that has the unit already does not get it twice.
    ['response_time_seconds', 's', 'gauge', 'response_time_seconds'],
    // Invalid characters become _, runs of _ collapse to one.
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['http.request.duration', 'ms', 'histogram', 'http_request_duration_milliseconds'],
    ['request_size', 'By', 'exponential_histogram', 'request_size_bytes'],
    ['response_time', 'ms', 'summary', 'response_time_milliseconds'],
    ['metric__with__multiple__underscores', 'unit__multiple__underscores', 'gauge', 'metric_with_multiple_underscores_unit_multiple_underscores'],
    ['custom_metric', 'unit@with#special/chars', 'gauge', 'custom_metric_unit_with_special_per_chars'],
    ['queue.depth-max', '', 'gauge', 'queue_depth_max'],
    ['système.cpu', '', 'gauge', 'syst_me_cpu'],
    // Colons are valid in metric names.
    ['recording:rule', '', 'gauge', 'recording:rule'],
    // A leading digit gets an underscore; nothing valid left means no name.
    ['2xx.responses', '', 'monotonic_sum', '_2xx_responses_total'],
    ['@#$%', '', 'gauge', ''],
  ];
  it.each(cases)('%s [%s] as %s → %s', (name, unit, type, expected) => {
    expect(metricName(name, unit, type, SUFFIXES)).toBe(expected);
  });

  it('prefixes the namespace, sanitized, before the digit check', () => {
    expect(metricName('requests', '1/s', 'monotonic_sum', { namespace: 'app', addSuffixes: true })).toBe('app_requests_per_second_total');
    expect(metricName('123_requests', '', 'monotonic_sum', { namespace: 'app', addSuffixes: true })).toBe('app_123_requests_total');
    expect(metricName('metric', '', 'gauge', { namespace: 'test@namespace!!??', addSuffixes: true })).toBe('test_namespace_metric');
    expect(targetInfoName('')).toBe('target_info');
    expect(targetInfoName('ferry')).toBe('ferry_target_info');
  });
});

describe('metric names without suffixes (add_metric_suffixes: false)', () => {
  const cases: Array<[name: string, namespace: string, expected: string]> = [
    ['simple_metric', '', 'simple_metric'],
    ['metric@with#special$chars', '', 'metric_with_special_chars'],
    ['metric@@##$$name', '', 'metric_name'],
    ['123metric', '', '_123metric'],
    ['simple_metric', 'test_namespace', 'test_namespace_simple_metric'],
    ['metric', 'test@namespace!!??', 'test_namespace_metric'],
    ['http.requests', '', 'http_requests'],
    ['@#$%', '', ''],
  ];
  it.each(cases)('%s (namespace %j) → %s', (name, namespace, expected) => {
    expect(metricName(name, 's', 'monotonic_sum', { ...PLAIN, namespace })).toBe(expected);
  });
});

describe('units as words', () => {
  it.each([
    ['s', 'seconds'],
    ['By/s', 'bytes_per_second'],
    ['1/s', 'per_second'],
    ['1', ''],
    ['{packet}', ''],
    ['unit@with#special/chars', 'unit_with_special_per_chars'],
  ])('%s → %j', (unit, expected) => expect(unitName(unit)).toBe(expected));
});

describe('label names', () => {
  it.each([
    ['http.method', 'http_method'],
    ['label:with:colons', 'label_with_colons'],
    ['LabelWithCapitalLetters', 'LabelWithCapitalLetters'],
    ['label!with&special$chars)', 'label_with_special_chars_'],
    ['label.with.dots', 'label_with_dots'],
    // The spec: runs of _ collapse to one, so no attribute can make a reserved __ label.
    ['label_with_foreign_characters_字符', 'label_with_foreign_characters_'],
    ['__reserved__', '_reserved_'],
    ['_label_starting_with_underscore', '_label_starting_with_underscore'],
    ['123label', 'key_123label'],
    ['ようこそ', ''],
    ['', ''],
  ])('%j → %j', (key, expected) => expect(labelName(key)).toBe(expected));

  it('joins the values of keys that collide once sanitized, in the order of the original keys', () => {
    const labels = attributeLabels([
      ['foo.bar', 'b'],
      ['foo_bar', 'c'],
      ['foo-bar', 'a'],
      ['empty', ''],
      ['ok', 'v'],
    ]);
    expect([...labels]).toEqual([
      ['foo_bar', 'a;b;c'],
      ['ok', 'v'],
    ]);
  });
});

describe('floats as Go writes them', () => {
  it.each<[number, string, string]>([
    [0.005, '0.005', '0.005'],
    [1, '1', '1'],
    [100000, '100000', '100000'],
    [1e6, '1e+06', '1000000'],
    [1234567, '1.234567e+06', '1234567'],
    [0.0001, '0.0001', '0.0001'],
    [0.00001, '1e-05', '0.00001'],
    [1.5e-7, '1.5e-07', '0.00000015'],
    [-2.5, '-2.5', '-2.5'],
    [1e21, '1e+21', '1000000000000000000000'],
    [1e100, '1e+100', `1${'0'.repeat(100)}`],
    [Infinity, '+Inf', '+Inf'],
    [-Infinity, '-Inf', '-Inf'],
    [NaN, 'NaN', 'NaN'],
    [0, '0', '0'],
  ])('%d → g %s, f %s', (f, g, fixed) => {
    expect(formatGoG(f)).toBe(g);
    expect(formatGoF(f)).toBe(fixed);
  });
});
