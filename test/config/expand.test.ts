// Expansion of ${env:VAR}, ${VAR}, ${env:VAR:-default} and $$: the string forms,
// whole-value typing (number, boolean, text kept where the schema wants a string),
// warnings for unset variables, errors for unknown schemes, keys left alone.
import { describe, expect, it } from 'vitest';
import { expandString } from '../../src/config/expand.js';
import { loadConfig } from '../../src/config/index.js';
import { fakeComponents, MINIMAL } from './fake-components.js';

const env = { HOST: 'backend.example', PORT: '4318', EMPTY: '', YES: 'true', PIN: '0123', COLON: 'a: b' };

describe('expandString', () => {
  it.each([
    ['${env:HOST}', 'backend.example'],
    ['${HOST}', 'backend.example'],
    ['http://${env:HOST}:${PORT}/v1', 'http://backend.example:4318/v1'],
    ['${env:MISSING:-fallback}', 'fallback'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${env:HOST:-fallback}', 'backend.example'],
    ['${env:MISSING:-}', ''],
    // The default applies when the variable is unset, not when it is empty.
    ['${env:EMPTY:-fallback}', ''],
    ['price: $$5', 'price: $5'],
    ['$${env:HOST}', '${env:HOST}'],
    ['$$$${HOST}', '$${HOST}'],
    ['$$${HOST}', '$backend.example'],
    ['cost $5 and $', 'cost $5 and $'],
    ['unterminated ${env:HOST', 'unterminated ${env:HOST'],
    ['port ${env:PORT}', 'port 4318'],
  ])('%s → %s', (input, expected) => {
    const r = expandString(input, env);
    expect(r.problems).toEqual([]);
    expect(r.value).toBe(expected);
  });

  it('types a whole-value reference as YAML', () => {
    expect(expandString('${env:PORT}', env)).toEqual({ value: 4318, original: '4318', problems: [] });
    expect(expandString('${YES}', env)).toEqual({ value: true, original: 'true', problems: [] });
    expect(expandString('${env:MISSING:-2.5}', env)).toEqual({ value: 2.5, original: '2.5', problems: [] });
    expect(expandString('${env:HOST}', env)).toEqual({ value: 'backend.example', problems: [] });
    expect(expandString('${env:COLON}', env)).toEqual({ value: { a: 'b' }, original: 'a: b', problems: [] });
  });

  it('expands an unset variable to an empty string with a warning', () => {
    expect(expandString('${env:MISSING}', env)).toEqual({ value: '', problems: [{ severity: 'warning', message: 'environment variable MISSING is not set; using an empty string' }] });
  });

  it('rejects an unknown scheme and leaves the text as written', () => {
    const r = expandString('x ${foo:bar} y', env);
    expect(r.value).toBe('x ${foo:bar} y');
    expect(r.problems).toEqual([{ severity: 'error', message: 'unknown expansion scheme "foo" in "${foo:bar}"', fix: 'use ${env:VAR}, ${VAR}, ${env:VAR:-default}, ${file:PATH} or ${yaml:TEXT}; write $$ for a literal $' }]);
  });

  it('says which Collector schemes it does not resolve inside values, and what to do instead', () => {
    expect(expandString('${https://example.com/x}', env).problems[0]).toEqual({
      severity: 'error',
      message: 'the ${https:…} expansion inside a value is not supported by Ferry (it would fetch while loading)',
      fix: 'pass the URL as its own --config source, or download it and use ${file:PATH}',
    });
  });

  it('reads ${file:PATH}: a whole value typed as YAML, a part of a string as text, one trailing newline dropped', () => {
    const files: Record<string, string> = { '/run/token': 's3cr3t\n', '/run/port': '4317\n', '/run/ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
    const read = (p: string): string => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return text;
    };
    expect(expandString('${file:/run/token}', env, read)).toEqual({ value: 's3cr3t', problems: [] });
    expect(expandString('Bearer ${file:/run/token}', env, read)).toEqual({ value: 'Bearer s3cr3t', problems: [] });
    expect(expandString('${file:/run/port}', env, read)).toEqual({ value: 4317, original: '4317', problems: [] });
    // A PEM keeps its line breaks (it is a string, so the exact text is kept).
    expect(expandString('${file:/run/ca.pem}', env, read).value).toBe('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
    expect(expandString('${file:/run/${env:MISSING:-token}}', env, read).value).toBe('s3cr3t');
    expect(expandString('${file:/run/nope}', env, read).problems).toEqual([
      { severity: 'error', message: 'cannot read ${file:/run/nope}: file not found', fix: 'check the path (relative paths are from the directory Ferry starts in)' },
    ]);
  });

  it('reads ${yaml:TEXT}: a map, a list or a scalar, braces and all', () => {
    expect(expandString('${yaml:{a: 1, b: [x, y]}}', env)).toEqual({ value: { a: 1, b: ['x', 'y'] }, original: '{a: 1, b: [x, y]}', problems: [] });
    expect(expandString('${yaml:[1, 2]}', env).value).toEqual([1, 2]);
    expect(expandString('n=${yaml:5}', env).value).toBe('n=5');
  });

  it('expands a value that itself holds references, and nested defaults, and stops a cycle', () => {
    const vars = { ...env, URL: 'https://${env:HOST}:${PORT}', INDIRECT: '${env:URL}/v1', SELF: 'x${env:SELF}' };
    expect(expandString('${env:URL}', vars).value).toBe('https://backend.example:4318');
    expect(expandString('${env:INDIRECT}', vars).value).toBe('https://backend.example:4318/v1');
    expect(expandString('${env:MISSING:-${env:HOST}}', vars)).toEqual({ value: 'backend.example', problems: [] });
    const cycle = expandString('${env:SELF}', vars);
    expect(cycle.problems[0]?.message).toMatch(/more than 32 levels deep/);
    // An escaped reference in a variable's value is read once: it comes out literal.
    expect(expandString('${env:LIT}', { LIT: '$${env:HOST}', HOST: 'h' }).value).toBe('${env:HOST}');
  });

  it('rejects an invalid variable name', () => {
    expect(expandString('${env:1BAD}', env).problems[0]?.message).toBe('"1BAD" is not a valid environment variable name');
  });
});

const load = (text: string, vars: NodeJS.ProcessEnv) => loadConfig({ sources: [{ name: 'app.yaml', text }], env: vars, components: fakeComponents });

describe('expansion in loadConfig', () => {
  const config = `
receivers:
  otlp:
    protocols:
      grpc:
processors:
  batch:
    timeout: \${env:TIMEOUT}
    send_batch_size: \${env:SIZE}
exporters:
  otlphttp:
    endpoint: https://\${env:HOST}:\${PORT}
    headers:
      x-pin: \${env:PIN}
      \${env:HOST}: literal-key
    tls:
      insecure: \${env:YES}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
`;

  it('gives numbers and booleans for whole values, text inside strings, and strings where the schema wants them', async () => {
    const r = await load(config, { ...env, TIMEOUT: '5s', SIZE: '500' });
    expect(r.errors).toEqual([]);
    expect(r.config?.processors.get('batch')?.config).toEqual({ timeout: '5s', send_batch_size: 500, send_batch_max_size: 0 });
    expect(r.config?.exporters.get('otlphttp')?.config).toEqual({
      endpoint: 'https://backend.example:4318',
      // "0123" parses as the number 123, but headers are strings: the Collector keeps the text.
      headers: { 'x-pin': '0123', '${env:HOST}': 'literal-key' },
      tls: { insecure: true },
      timeout: '30s',
      compression: 'gzip',
      sending_queue: { enabled: true, queue_size: 1000 },
    });
  });

  it('warns about an unset variable, naming file and path', async () => {
    const r = await load(config, { ...env, TIMEOUT: '5s' });
    expect(r.warnings).toContain('app.yaml: processors.batch.send_batch_size: environment variable SIZE is not set; using an empty string');
    // The empty string then fails the schema, at the same place.
    expect(r.errors).toEqual([
      { file: 'app.yaml', path: 'processors.batch.send_batch_size', message: 'must be an integer, got the string ""', fix: 'set it to an integer (Items that trigger a send)' },
    ]);
  });

  it('reports a typed value the schema refuses', async () => {
    const r = await load(config, { ...env, TIMEOUT: '5s', SIZE: 'lots' });
    expect(r.errors).toEqual([
      { file: 'app.yaml', path: 'processors.batch.send_batch_size', message: 'must be an integer, got the string "lots"', fix: 'set it to an integer (Items that trigger a send)' },
    ]);
  });

  it('reports an unknown scheme with its file and path', async () => {
    const r = await load(config.replace('${env:TIMEOUT}', '${vault:secret/timeout}'), { ...env, SIZE: '1' });
    expect(r.errors).toContainEqual({
      file: 'app.yaml',
      path: 'processors.batch.timeout',
      message: 'unknown expansion scheme "vault" in "${vault:secret/timeout}"',
      fix: 'use ${env:VAR}, ${VAR}, ${env:VAR:-default}, ${file:PATH} or ${yaml:TEXT}; write $$ for a literal $',
    });
  });

  it('names the source of the reference, not the merged result', async () => {
    const r = await loadConfig({
      sources: [{ name: 'base.yaml', text: MINIMAL }, { name: 'extra.yaml', text: 'exporters:\n  debug:\n    verbosity: ${foo:x}\n' }],
      env,
      components: fakeComponents,
    });
    expect(r.errors[0]).toMatchObject({ file: 'extra.yaml', path: 'exporters.debug.verbosity' });
  });
});
