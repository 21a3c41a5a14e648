// The receiver's configuration through the real loader: defaults, ${env:} in the resource,
// exactly one source, keys that belong to another source, and ferry exec's relaxed rule.
import { describe, expect, it } from 'vitest';
import { components } from '../../../src/components.js';
import { formatConfigErrors, loadConfig } from '../../../src/config/index.js';
import { execReceiverFactory } from '../../../src/receivers/stdout_markers/index.js';
import type { StdoutMarkersConfig } from '../../../src/receivers/stdout_markers/index.js';
import type { Components, ReceiverFactory } from '../../../src/component.js';

function yaml(receiver: string): string {
  return `receivers:
  stdout_markers:
${receiver
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [stdout_markers]
      exporters: [debug]
`;
}

async function load(receiver: string, env: NodeJS.ProcessEnv = {}, registry: Components = components) {
  const { config, errors } = await loadConfig({ sources: [{ name: 'test.yaml', text: yaml(receiver) }], env, components: registry });
  return { config: config?.receivers.get('stdout_markers')?.config as StdoutMarkersConfig | undefined, errors: formatConfigErrors(errors) };
}

describe('stdout_markers config', () => {
  it('fills the defaults and expands ${env:} in the resource', async () => {
    const { config, errors } = await load('command: [./step.sh]\nresource:\n  service.name: ${env:SVC}\n  step_id: ${env:STEP:-build}\n  attempt: 2', { SVC: 'etl' });
    expect(errors).toBe('');
    expect(config).toMatchObject({
      command: ['./step.sh'],
      resource: { 'service.name': 'etl', step_id: 'build', attempt: 2 },
      start_at: 'end',
      stdout_level: 'INFO',
      stderr_level: 'WARN',
      max_line_bytes: 1_048_576,
      poll_interval: '200ms',
      force_flush_period: '500ms',
      include_file_name: true,
      stdin: false,
      retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '0' },
    });
  });

  it('accepts each source alone', async () => {
    expect((await load('path: /var/log/x.log\nstart_at: beginning')).errors).toBe('');
    expect((await load('stdin: true')).errors).toBe('');
    expect((await load('command: [sh, -c, "echo hi"]\ncwd: /tmp\nenv:\n  A: "1"\n  PORT: 8080')).errors).toBe('');
  });

  it('needs a source', async () => {
    expect((await load('resource: {a: b}')).errors).toBe(
      'test.yaml: receivers.stdout_markers: no source: the receiver needs exactly one of command, path or stdin (fix: add `command: [prog, arg…]`, `path: /var/log/step.log` or `stdin: true` (or run the command under `ferry exec -- CMD`, which supplies it))',
    );
  });

  it('takes only one source', async () => {
    expect((await load('command: [a]\npath: /x')).errors).toContain('receivers.stdout_markers.path: only one source may be set, found command, path');
  });

  it('rejects keys of another source', async () => {
    expect((await load('path: /x\ncwd: /tmp')).errors).toContain('receivers.stdout_markers.cwd: cwd applies only to command: (fix: remove cwd, or set command:)');
    expect((await load('stdin: true\nstorage: file_storage')).errors).toContain('receivers.stdout_markers.storage: storage checkpoints a followed file');
  });

  it('rejects unknown keys, bad levels and tiny limits with the schema', async () => {
    expect((await load('stdin: true\ncomand: [x]')).errors).toContain('unknown key "comand"');
    expect((await load('stdin: true\nstderr_level: LOUD')).errors).toContain('stderr_level');
    expect((await load('stdin: true\nmax_line_bytes: 1')).errors).toContain('max_line_bytes');
    expect((await load('command: []')).errors).toContain('command');
    expect((await load('path: /x\npoll_interval: 0')).errors).toContain('poll_interval: must be greater than 0');
  });

  it('under ferry exec, needs no source', async () => {
    const binding = { argv: ['true'], tee: { stdout: process.stdout, stderr: process.stderr }, baseResource: {}, overrideResource: {}, created: () => undefined };
    const registry: Components = { ...components, receivers: new Map(components.receivers).set('stdout_markers', execReceiverFactory(binding) as ReceiverFactory) };
    expect((await load('resource: {a: b}\nenv: {X: y}', {}, registry)).errors).toBe('');
  });
});
