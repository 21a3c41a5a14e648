// `ferry exec [--config F]… [--resource k=v]… -- CMD ARGS…`: runs CMD, copies its output to the
// terminal unchanged while shipping it as logs and metrics, forwards signals, exits with CMD's code.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import { parse, stringify } from 'yaml';
import type { Components, ReceiverFactory } from '../component.js';
import { components } from '../components.js';
import { formatConfigErrors, loadConfig } from '../config/index.js';
import { setFlagSource } from '../config/load.js';
import type { ConfigSource } from '../config/index.js';
import { parseDuration } from '../config/units.js';
import { errorMessage } from '../consumer.js';
import type { Scalar, StdoutMarkersConfig } from '../receivers/stdout_markers/config.js';
import { configuredSources } from '../receivers/stdout_markers/config.js';
import type { StdoutMarkersReceiver } from '../receivers/stdout_markers/index.js';
import { SpawnError, execReceiverFactory } from '../receivers/stdout_markers/index.js';
import { Service } from '../service/service.js';
import { createLogger } from '../telemetry/logger.js';
import type { LogFields, Logger } from '../telemetry/logger.js';
import { routeGrpcLogs } from '../telemetry/grpc-log.js';

const EXEC_DEFAULT = new URL('../../configs/exec-default.yaml', import.meta.url);

/** Ferry's own failure, as `env` and `timeout` report theirs: distinct from CMD's own codes. */
export const EXIT_FERRY_FAILED = 125;

/** The signals forwarded to the command. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export const EXEC_HELP = `Usage: ferry exec [--config FILE]... [--resource KEY=VALUE]... [--flush-timeout D] -- CMD [ARGS...]

Runs CMD, copies its stdout and stderr to this terminal unchanged, and ships every line
through the pipeline: ::{json}:: markers as logs and metrics, other lines as log records
(stdout INFO, stderr WARN; a stack trace is one record). Signals (INT, TERM, HUP, QUIT, USR1, USR2) are forwarded to
CMD. When CMD ends, Ferry waits until every record is exported (at most --flush-timeout)
and exits with CMD's exit code (128 + N if signal N ended it).

Options:
  -c, --config SOURCE      a configuration with one stdout_markers receiver (its source is
                           CMD); repeatable. Default: the embedded configs/exec-default.yaml,
                           OTLP/HTTP to $OTEL_EXPORTER_OTLP_ENDPOINT (http://127.0.0.1:4318), or
                           OTLP/gRPC (:4317) with OTEL_EXPORTER_OTLP_PROTOCOL=grpc. At exit, what
                           could not be delivered is reported on stderr with endpoint and cause
      --set KEY=VALUE      override one configuration value
      --resource KEY=VALUE a resource attribute of every record (over the config's and
                           OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME); repeatable
      --flush-timeout D    how long to wait for the export after CMD ends (default 10s)

Exit codes: CMD's, or 125 when Ferry itself fails (usage, configuration), 126 when CMD
cannot be run, 127 when it is not found. Ferry logs only warnings and errors, to stderr.
`;

export interface ExecArgs {
  readonly configs: string[];
  readonly sets: string[];
  readonly resource: Record<string, string>;
  readonly flushTimeoutMs: number;
  readonly argv: string[];
  readonly help: boolean;
}

export class ExecUsageError extends Error {}

const VALUE_OPTIONS = new Set(['--config', '-c', '--set', '--resource', '--flush-timeout']);

/** Options up to `--` (or the first word that is not an option) belong to Ferry; the rest is CMD. */
export function parseExecArgs(args: readonly string[]): ExecArgs {
  const out: { -readonly [K in keyof ExecArgs]: ExecArgs[K] } = { configs: [], sets: [], resource: {}, flushTimeoutMs: 10_000, argv: [], help: false };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') return { ...out, help: true };
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_OPTIONS.has(name)) throw new ExecUsageError(`unknown option "${arg}" (put the command after --)`);
    let value: string;
    if (name !== arg) value = arg.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i] as string;
    else throw new ExecUsageError(`${name} needs a value`);
    switch (name) {
      case '--config':
      case '-c':
        out.configs.push(value);
        break;
      case '--set':
        out.sets.push(value);
        break;
      case '--resource': {
        const at = value.indexOf('=');
        if (at <= 0) throw new ExecUsageError(`--resource "${value}": expected KEY=VALUE, such as --resource step_id=build`);
        out.resource[value.slice(0, at)] = value.slice(at + 1);
        break;
      }
      case '--flush-timeout':
        try {
          out.flushTimeoutMs = parseDuration(value);
        } catch (err) {
          throw new ExecUsageError(`--flush-timeout: ${errorMessage(err)}`);
        }
        break;
    }
  }
  out.argv.push(...args.slice(i));
  if (out.argv.length === 0) throw new ExecUsageError('no command: use ferry exec [options] -- CMD [ARGS...]');
  return out;
}

/**
 * `key1=value1,key2=value2` with percent-encoded keys and values, as OTEL_RESOURCE_ATTRIBUTES
 * and OTEL_EXPORTER_OTLP_HEADERS are written. As the spec says, any error discards the whole value.
 */
export function parseOtelKeyValues(text: string): { values: Record<string, string> } | { error: string } {
  const values: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) return { error: `"${entry}" is not key=value` };
    try {
      values[decodeURIComponent(entry.slice(0, eq).trim())] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      return { error: `"${entry}" has an invalid percent-encoding` };
    }
  }
  return { values };
}

/** Resource attributes from the environment, as OpenTelemetry SDKs read them: OTEL_SERVICE_NAME wins over the list. */
export function envResource(env: NodeJS.ProcessEnv, warn: (message: string) => void): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  const list = env.OTEL_RESOURCE_ATTRIBUTES;
  if (list !== undefined && list.trim() !== '') {
    const parsed = parseOtelKeyValues(list);
    if ('error' in parsed) warn(`ignoring OTEL_RESOURCE_ATTRIBUTES: ${parsed.error}`);
    else Object.assign(out, parsed.values);
  }
  const service = env.OTEL_SERVICE_NAME;
  if (service !== undefined && service !== '') out['service.name'] = service;
  return out;
}

/** `$` is the configuration's expansion character: values from the environment are literal. */
const literal = (v: string): string => v.replaceAll('$', () => '$$');

/** The sources to load: exec's quiet defaults, the user's configs (or the embedded one + OTEL_* env), then --set. */
export function execConfigSources(args: ExecArgs, env: NodeJS.ProcessEnv, warn: (message: string) => void): ConfigSource[] {
  // First, so that a user's config may still turn them back on: no self-metrics port (two
  // `ferry exec` at once must not fight over 8888), and only warnings on the terminal.
  const sources: ConfigSource[] = [{ name: 'exec:defaults', text: 'service:\n  telemetry:\n    logs:\n      level: warn\n    metrics:\n      level: none\n' }];
  if (args.configs.length > 0) {
    sources.push(...args.configs);
  } else {
    const embedded = readFileSync(EXEC_DEFAULT, 'utf8');
    const otlphttp: Record<string, unknown> = {};
    const headers = env.OTEL_EXPORTER_OTLP_HEADERS;
    if (headers !== undefined && headers.trim() !== '') {
      const parsed = parseOtelKeyValues(headers);
      if ('error' in parsed) warn(`ignoring OTEL_EXPORTER_OTLP_HEADERS: ${parsed.error}`);
      else otlphttp.headers = Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k, literal(v)]));
    }
    const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
    if (protocol === 'grpc') {
      sources.push({ name: 'embedded:exec-default.yaml (OTEL_EXPORTER_OTLP_PROTOCOL=grpc)', text: grpcConfig(embedded, env, otlphttp.headers) });
    } else {
      sources.push({ name: 'embedded:exec-default.yaml', text: embedded });
      if (protocol === 'http/json') otlphttp.encoding = 'json';
      else if (protocol !== undefined && protocol !== '' && protocol !== 'http/protobuf') {
        warn(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not one of grpc, http/protobuf, http/json; sending http/protobuf`);
      }
      if (Object.keys(otlphttp).length > 0) sources.push({ name: 'env:OTEL_EXPORTER_OTLP_*', text: stringify({ exporters: { otlp_http: otlphttp } }) });
    }
  }
  for (const s of args.sets) {
    const source = setFlagSource(s);
    if (source === undefined) throw new ExecUsageError(`--set "${s}": expected KEY=VALUE`);
    sources.push(source);
  }
  return sources;
}

/**
 * The embedded config with OTLP/gRPC instead of OTLP/HTTP, as the OpenTelemetry environment
 * spec defines OTEL_EXPORTER_OTLP_PROTOCOL=grpc: OTEL_EXPORTER_OTLP_ENDPOINT (default
 * http://localhost:4317), a per-signal endpoint used as it is, the same headers, timeout and retries.
 */
function grpcConfig(embedded: string, env: NodeJS.ProcessEnv, headers: unknown): string {
  const doc = parse(embedded) as { exporters: Record<string, Record<string, unknown>>; service: { pipelines: Record<string, { exporters: string[] }> } };
  const http = doc.exporters.otlp_http ?? doc.exporters.otlphttp ?? {};
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://127.0.0.1:4317';
  const exporter = (endpoint: string): Record<string, unknown> => ({
    endpoint: literal(endpoint),
    // The spec: an http:// endpoint (or OTEL_EXPORTER_OTLP_INSECURE=true) is plaintext gRPC.
    ...(endpoint.startsWith('http://') || env.OTEL_EXPORTER_OTLP_INSECURE?.toLowerCase() === 'true' ? { tls: { insecure: true } } : {}),
    timeout: http.timeout,
    retry_on_failure: http.retry_on_failure,
    ...(headers === undefined ? {} : { headers }),
  });
  const exporters: Record<string, Record<string, unknown>> = {};
  for (const signal of ['logs', 'metrics'] as const) {
    const own = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`];
    const id = own ? `otlp_grpc/${signal}` : 'otlp_grpc';
    exporters[id] = exporter(own || base);
    const pipeline = doc.service.pipelines[signal];
    if (pipeline) pipeline.exporters = [id];
  }
  doc.exporters = exporters;
  return stringify(doc);
}

/** Why exporters could not deliver: the last error each one met, and what its queue dropped. */
class DeliveryReport {
  readonly lastError = new Map<string, string>();
  readonly dropped = new Map<string, number>();

  /** A logger that notes exporters' errors (at every level, shown or not) and passes everything on. */
  wrap(inner: Logger, base: LogFields = {}): Logger {
    const note = (message: string, fields?: LogFields): void => {
      const id = base.id;
      if (base.kind !== 'exporter' || typeof id !== 'string') return;
      const error = fields?.error;
      if (error !== undefined) this.lastError.set(id, error instanceof Error ? error.message : String(error));
      if (message.startsWith('Sending queue stopped before it was drained') || message.startsWith('Exporting failed. Dropping data')) {
        this.dropped.set(id, (this.dropped.get(id) ?? 0) + Number(fields?.items ?? 0));
      }
    };
    return {
      debug: (m, f) => (note(m, f), inner.debug(m, f)),
      info: (m, f) => (note(m, f), inner.info(m, f)),
      warn: (m, f) => (note(m, f), inner.warn(m, f)),
      error: (m, f) => (note(m, f), inner.error(m, f)),
      child: (f) => this.wrap(inner.child(f), { ...base, ...f }),
    };
  }
}

/** A transport error as a person reads it: "connection refused", with the raw message after. */
export function describeCause(message: string): string {
  const known: [RegExp, string][] = [
    [/ECONNREFUSED|connection refused/i, 'connection refused'],
    [/ENOTFOUND|EAI_AGAIN|getaddrinfo/i, 'host not found'],
    [/ETIMEDOUT|timed? ?out|deadline exceeded/i, 'timed out'],
    [/ECONNRESET|socket hang up/i, 'connection reset'],
    [/certificate|TLS|SSL/i, 'TLS error'],
    [/UNAVAILABLE/, 'unavailable'],
  ];
  const hit = known.find(([re]) => re.test(message));
  return hit ? `${hit[1]} (${message})` : message;
}

/** The endpoints an exporter's config names, for the report. */
function endpointsOf(config: unknown): string {
  const c = (config ?? {}) as Record<string, unknown>;
  const all = [c.endpoint, c.logs_endpoint, c.metrics_endpoint].filter((e): e is string => typeof e === 'string' && e !== '');
  return [...new Set(all)].join(', ');
}

const stderr = (line: string): void => void process.stderr.write(`ferry exec: ${line}\n`);

export async function runExec(argvIn: readonly string[]): Promise<number> {
  let args: ExecArgs;
  try {
    args = parseExecArgs(argvIn);
  } catch (err) {
    if (!(err instanceof ExecUsageError)) throw err;
    stderr(`${err.message}\nRun "ferry exec --help" for usage.`);
    return EXIT_FERRY_FAILED;
  }
  if (args.help) {
    process.stdout.write(EXEC_HELP);
    return 0;
  }
  let receiver: StdoutMarkersReceiver | undefined;
  const baseResource = envResource(process.env, stderr);
  const binding = {
    argv: args.argv,
    tee: { stdout: process.stdout, stderr: process.stderr },
    baseResource,
    overrideResource: args.resource,
    created: (r: StdoutMarkersReceiver) => (receiver = r),
  };
  const execComponents: Components = {
    ...components,
    receivers: new Map(components.receivers).set('stdout_markers', execReceiverFactory(binding) as ReceiverFactory),
  };
  let sources: ConfigSource[];
  try {
    sources = execConfigSources(args, process.env, stderr);
  } catch (err) {
    stderr(errorMessage(err));
    return EXIT_FERRY_FAILED;
  }
  const { config, errors, warnings } = await loadConfig({ sources, env: process.env, components: execComponents });
  if (errors.length > 0 || !config) {
    stderr(`invalid configuration (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${formatConfigErrors(errors)}`);
    return EXIT_FERRY_FAILED;
  }
  const logger = createLogger({ level: config.telemetry.logs.level, encoding: config.telemetry.logs.encoding });
  for (const w of warnings) logger.debug(`configuration: ${w}`);
  const ours = [...config.receivers.values()].filter((r) => r.type === 'stdout_markers');
  if (ours.length !== 1) {
    stderr(
      ours.length === 0
        ? 'the configuration has no stdout_markers receiver in a pipeline: add one (see configs/exec-default.yaml); ferry exec feeds it the output of CMD'
        : `ferry exec feeds one stdout_markers receiver, but ${ours.length} are in use: ${ours.map((r) => r.id).join(', ')}`,
    );
    return EXIT_FERRY_FAILED;
  }
  const receiverConfig = ours[0]?.config as StdoutMarkersConfig;
  const ignored = configuredSources(receiverConfig).filter((s) => s !== 'stdin');
  if (ignored.length > 0) logger.warn(`ferry exec reads the output of CMD; ${ignored.join(' and ')} in receivers.${ours[0]?.id} is ignored`);
  // As SDKs do: a service without a name is unknown_service:<executable>.
  if (!('service.name' in { ...baseResource, ...receiverConfig.resource, ...args.resource })) {
    baseResource['service.name'] = `unknown_service:${basename(args.argv[0] as string)}`;
  }
  routeGrpcLogs(logger, config.telemetry.logs.level === 'debug');

  // At a terminal, Ctrl-C and Ctrl-\ already reach CMD (same process group): forwarding
  // them again would deliver them twice.
  const keyboard = isatty(0);
  const forward = (signal: NodeJS.Signals): void => {
    if (keyboard && (signal === 'SIGINT' || signal === 'SIGQUIT')) return;
    receiver?.kill(signal);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);

  const report = new DeliveryReport();
  const service = new Service(config, { components: execComponents, logger: report.wrap(logger) });
  try {
    await service.start();
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined;
    if (cause instanceof SpawnError) {
      stderr(cause.message);
      return cause.exitCode;
    }
    stderr(errorMessage(err));
    return EXIT_FERRY_FAILED;
  }
  const r = receiver as StdoutMarkersReceiver | undefined;
  if (r === undefined) {
    await service.shutdown(1000);
    stderr('internal error: the stdout_markers receiver was not created');
    return EXIT_FERRY_FAILED;
  }
  const exit = await r.exited;
  const deadline = Date.now() + args.flushTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const flushed = await Promise.race([r.done.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), args.flushTimeoutMs)))]);
  clearTimeout(timer);
  if (!flushed) {
    logger.warn('not every record was exported within --flush-timeout; dropping the rest', { flushTimeoutMs: args.flushTimeoutMs, heldLines: r.heldLines });
    r.abandon();
  }
  const held = flushed ? 0 : r.heldLines;
  await service.shutdown(Math.max(500, deadline - Date.now()));
  for (const s of FORWARDED_SIGNALS) process.off(s, forward);
  // Say at the end, in one place, what did not arrive, where it was going and why.
  const failed = [...config.exporters.values()].filter((e) => report.dropped.has(e.id) || (held > 0 && report.lastError.has(e.id)));
  if (held > 0 && failed.length === 0) stderr(`could not deliver ${held} line${held === 1 ? '' : 's'} of output within --flush-timeout (${args.flushTimeoutMs} ms)`);
  for (const e of failed) {
    const items = report.dropped.get(e.id) ?? 0;
    const what = [items > 0 ? `${items} item${items === 1 ? '' : 's'}` : '', held > 0 ? `${held} line${held === 1 ? '' : 's'} not yet sent` : ''].filter(Boolean).join(' and ');
    const cause = report.lastError.get(e.id);
    stderr(`could not deliver ${what || 'everything'} to ${endpointsOf(e.config) || e.id} (exporter ${e.id}): ${cause === undefined ? 'the export did not finish before the flush timeout' : describeCause(cause)}`);
  }
  return exit?.code ?? EXIT_FERRY_FAILED;
}
