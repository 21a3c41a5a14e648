// The file_log receiver over real files: globs, rotation by rename and by copy-truncate,
// multiline Java stack traces, Docker and CRI container logs, parsers with severity and time,
// and offsets stored only for delivered lines.
import { appendFileSync, copyFileSync, mkdirSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Extension, Host } from '../../../src/component.js';
import { fileStorageExtension } from '../../../src/extensions/file_storage/index.js';
import type { FileStorageConfig } from '../../../src/extensions/file_storage/index.js';
import type { LogRecord } from '../../../src/pdata/types.js';
import { tempDir } from '../../helpers/ferry.js';
import { testContext, testHost, waitFor } from '../../helpers/index.js';
import { GateConsumer, attrs, bodies, stop, stopAll, summary, tail } from './helpers.js';

afterEach(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hostWith = (id: string, ext: Extension): Host => ({ getExtension: (x) => (x === id ? ext : undefined), state: 'running' });

function resourcesOf(logs: GateConsumer): { resource: Record<string, unknown>; bodies: unknown[] }[] {
  return logs.batches.flatMap((b) => (b.signal === 'logs' ? b.resources.map((r) => ({ resource: attrs(r.resource?.attributes), bodies: bodies(r.scopeLogs.flatMap((s) => s.logRecords)) })) : []));
}

describe('file_log receiver: files', () => {
  it('reads the files include matches and exclude does not, with log.file.name and log.file.path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.log'), 'a1\na2\n');
    writeFileSync(join(dir, 'b.log'), 'b1\n');
    writeFileSync(join(dir, 'skip.log'), 'never\n');
    writeFileSync(join(dir, 'c.txt'), 'never\n');
    const { logs } = await tail({ include: [join(dir, '*.log')], exclude: [join(dir, 'skip*')], include_file_path: true });
    await waitFor(() => logs.records().length === 3, 'three lines');
    await sleep(100);
    const got = logs.records().map((r) => [r.body?.stringValue, attrs(r.attributes)]);
    expect(got).toEqual([
      ['a1', { 'log.file.name': 'a.log', 'log.file.path': join(dir, 'a.log') }],
      ['a2', { 'log.file.name': 'a.log', 'log.file.path': join(dir, 'a.log') }],
      ['b1', { 'log.file.name': 'b.log', 'log.file.path': join(dir, 'b.log') }],
    ]);
    expect(logs.records().every((r) => r.timeUnixNano === undefined && Number(r.observedTimeUnixNano) > 0)).toBe(true);
  });

  it('start_at: end skips what files hold at startup but reads files that appear later from their start', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'old.log'), 'before\n');
    const { logs } = await tail({ include: [join(dir, '*.log')], start_at: 'end' });
    appendFileSync(join(dir, 'old.log'), 'after\n');
    writeFileSync(join(dir, 'new.log'), 'new 1\nnew 2\n');
    await waitFor(() => logs.records().length === 3, 'three lines');
    expect(bodies(logs.records()).sort()).toEqual(['after', 'new 1', 'new 2']);
  });

  it('resolves symlinks for log.file.name_resolved and log.file.path_resolved', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'target.log'), 'x\n');
    symlinkSync(join(dir, 'real', 'target.log'), join(dir, 'link.log'));
    const { logs } = await tail({ include: [join(dir, 'link.log')], include_file_name_resolved: true, include_file_path_resolved: true });
    await waitFor(() => logs.records().length === 1, 'the line');
    expect(attrs(logs.records()[0]?.attributes)).toEqual({
      'log.file.name': 'link.log',
      'log.file.name_resolved': 'target.log',
      'log.file.path_resolved': join(dir, 'real', 'target.log'),
    });
  });

  it('rotation by rename: finishes the old file (still matched as app.log.1) and reads the new one, no line twice', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.log');
    writeFileSync(path, '');
    const { logs } = await tail({ include: [join(dir, 'app.log*')] });
    for (let i = 0; i < 50; i++) appendFileSync(path, `first ${i} ${'x'.repeat(40)}\n`);
    await waitFor(() => logs.records().length === 50, 'the first 50');
    appendFileSync(path, 'first last\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'second 0\nsecond 1\n');
    await waitFor(() => logs.records().length === 53, 'all lines');
    await sleep(150);
    const got = bodies(logs.records()) as string[];
    expect(got.length).toBe(53);
    expect(new Set(got).size).toBe(53);
    // The rotated file's last line comes before its successor's first.
    expect(got.indexOf('first last')).toBeLessThan(got.indexOf('second 0'));
  });

  it('rotation by rename to a name include does not match: the old file is still read to its end', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.log');
    writeFileSync(path, 'a1\n');
    const { logs } = await tail({ include: [path] });
    await waitFor(() => logs.records().length === 1, 'a1');
    appendFileSync(path, 'a2\n');
    renameSync(path, join(dir, 'app.old'));
    writeFileSync(path, 'b1\n');
    await waitFor(() => logs.records().length === 3, 'all');
    expect(bodies(logs.records())).toEqual(['a1', 'a2', 'b1']);
  });

  it('rotation by copy-truncate: the copy (matched too) is known by its fingerprint and not read again; the truncated file starts over', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.log');
    writeFileSync(path, '');
    const { logs } = await tail({ include: [join(dir, 'app.log*')] });
    for (let i = 0; i < 20; i++) appendFileSync(path, `line ${i} of the original file\n`);
    await waitFor(() => logs.records().length === 20, '20 lines');
    // Written after the last poll, copied, then truncated: only the copy has it.
    appendFileSync(path, 'tail before the copy\n');
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    await sleep(80);
    appendFileSync(path, 'after truncate 1\nafter truncate 2\n');
    await waitFor(() => logs.records().length >= 23, 'the tail and the new lines');
    await sleep(200);
    const got = bodies(logs.records()) as string[];
    expect(got.slice(20).sort()).toEqual(['after truncate 1', 'after truncate 2', 'tail before the copy']);
    expect(new Set(got).size).toBe(got.length);
  });

  it('copy-truncate with only the live file matched: lines after the truncation are read from the start', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.log');
    writeFileSync(path, 'x1\nx2\n');
    const { logs } = await tail({ include: [path] });
    await waitFor(() => logs.records().length === 2, 'x lines');
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    await sleep(80);
    appendFileSync(path, 'y1\n');
    await waitFor(() => logs.records().length === 3, 'y1');
    await sleep(100);
    expect(bodies(logs.records())).toEqual(['x1', 'x2', 'y1']);
  });

  it('keeps two files with the same first line apart once their fingerprints differ', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.log'), 'header\none\n');
    writeFileSync(join(dir, 'two.log'), 'header\ntwo\n');
    const { logs } = await tail({ include: [join(dir, '*.log')] });
    await waitFor(() => logs.records().length === 4, 'four lines');
    expect(bodies(logs.records())).toEqual(['header', 'one', 'header', 'two']);
  });

  it('cuts an entry longer than max_log_size and skips the rest of it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.log'), `${'a'.repeat(100)}\nshort\n`);
    const { logs } = await tail({ include: [join(dir, 'big.log')], max_log_size: 32 });
    await waitFor(() => logs.records().length === 2, 'two entries');
    expect(bodies(logs.records())).toEqual(['a'.repeat(32), 'short']);
  });

  it('reads latin1 files as latin1', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'l.log'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const { logs } = await tail({ include: [join(dir, 'l.log')], encoding: 'iso-8859-1' });
    await waitFor(() => logs.records().length === 1, 'the line');
    expect(bodies(logs.records())).toEqual(['café']);
  });
});

describe('file_log receiver: multiline', () => {
  it('line_start_pattern keeps a Java stack trace in one entry', async () => {
    const dir = tempDir();
    const trace = [
      '2024-05-01 10:00:00,001 ERROR [main] c.e.App - request failed',
      'java.lang.IllegalStateException: boom',
      '\tat com.example.App.handle(App.java:42)',
      '\tat com.example.App.main(App.java:10)',
      'Caused by: java.io.IOException: disk',
      '\t... 2 more',
    ];
    writeFileSync(join(dir, 'java.log'), `${trace.join('\n')}\n2024-05-01 10:00:01,000 INFO [main] c.e.App - recovered\n2024-05-01 10:00:02,000 INFO [main] c.e.App - last\n`);
    const { logs } = await tail({ include: [join(dir, 'java.log')], multiline: { line_start_pattern: '^\\d{4}-\\d{2}-\\d{2} ' } });
    await waitFor(() => logs.records().length === 3, 'three entries (the last after force_flush_period)');
    expect(bodies(logs.records())).toEqual([trace.join('\n'), '2024-05-01 10:00:01,000 INFO [main] c.e.App - recovered', '2024-05-01 10:00:02,000 INFO [main] c.e.App - last']);
  });

  it('line_end_pattern ends an entry at the matching line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'e.log'), 'begin\nmiddle\nend;\nsolo;\n');
    const { logs } = await tail({ include: [join(dir, 'e.log')], multiline: { line_end_pattern: ';$' } });
    await waitFor(() => logs.records().length === 2, 'two entries');
    expect(bodies(logs.records())).toEqual(['begin\nmiddle\nend;', 'solo;']);
  });
});

describe('file_log receiver: container logs', () => {
  const podDir = (root: string) => join(root, 'var/log/pods/shop_cart-7d9f_0a1b2c3d-1111-2222-3333-444455556666/cart');

  it('parses Docker json-file lines, joins 16 KiB partials, and takes pod metadata from the path', async () => {
    const root = tempDir();
    mkdirSync(podDir(root), { recursive: true });
    const file = join(podDir(root), '0.log');
    writeFileSync(
      file,
      [
        JSON.stringify({ log: 'hello from docker\n', stream: 'stdout', time: '2024-05-01T10:00:00.123456789Z' }),
        JSON.stringify({ log: 'part one, ', stream: 'stderr', time: '2024-05-01T10:00:01.000000001Z' }),
        JSON.stringify({ log: 'part two\n', stream: 'stderr', time: '2024-05-01T10:00:01.000000002Z' }),
      ].join('\n') + '\n',
    );
    const { logs } = await tail({ include: [join(root, 'var/log/pods/*/*/*.log')], include_file_path: true, operators: [{ type: 'container' }] });
    await waitFor(() => logs.records().length === 2, 'two records');
    const [a, b] = logs.records() as [LogRecord, LogRecord];
    expect(summary(a)).toEqual({ body: 'hello from docker', attributes: { 'log.file.name': '0.log', 'log.file.path': file, 'log.iostream': 'stdout' }, severityNumber: undefined, severityText: undefined, time: '1714557600123456789' });
    expect(summary(b)).toMatchObject({ body: 'part one, part two', attributes: { 'log.iostream': 'stderr' }, time: '1714557601000000001' });
    expect(resourcesOf(logs)[0]?.resource).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'cart-7d9f',
      'k8s.pod.uid': '0a1b2c3d-1111-2222-3333-444455556666',
      'k8s.container.name': 'cart',
      'k8s.container.restart_count': '0',
    });
  });

  it('parses CRI lines (containerd and CRI-O), joining P parts until the F part', async () => {
    const root = tempDir();
    mkdirSync(podDir(root), { recursive: true });
    const file = join(podDir(root), '1.log');
    writeFileSync(
      file,
      [
        '2024-05-01T10:00:00.000000001Z stdout F plain line',
        '2024-05-01T10:00:01.5Z stdout P first half, ',
        '2024-05-01T10:00:01.6Z stderr F an error in between',
        '2024-05-01T10:00:01.7Z stdout F second half',
        '2024-05-01T12:00:02.25+02:00 stdout F crio time with offset',
        '2024-05-01T10:00:03Z stdout F ',
      ].join('\n') + '\n',
    );
    const { logs } = await tail({ include: [join(root, 'var/log/pods/*/*/*.log')], include_file_path: true, operators: [{ type: 'container', format: 'auto' }] });
    await waitFor(() => logs.records().length === 5, 'five records');
    expect(logs.records().map((r) => [r.body?.stringValue, attrs(r.attributes)['log.iostream'], attrs(r.attributes).logtag, String(r.timeUnixNano)])).toEqual([
      ['plain line', 'stdout', 'F', '1714557600000000001'],
      ['an error in between', 'stderr', 'F', '1714557601600000000'],
      ['first half,second half', 'stdout', 'F', '1714557601500000000'],
      ['crio time with offset', 'stdout', 'F', '1714557602250000000'],
      ['', 'stdout', 'F', '1714557603000000000'],
    ]);
    expect(resourcesOf(logs)[0]?.resource['k8s.container.restart_count']).toBe('1');
  });

  it('a container operator without include_file_path is refused at validation, with the fix', async () => {
    const { fileLogReceiver } = await import('../../../src/receivers/file_log/index.js');
    const problems = fileLogReceiver.validate?.({ include: ['/x/*.log'], operators: [{ type: 'container' }] } as never) ?? [];
    expect(problems).toEqual([expect.objectContaining({ path: 'operators.0', fix: expect.stringContaining('include_file_path: true') })]);
  });
});

describe('file_log receiver: parsers with severity and timestamp', () => {
  it('json_parser with embedded timestamp (gotime) and severity, then move, remove and add', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'j.log'),
      [
        JSON.stringify({ ts: '2024-05-01T10:00:00.250Z', level: 'warning', msg: 'disk almost full', host: 'web-1', pid: 4 }),
        JSON.stringify({ ts: '2024-05-01T10:00:01Z', level: 'ERROR', msg: 'disk full', host: 'web-1', pid: 4 }),
        'not json at all',
      ].join('\n') + '\n',
    );
    const { logs } = await tail({
      include: [join(dir, 'j.log')],
      include_file_name: false,
      operators: [
        {
          type: 'json_parser',
          timestamp: { parse_from: 'attributes.ts', layout_type: 'gotime', layout: '2006-01-02T15:04:05.999Z07:00' },
          severity: { parse_from: 'attributes.level' },
        },
        { type: 'move', from: 'attributes.msg', to: 'body' },
        { type: 'remove', field: 'attributes.ts' },
        { type: 'add', field: 'resource["service.name"]', value: 'web' },
      ],
    });
    await waitFor(() => logs.records().length === 3, 'three records');
    const [w, e, bad] = logs.records().map(summary);
    expect(w).toEqual({ body: 'disk almost full', attributes: { level: 'warning', host: 'web-1', pid: 4 }, severityNumber: 13, severityText: 'warning', time: '1714557600250000000' });
    expect(e).toEqual({ body: 'disk full', attributes: { level: 'ERROR', host: 'web-1', pid: 4 }, severityNumber: 17, severityText: 'ERROR', time: '1714557601000000000' });
    // on_error: send — the line goes on unparsed; the later operators fail on it too and pass it on.
    expect(bad).toMatchObject({ body: 'not json at all' });
    expect(resourcesOf(logs).find((r) => r.bodies.includes('disk full'))?.resource).toEqual({ 'service.name': 'web' });
  });

  it('regex_parser with strptime timestamp and a severity mapping; on_error: drop drops what does not match', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'r.log'), '2024-05-01 10:00:00.125 +0200 [E] payment refused\n2024-05-01 10:00:01.000 +0000 [I] ok\nnoise\n');
    const { logs } = await tail({
      include: [join(dir, 'r.log')],
      include_file_name: false,
      operators: [
        {
          type: 'regex_parser',
          regex: '^(?P<time>\\S+ \\S+ \\S+) \\[(?P<sev>\\w)\\] (?P<message>.*)$',
          on_error: 'drop',
          timestamp: { parse_from: 'attributes.time', layout: '%Y-%m-%d %H:%M:%S.%L %z' },
          severity: { parse_from: 'attributes.sev', mapping: { error: 'E', info: ['I', 'i'] } },
        },
        { type: 'copy', from: 'attributes.message', to: 'body' },
      ],
    });
    await waitFor(() => logs.records().length === 2, 'two records');
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.records().map(summary)).toEqual([
      { body: 'payment refused', attributes: { time: '2024-05-01 10:00:00.125 +0200', sev: 'E', message: 'payment refused' }, severityNumber: 17, severityText: 'E', time: '1714550400125000000' },
      { body: 'ok', attributes: { time: '2024-05-01 10:00:01.000 +0000', sev: 'I', message: 'ok' }, severityNumber: 9, severityText: 'I', time: '1714557601000000000' },
    ]);
  });

  it('router sends entries by expression to their own parsers; standalone severity_parser and time_parser (epoch); flatten', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mix.log'), '{"level":"info","t":1714557600,"ctx":{"user":"ann","op":"buy"}}\nlevel=debug plain text\nsomething else\n');
    const { logs } = await tail({
      include: [join(dir, 'mix.log')],
      include_file_name: false,
      operators: [
        {
          type: 'router',
          routes: [
            { expr: 'body matches "^\\\\{"', output: 'json' },
            { expr: 'body startsWith "level="', output: 'kv' },
          ],
          default: 'tag',
        },
        { type: 'json_parser', id: 'json', parse_to: 'body', output: 'epoch' },
        { type: 'time_parser', id: 'epoch', parse_from: 'body.t', layout_type: 'epoch', layout: 's', output: 'flat' },
        { type: 'flatten', id: 'flat', field: 'body.ctx', output: 'sev' },
        { type: 'regex_parser', id: 'kv', regex: '^level=(?P<level>\\w+) (?P<rest>.*)$', output: 'sev' },
        { type: 'add', id: 'tag', field: 'attributes.level', value: 'warn', output: 'sev' },
        { type: 'severity_parser', id: 'sev', parse_from: 'attributes.level', if: 'attributes.level != nil', output: 'last' },
        { type: 'severity_parser', id: 'last', parse_from: 'body.level', if: 'body.level != nil', overwrite_text: true },
      ],
    });
    await waitFor(() => logs.records().length === 3, 'three records');
    expect(logs.records().map(summary)).toEqual([
      { body: { level: 'info', t: 1714557600, user: 'ann', op: 'buy' }, attributes: {}, severityNumber: 9, severityText: 'INFO', time: '1714557600000000000' },
      { body: 'level=debug plain text', attributes: { level: 'debug', rest: 'plain text' }, severityNumber: 5, severityText: 'debug', time: undefined },
      { body: 'something else', attributes: { level: 'warn' }, severityNumber: 13, severityText: 'warn', time: undefined },
    ]);
  });
});

describe('file_log receiver: acknowledgement and storage', () => {
  it('stores an offset only once consume() resolved, and a restart resumes there (file_storage)', async () => {
    const dir = tempDir();
    const path = join(dir, 'ack.log');
    writeFileSync(path, 'one\ntwo\n');
    const storageConfig = { directory: join(dir, 'state'), create_directory: true, fsync: false } as FileStorageConfig;
    const ext = fileStorageExtension.create(storageConfig, testContext('file_storage', 'extension'));
    await ext.start(testHost);
    const host = hostWith('file_storage', ext);
    const first = await tail({ include: [path], storage: 'file_storage' }, host, new GateConsumer(), { drainTimeoutMs: 100 });
    await waitFor(() => first.logs.records().length === 2, 'first two');
    await sleep(50);
    first.logs.hold();
    appendFileSync(path, 'three\n');
    await waitFor(() => first.logs.calls === 2, 'a delivery of three, held');
    // Stop while "three" is not accepted: shutdown gives up on it after the drain timeout.
    await stop(first.r);
    first.logs.release();
    await ext.shutdown();
    const ext2 = fileStorageExtension.create(storageConfig, testContext('file_storage', 'extension'));
    await ext2.start(testHost);
    const second = await tail({ include: [path], storage: 'file_storage', start_at: 'end' }, hostWith('file_storage', ext2));
    appendFileSync(path, 'four\n');
    await waitFor(() => second.logs.records().length >= 2, 'three again and four');
    await sleep(100);
    expect(bodies(second.logs.records())).toEqual(['three', 'four']);
    await stop(second.r);
    await ext2.shutdown();
  });

  it('a partial CRI line held when Ferry stops is read again after the restart, whole', async () => {
    const root = tempDir();
    const dir = join(root, 'var/log/pods/ns_pod_0a1b/c');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, '0.log');
    writeFileSync(path, '2024-05-01T10:00:00Z stdout F complete line\n2024-05-01T10:00:01Z stdout P first part, \n');
    const storageConfig = { directory: join(root, 'state'), create_directory: true, fsync: false } as FileStorageConfig;
    const run = async (append?: string): Promise<unknown[]> => {
      const ext = fileStorageExtension.create(storageConfig, testContext('file_storage', 'extension'));
      await ext.start(testHost);
      const f = await tail({ include: [path], include_file_path: true, storage: 'file_storage', operators: [{ type: 'container' }] }, hostWith('file_storage', ext));
      if (append !== undefined) appendFileSync(path, append);
      await waitFor(() => f.logs.records().length >= 1, 'a record');
      await sleep(200);
      await stop(f.r);
      await ext.shutdown();
      return bodies(f.logs.records());
    };
    expect(await run()).toEqual(['complete line']);
    expect(await run('2024-05-01T10:00:02Z stdout F second part\n')).toEqual(['first part,second part']);
  });
});
