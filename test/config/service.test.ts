// The service section: pipeline graph checks (undefined ids, empty lists, signal
// support, repeats, pipeline ids), service.extensions, unused components, telemetry.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { fakeComponents } from './fake-components.js';

const COMPONENTS = `
receivers:
  otlp:
    protocols:
      grpc:
  script:
processors:
  batch:
  attributes:
exporters:
  debug:
  prometheus:
extensions:
  health_check:
`;

const load = (service: string, components = COMPONENTS) =>
  loadConfig({ sources: [{ name: 's.yaml', text: `${components}\nservice:\n${service}` }], env: {}, components: fakeComponents });

describe('pipelines', () => {
  it('resolves several pipelines, named ones included', async () => {
    const r = await load(`
  extensions: [health_check]
  pipelines:
    logs:
      receivers: [otlp, script]
      processors: [attributes, batch]
      exporters: [debug]
    metrics/scrape:
      receivers: [otlp]
      exporters: [prometheus, debug]
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.config?.pipelines).toEqual([
      { id: 'logs', signal: 'logs', receivers: ['otlp', 'script'], processors: ['attributes', 'batch'], exporters: ['debug'] },
      { id: 'metrics/scrape', signal: 'metrics', receivers: ['otlp'], processors: [], exporters: ['prometheus', 'debug'] },
    ]);
    expect(r.config?.serviceExtensions).toEqual(['health_check']);
    expect(r.config?.extensions.get('health_check')).toEqual({ kind: 'extension', id: 'health_check', type: 'health_check', config: { endpoint: '127.0.0.1:13133' } });
  });

  it('reports undefined ids with the nearest one and the defined ones', async () => {
    const r = await load(`
  pipelines:
    logs:
      receivers: [otlp/2]
      processors: [bacth]
      exporters: [debug, zipkin]
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.pipelines.logs.receivers[0]', message: 'receiver "otlp/2" is not defined', fix: 'did you mean "otlp"? define it under receivers:, or use one of: otlp, script' },
      { file: 's.yaml', path: 'service.pipelines.logs.processors[0]', message: 'processor "bacth" is not defined', fix: 'did you mean "batch"? define it under processors:, or use one of: attributes, batch' },
      { file: 's.yaml', path: 'service.pipelines.logs.exporters[1]', message: 'exporter "zipkin" is not defined', fix: 'define it under exporters:, or use one of: debug, prometheus' },
    ]);
  });

  it('requires receivers and exporters in every pipeline', async () => {
    const r = await load(`
  pipelines:
    logs:
      receivers: []
    traces:
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.pipelines.logs.receivers', message: 'pipeline "logs" has no receivers', fix: 'list at least one receiver defined under receivers: (defined: otlp, script)' },
      { file: 's.yaml', path: 'service.pipelines.logs.exporters', message: 'pipeline "logs" has no exporters', fix: 'list at least one exporter defined under exporters: (defined: debug, prometheus)' },
      { file: 's.yaml', path: 'service.pipelines.traces.receivers', message: 'pipeline "traces" has no receivers', fix: 'list at least one receiver defined under receivers: (defined: otlp, script)' },
      { file: 's.yaml', path: 'service.pipelines.traces.exporters', message: 'pipeline "traces" has no exporters', fix: 'list at least one exporter defined under exporters: (defined: debug, prometheus)' },
    ]);
  });

  it('refuses a component in a pipeline of a signal it does not support', async () => {
    const r = await load(`
  pipelines:
    traces:
      receivers: [script]
      processors: [attributes]
      exporters: [debug]
    logs:
      receivers: [otlp]
      exporters: [prometheus]
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.pipelines.traces.receivers[0]', message: 'receiver "script" (type script) does not support traces', fix: 'it supports logs; remove it from pipeline "traces"' },
      { file: 's.yaml', path: 'service.pipelines.logs.exporters[0]', message: 'exporter "prometheus" (type prometheus) does not support logs', fix: 'it supports metrics; remove it from pipeline "logs"' },
    ]);
  });

  it('refuses a processor listed twice; a repeated receiver or exporter is used once, with a warning', async () => {
    const r = await load(`
  pipelines:
    logs:
      receivers: [otlp, otlp]
      processors: [batch, attributes, batch]
      exporters: [debug]
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.pipelines.logs.processors[2]', message: 'processor "batch" is listed more than once in pipeline "logs"', fix: 'remove the repeat; for a second instance define batch/<name> with its own settings' },
    ]);
    expect(r.warnings).toContain('s.yaml: service.pipelines.logs.receivers[1]: receiver "otlp" is listed more than once in pipeline "logs"; it is used once');
  });

  it('dedupes a repeated receiver in the resolved pipeline', async () => {
    const r = await load(`
  pipelines:
    logs:
      receivers: [otlp, otlp]
      exporters: [debug, debug]
`);
    expect(r.errors).toEqual([]);
    expect(r.config?.pipelines[0]).toEqual({ id: 'logs', signal: 'logs', receivers: ['otlp'], processors: [], exporters: ['debug'] });
  });

  it('refuses unknown signals and malformed pipeline ids', async () => {
    const r = await load(`
  pipelines:
    lgos:
      receivers: [otlp]
      exporters: [debug]
    profiles:
      receivers: [otlp]
      exporters: [debug]
    logs/:
      receivers: [otlp]
      exporters: [debug]
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.pipelines.lgos', message: 'unknown signal "lgos" in pipeline id "lgos"', fix: 'did you mean "logs"? a pipeline id is logs, traces or metrics, optionally followed by /name' },
      { file: 's.yaml', path: 'service.pipelines.profiles', message: 'unknown signal "profiles" in pipeline id "profiles"', fix: 'a pipeline id is logs, traces or metrics, optionally followed by /name' },
      { file: 's.yaml', path: 'service.pipelines.logs/', message: 'invalid pipeline id "logs/": the name after / must not be empty', fix: 'pipeline ids are signal or signal/name, e.g. logs/backend' },
    ]);
  });

  it('refuses unknown keys in a pipeline and in service', async () => {
    const r = await load(`
  pipeline: {}
  pipelines:
    logs:
      receivers: [otlp]
      exporter: [debug]
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.pipeline', message: 'unknown key "pipeline"', fix: 'did you mean "pipelines"? known keys: extensions, pipelines, telemetry' },
      { file: 's.yaml', path: 'service.pipelines.logs.exporter', message: 'unknown key "exporter"', fix: 'did you mean "exporters"? known keys: exporters, processors, receivers' },
      { file: 's.yaml', path: 'service.pipelines.logs.exporters', message: 'pipeline "logs" has no exporters', fix: 'list at least one exporter defined under exporters: (defined: debug, prometheus)' },
    ]);
  });

  it('requires at least one pipeline', async () => {
    for (const service of ['  pipelines: {}\n', '  extensions: []\n']) {
      const r = await load(service);
      expect(r.errors).toEqual([
        { file: 's.yaml', path: 'service.pipelines', message: 'the configuration has no pipelines', fix: 'add service.pipelines with at least one pipeline, e.g. logs: {receivers: [otlp], exporters: [debug]}' },
      ]);
    }
    const none = await loadConfig({ sources: [{ name: 'n.yaml', text: 'exporters:\n  debug:\n' }], env: {}, components: fakeComponents });
    expect(none.errors).toEqual([expect.objectContaining({ file: 'n.yaml', path: 'service.pipelines', message: 'the configuration has no pipelines' })]);
  });
});

describe('service.extensions and unused components', () => {
  it('refuses an undefined or repeated extension', async () => {
    const r = await load(`
  extensions: [health_check, healthcheck, health_check]
  pipelines:
    logs: {receivers: [otlp], exporters: [debug]}
`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.extensions[1]', message: 'extension "healthcheck" is not defined', fix: 'did you mean "health_check"? define it under extensions:, or use one of: health_check' },
      { file: 's.yaml', path: 'service.extensions[2]', message: 'extension "health_check" is listed more than once', fix: 'remove the repeat' },
    ]);
  });

  it('warns about components no pipeline uses, and leaves them out', async () => {
    const r = await load(`
  pipelines:
    logs: {receivers: [otlp], exporters: [debug]}
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      's.yaml: receivers.script: receiver "script" is defined but not used in any pipeline; Ferry ignores it, as the Collector does',
      's.yaml: processors.batch: processor "batch" is defined but not used in any pipeline; Ferry ignores it, as the Collector does',
      's.yaml: processors.attributes: processor "attributes" is defined but not used in any pipeline; Ferry ignores it, as the Collector does',
      's.yaml: exporters.prometheus: exporter "prometheus" is defined but not used in any pipeline; Ferry ignores it, as the Collector does',
      's.yaml: extensions.health_check: extension "health_check" is defined but not used in service.extensions; Ferry ignores it, as the Collector does',
    ]);
    expect([...(r.config?.receivers.keys() ?? [])]).toEqual(['otlp']);
    expect(r.config?.processors.size).toBe(0);
    expect([...(r.config?.exporters.keys() ?? [])]).toEqual(['debug']);
    expect(r.config?.extensions.size).toBe(0);
  });

  it('still validates unused components', async () => {
    const components = COMPONENTS.replace('exporters:\n', 'exporters:\n  otlphttp/unused:\n    endpoint: 5\n');
    const r = await load('  pipelines:\n    logs: {receivers: [otlp], exporters: [debug]}\n', components);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'exporters.otlphttp/unused.endpoint', message: 'must be a string, got the number 5', fix: 'set it to a string (Base URL of the backend)' },
    ]);
  });
});

describe('telemetry', () => {
  const pipelines = '  pipelines:\n    logs: {receivers: [otlp], exporters: [debug]}\n';
  const minimal = 'receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n';
  const telemetry = (t: string) => load(`${pipelines}  telemetry:\n${t}`, minimal);

  it('defaults to metrics on 127.0.0.1:8888 and info logs on the console', async () => {
    const r = await load(pipelines, minimal);
    expect(r.config?.telemetry).toEqual({ metrics: { address: '127.0.0.1:8888' }, logs: { level: 'info', encoding: 'console' } });
  });

  it('takes metrics.address, logs.level and logs.encoding (zap accepts INFO too)', async () => {
    const r = await telemetry('    metrics:\n      address: 0.0.0.0:9999\n      level: detailed\n    logs:\n      level: DEBUG\n      encoding: json\n');
    expect(r.errors).toEqual([]);
    expect(r.config?.telemetry).toEqual({ metrics: { address: '0.0.0.0:9999' }, logs: { level: 'debug', encoding: 'json' } });
  });

  it('turns the endpoint off with level: none', async () => {
    const r = await telemetry('    metrics:\n      level: none\n      address: 127.0.0.1:9999\n');
    expect(r.config?.telemetry.metrics.address).toBeUndefined();
  });

  it('accepts the readers form', async () => {
    const r = await telemetry('    metrics:\n      readers:\n        - pull:\n            exporter:\n              prometheus:\n                host: 0.0.0.0\n                port: 9090\n');
    expect(r.errors).toEqual([]);
    expect(r.config?.telemetry.metrics.address).toBe('0.0.0.0:9090');
    const v6 = await telemetry('    metrics:\n      readers:\n        - pull: {exporter: {prometheus: {host: "::1"}}}\n      address: 127.0.0.1:1\n');
    expect(v6.config?.telemetry.metrics.address).toBe('[::1]:8888');
    expect(v6.warnings).toContain('s.yaml: service.telemetry.metrics.address: ignored because metrics.readers is set');
  });

  it('refuses push readers, several pull readers and a reader without pull', async () => {
    const pull = '        - pull: {exporter: {prometheus: {port: 1111}}}\n';
    const r = await telemetry(`    metrics:\n      readers:\n${pull}${pull}        - periodic: {exporter: {otlp: {}}}\n        - {}\n`);
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.telemetry.metrics.readers[2].periodic', message: 'periodic (push) metric readers are not supported by Ferry yet', fix: 'use a pull reader with a prometheus exporter and scrape it' },
      { file: 's.yaml', path: 'service.telemetry.metrics.readers[3]', message: 'a metric reader needs pull:', fix: 'write pull: {exporter: {prometheus: {host: 127.0.0.1, port: 8888}}}' },
      { file: 's.yaml', path: 'service.telemetry.metrics.readers', message: '2 pull readers configured; Ferry serves its metrics on one endpoint', fix: 'keep one pull reader' },
    ]);
  });

  it('refuses bad values and unknown keys with suggestions', async () => {
    const r = await telemetry('    metrics:\n      adress: x\n      level: verbose\n    logs:\n      level: trace\n      encoding: text\n');
    expect(r.errors).toEqual([
      { file: 's.yaml', path: 'service.telemetry.metrics.adress', message: 'unknown key "adress"', fix: 'did you mean "address"? known keys: address, level, readers' },
      { file: 's.yaml', path: 'service.telemetry.metrics.level', message: '"verbose" is not one of none, basic, normal, detailed', fix: 'use one of: none, basic, normal, detailed' },
      { file: 's.yaml', path: 'service.telemetry.logs.level', message: '"trace" is not one of debug, info, warn, error', fix: 'use one of: debug, info, warn, error' },
      { file: 's.yaml', path: 'service.telemetry.logs.encoding', message: '"text" is not one of console, json', fix: 'use one of: console, json' },
    ]);
    const addr = await telemetry('    metrics:\n      address: localhost\n');
    expect(addr.errors[0]).toMatchObject({ path: 'service.telemetry.metrics.address', message: '"localhost" does not match the pattern ^(\\[[^\\]]*\\]|[^:\\[\\]]*):[0-9]{1,5}$' });
  });

  it('accepts Collector telemetry settings Ferry does not act on, with a warning', async () => {
    const r = await telemetry('    resource:\n      service.name: x\n    logs:\n      development: true\n      output_paths: [stderr]\n');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      's.yaml: service.telemetry.resource: accepted for compatibility with the OpenTelemetry Collector, but Ferry ignores it',
      's.yaml: service.telemetry.logs.development: accepted for compatibility with the OpenTelemetry Collector, but Ferry ignores it',
      's.yaml: service.telemetry.logs.output_paths: accepted for compatibility with the OpenTelemetry Collector, but Ferry ignores it',
    ]);
  });

  it('reads telemetry values from the environment, typed', async () => {
    const r = await loadConfig({
      sources: [{ name: 'e.yaml', text: `${minimal}service:\n${pipelines}  telemetry:\n    metrics:\n      readers:\n        - pull:\n            exporter:\n              prometheus:\n                host: \${env:H}\n                port: \${env:P}\n` }],
      env: { H: '127.0.0.1', P: '9464' },
      components: fakeComponents,
    });
    expect(r.errors).toEqual([]);
    expect(r.config?.telemetry.metrics.address).toBe('127.0.0.1:9464');
  });
});

describe('a batch processor in front of a persistent queue', () => {
  const config = (batch: string, queue: string) => `
receivers:
  otlp:
    protocols:
      http:
processors:
  batch:${batch}
exporters:
  otlp_http/backend:
    endpoint: http://127.0.0.1:4319
    sending_queue:${queue}
extensions:
  file_storage/queue:
    directory: /tmp/ferry-validate-test
    create_directory: true
service:
  extensions: [file_storage/queue]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp_http/backend]
`;
  const load = async (text: string) => {
    const { components } = await import('../../src/components.js');
    return loadConfig({ sources: [{ name: 'c.yaml', text }], env: {}, components });
  };

  it('warns that the processor\'s buffer dies with the process, and names the fix', async () => {
    const r = await load(config('', '\n      storage: file_storage/queue'));
    expect(r.errors).toEqual([]);
    const warning = r.warnings.find((w) => w.includes('answers senders before'));
    expect(warning).toMatch(/^c\.yaml: service\.pipelines\.logs\.processors\[0\]: processor "batch" answers senders before what it holds reaches the persistent queue of exporter "otlp_http\/backend"/);
    expect(warning).toContain('set sending_queue.batch: {} on otlp_http/backend');
  });

  it('says nothing for a memory queue, a processor that waits for the result, or batching in the queue', async () => {
    for (const [batch, queue] of [
      ['', '\n      enabled: true'],
      ['\n    wait_for_result: true', '\n      storage: file_storage/queue'],
      ['', '\n      enabled: false\n      storage: file_storage/queue'],
    ]) {
      const r = await load(config(batch as string, queue as string));
      expect(r.errors).toEqual([]);
      expect(r.warnings.filter((w) => w.includes('answers senders before'))).toEqual([]);
    }
  });
});
