// The processors through the real `ferry` binary: `ferry components` lists each with its
// signals, and `ferry validate` reports every processor mistake at once with path and fix.
import { describe, expect, it } from 'vitest';
import { runFerryToEnd, writeConfig } from '../helpers/ferry.js';

describe('ferry and the processors', () => {
  it('lists each processor with its signals', async () => {
    const { code, stdout } = await runFerryToEnd(['components']);
    expect(code).toBe(0);
    for (const type of ['batch', 'memory_limiter', 'resource', 'attributes', 'filter']) {
      expect(stdout).toMatch(new RegExp(`^processor\\s+${type}\\s+logs,traces,metrics\\s+\\S`, 'm'));
    }
  });

  it('validate rejects a bad regexp, an unknown action, a missing value, send_batch_max_size < send_batch_size, OTTL, with path and fix', async () => {
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
processors:
  attributes/bad:
    actions:
      - {key: user, action: hush}
      - {key: env, action: insert}
      - {pattern: "(unclosed", action: delete}
  batch:
    send_batch_size: 100
    send_batch_max_size: 10
  filter:
    logs:
      log_record: ['severity_number < ']
  memory_limiter:
    limit_mib: 100
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [memory_limiter, attributes/bad, filter, batch]
      exporters: [debug]
`);
    const { code, stderr } = await runFerryToEnd(['validate', '--config', config]);
    expect(code).toBe(1);
    const lines = stderr.split('\n').map((l) => l.replace(/^.*config\.yaml: /, ''));
    expect(lines).toContain('processors.attributes/bad.actions[0].action: unknown action "hush" (fix: did you mean "hash"? use one of: insert, update, upsert, delete, hash, extract, convert)');
    expect(lines).toContain('processors.attributes/bad.actions[1]: action insert needs a value source (fix: add one of value, from_attribute or from_context)');
    expect(lines.some((l) => /^processors\.attributes\/bad\.actions\[2\]\.pattern: invalid regular expression "\(unclosed": Invalid regular expression: .*Unterminated group \(fix: /.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('processors.batch.send_batch_max_size: send_batch_max_size (10) must be greater than or equal to send_batch_size (100)'))).toBe(true);
    expect(lines.some((l) => l.startsWith('processors.filter.logs.log_record[0]: column 19: expected a value but found the end of the statement'))).toBe(true);
    expect(lines).toContain('processors.memory_limiter.check_interval: check_interval must be greater than zero (fix: set check_interval: 1s)');
  });
});
