// file_log configuration through the real loader: the Collector's filelog config validates
// (with a warning naming file_log), defaults are the Collector's, and mistakes name their path.
import { describe, expect, it } from 'vitest';
import { components } from '../../../src/components.js';
import { loadConfig } from '../../../src/config/index.js';
import { compileExpr } from '../../../src/receivers/file_log/expr.js';
import { compileSeverity } from '../../../src/receivers/file_log/severity.js';
import { compileTimeParser } from '../../../src/receivers/file_log/timeparse.js';
import type { Entry } from '../../../src/receivers/file_log/entry.js';
import { parseByteSize } from '../../../src/receivers/file_log/config.js';

const load = (receiver: string) =>
  loadConfig({
    sources: [{ name: 'c.yaml', text: `receivers:\n${receiver}\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    logs:\n      receivers: [${/^ {2}(\S+):/m.exec(receiver)?.[1]}]\n      exporters: [debug]\n` }],
    env: {},
    components,
  });

describe('file_log configuration', () => {
  it('accepts the Helm chart daemonset-style filelog config under its old name, with a warning, and fills the Collector defaults', async () => {
    const r = await load(`  filelog:
    include: [/var/log/pods/*/*/*.log]
    exclude: [/var/log/pods/*/otel-collector/*.log]
    start_at: end
    include_file_path: true
    include_file_name: false
    operators:
      - type: container
        id: container-parser
      - type: move
        from: attributes.log
        to: body
        if: 'attributes.log != nil'`);
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).toContain('"filelog" is deprecated; its current name is "file_log"');
    const cfg = r.config?.receivers.get('filelog')?.config as Record<string, unknown>;
    expect(cfg).toMatchObject({ start_at: 'end', poll_interval: '200ms', fingerprint_size: '1kb', max_log_size: '1MiB', max_concurrent_files: 1024, encoding: 'utf-8', force_flush_period: '500ms' });
  });

  it('names the path and the fix of a bad operator, regex, encoding or multiline', async () => {
    const r = await load(`  file_log:
    include: [/x/*.log]
    encoding: utf-16le
    multiline: {line_start_pattern: '^\\d', line_end_pattern: '$'}
    operators:
      - type: regex_parser
        regex: '^(?P<a>[a-z+$'
      - type: json_parser
        output: nowhere
      - type: frobnicate
      - type: router
        routes: [{expr: 'body matches', output: json_parser}]`);
    const got = r.errors.map((e) => `${e.path}: ${e.message}`);
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^receivers\.file_log\.encoding: encoding "utf-16le" is not supported/),
        expect.stringMatching(/^receivers\.file_log\.multiline: set exactly one of/),
        expect.stringMatching(/^receivers\.file_log\.operators\[0\]\.regex: invalid regex/),
        expect.stringMatching(/^receivers\.file_log\.operators\[1\]\.output: no operator has the id "nowhere"/),
        expect.stringMatching(/^receivers\.file_log\.operators\[2\]\.type: unknown operator type "frobnicate"/),
        expect.stringMatching(/^receivers\.file_log\.operators\[3\]\.routes\[0\]\.expr: invalid expression/),
      ]),
    );
  });

  it('reads byte sizes as the Collector writes them', () => {
    expect([parseByteSize(1000), parseByteSize('1kb'), parseByteSize('1KiB'), parseByteSize('16MiB'), parseByteSize('2 MB')]).toEqual([1000, 1000, 1024, 16 * 1024 * 1024, 2_000_000]);
    expect(() => parseByteSize('lots')).toThrow('is not a byte size');
  });
});

const entry = (body: unknown, attributes: Record<string, unknown> = {}): Entry => ({ body, attributes, resource: { 'host.name': 'h1' }, timestamp: undefined, observedTimestamp: 0n, severity: 0, severityText: undefined });

describe('expressions, severity and time layouts', () => {
  it('evaluates the common expression forms', () => {
    const cases: [string, Entry, boolean][] = [
      ['body matches "^\\\\{"', entry('{"a":1}'), true],
      ['body matches "^\\\\{"', entry('plain'), false],
      ['attributes.level == "error"', entry('x', { level: 'error' }), true],
      ['attributes["log.iostream"] == "stderr" and not (body contains "ok")', entry('failed', { 'log.iostream': 'stderr' }), true],
      ['attributes.level == "error" || resource["host.name"] == "h1"', entry('x'), true],
      ['body.code >= 500', entry({ code: 503 }), true],
      ['attributes.missing != nil', entry('x'), false],
      ['body startsWith "GET " && body endsWith "200"', entry('GET /x 200'), true],
      ['body matches "(?i)^error"', entry('ERROR: x'), true],
    ];
    for (const [src, e, want] of cases) expect([src, compileExpr(src)(e)]).toEqual([src, want]);
    expect(() => compileExpr('level == "x"')).toThrow('unknown name "level"');
  });

  it('maps severities with the default preset, a user mapping, ranges and HTTP classes', () => {
    const p = compileSeverity({ parse_from: 'body', mapping: { warn: 'hmm', error: ['oops', 'E'], info: '2xx', fatal: { min: 500, max: 599 } } });
    const got = ['WARNING', 'err', 'Info', 'hmm', 'E', 201, '503', 'debug3', 'unheard of'].map((v) => p.parse(v).number);
    expect(got).toEqual([13, 17, 9, 13, 17, 9, 21, 7, 0]);
    expect(compileSeverity({ parse_from: 'body', overwrite_text: true }).parse('warning').text).toBe('WARN');
    expect(() => compileSeverity({ parse_from: 'body', mapping: { loud: 'x' } })).toThrow('unknown severity "loud"');
  });

  it('parses strptime, Go and epoch layouts to nanoseconds', () => {
    const at = (type: 'strptime' | 'gotime' | 'epoch', layout: string, value: unknown, location?: string) => String(compileTimeParser(type, layout, location).parse(value));
    expect(at('strptime', '%Y-%m-%dT%H:%M:%S.%f%z', '2024-05-01T10:00:00.123456+02:00')).toBe('1714550400123456000');
    expect(at('strptime', '%d/%b/%Y:%H:%M:%S %z', '01/May/2024:10:00:00 +0000')).toBe('1714557600000000000');
    expect(at('strptime', '%Y-%m-%d %H:%M:%S', '2024-05-01 12:00:00', 'Europe/Berlin')).toBe('1714557600000000000');
    expect(at('strptime', '%m/%d/%Y %I:%M:%S %p', '05/01/2024 10:00:00 PM', 'UTC')).toBe('1714600800000000000');
    expect(at('gotime', '2006-01-02T15:04:05.000000000Z07:00', '2024-05-01T10:00:00.000000007Z')).toBe('1714557600000000007');
    expect(at('gotime', 'Jan _2 15:04:05 2006', 'May  1 10:00:00 2024', 'UTC')).toBe('1714557600000000000');
    expect(at('gotime', '2006-01-02 15:04:05 MST', '2024-05-01 10:00:00.5 UTC')).toBe('1714557600500000000');
    expect(at('epoch', 's', 1714557600)).toBe('1714557600000000000');
    expect(at('epoch', 's.ms', '1714557600.123')).toBe('1714557600123000000');
    expect(at('epoch', 'ms', '1714557600123')).toBe('1714557600123000000');
    expect(at('epoch', 'ns', 1714557600000000000n.toString())).toBe('1714557600000000000');
    expect(() => at('strptime', '%Y-%m-%d', 'yesterday')).toThrow('does not match the layout');
    expect(() => compileTimeParser('strptime', '%Y', 'Mars/Olympus')).toThrow('unknown location');
  });
});
