// The `service` section: its schema (pipelines, extensions, telemetry), the pipeline
// graph checks, and the resolved pipelines and self-telemetry settings.
import type { SchemaObject } from 'ajv';
import type { Signal } from '../pdata/types.js';
import { SIGNALS } from '../pdata/types.js';
import type { LogEncoding, LogLevel } from '../telemetry/logger.js';
import type { PipelineConfig, TelemetryConfig } from './types.js';
import type { ConfigMap, PathSegment } from './merge.js';
import { isConfigMap, setOwn } from './merge.js';
import { configError } from './errors.js';
import { didYouMean, knownList, nearest } from './suggest.js';
import type { CheckedComponent, SectionKey, ValidationContext } from './validate.js';
import { KIND_OF, checkAgainstSchema, idProblem, warnAt } from './validate.js';

const DEFAULT_METRICS_ADDRESS = '127.0.0.1:8888';

const idList = (description: string): SchemaObject => ({ type: 'array', items: { type: 'string' }, default: [], description });

const PIPELINE_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'One pipeline: where its data comes from, what transforms it, where it goes.',
  properties: {
    receivers: idList('Receiver ids feeding this pipeline (at least one).'),
    processors: idList('Processor ids, applied in this order; one instance each per pipeline.'),
    exporters: idList('Exporter ids the pipeline sends to (at least one); each gets every batch.'),
  },
};

const PROMETHEUS_READER: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Serve the self-metrics in Prometheus text format.',
  properties: {
    host: { type: 'string', default: '127.0.0.1', description: 'Interface to listen on.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 8888, description: 'Port to listen on.' },
  },
};

const SERVICE_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    extensions: idList('Extension ids to start, in this order.'),
    pipelines: {
      type: 'object',
      description: 'Pipelines by id: logs, traces or metrics, optionally followed by /name.',
      additionalProperties: PIPELINE_SCHEMA,
    },
    telemetry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "The collector's own logs and metrics.",
      properties: {
        metrics: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Self-metrics (otelcol_*), served for Prometheus to scrape.',
          properties: {
            level: { type: 'string', enum: ['none', 'basic', 'normal', 'detailed'], default: 'normal', description: 'How much to record; none turns the metrics endpoint off.' },
            address: {
              type: 'string',
              pattern: '^(\\[[^\\]]*\\]|[^:\\[\\]]*):[0-9]{1,5}$',
              description: `host:port of the metrics endpoint (default ${DEFAULT_METRICS_ADDRESS}).`,
            },
            readers: {
              type: 'array',
              description: 'The newer form of address: one pull reader with a prometheus exporter.',
              items: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  pull: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['exporter'],
                    description: 'A reader that is scraped.',
                    properties: {
                      exporter: {
                        type: 'object',
                        additionalProperties: false,
                        required: ['prometheus'],
                        description: 'How it is scraped.',
                        properties: { prometheus: PROMETHEUS_READER },
                      },
                    },
                  },
                  periodic: { type: 'object', description: 'A reader that pushes metrics (not supported by Ferry yet).' },
                },
              },
            },
          },
        },
        logs: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: "The collector's own log, on stderr.",
          properties: {
            level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], default: 'info', description: 'Least severe level written.' },
            encoding: { type: 'string', enum: ['console', 'json'], default: 'console', description: 'console: tab-separated lines; json: one object per line.' },
          },
        },
      },
    },
  },
};

/** Collector settings Ferry accepts (so existing files load) but does not act on. */
const IGNORED_TELEMETRY: ReadonlyArray<readonly PathSegment[]> = [
  ['resource'],
  ['traces'],
  ['metrics', 'views'],
  ...['development', 'disable_caller', 'disable_stacktrace', 'sampling', 'output_paths', 'error_output_paths', 'initial_fields', 'processors'].map((k) => ['logs', k]),
];

export interface CheckedService {
  readonly pipelines: PipelineConfig[];
  readonly serviceExtensions: string[];
  readonly telemetry: TelemetryConfig;
  /** Ids referenced by a pipeline (or `service.extensions`), per section. */
  readonly used: Record<SectionKey, Set<string>>;
}

type Sections = Readonly<Record<SectionKey, ReadonlyMap<string, CheckedComponent>>>;

function dropIgnoredTelemetry(service: ConfigMap, ctx: ValidationContext): void {
  const telemetry = service.telemetry;
  if (!isConfigMap(telemetry)) return;
  for (const rel of IGNORED_TELEMETRY) {
    const parent = rel.length === 1 ? telemetry : telemetry[rel[0] as string];
    const key = rel[rel.length - 1] as string;
    if (!isConfigMap(parent) || !Object.hasOwn(parent, key)) continue;
    warnAt(ctx, ['service', 'telemetry', ...rel], 'accepted for compatibility with the OpenTelemetry Collector, but Ferry ignores it');
    delete parent[key];
  }
  // zap accepts INFO as well as info.
  const logs = telemetry.logs;
  if (isConfigMap(logs) && typeof logs.level === 'string') setOwn(logs, 'level', logs.level.toLowerCase());
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function checkPipeline(pid: string, p: ConfigMap, sections: Sections, types: KnownTypes, used: CheckedService['used'], ctx: ValidationContext): PipelineConfig | undefined {
  const path: PathSegment[] = ['service', 'pipelines', pid];
  const slash = pid.indexOf('/');
  const signalText = slash < 0 ? pid : pid.slice(0, slash);
  let signal: Signal | undefined = SIGNALS.find((s) => s === signalText);
  if (signal === undefined) {
    ctx.errors.push(configError(ctx.origins, path, `unknown signal "${signalText}" in pipeline id "${pid}"`, `${didYouMean(signalText, SIGNALS)}a pipeline id is logs, traces or metrics, optionally followed by /name`));
  } else if (slash >= 0) {
    const bad = idProblem(pid);
    if (bad !== undefined) {
      ctx.errors.push(configError(ctx.origins, path, `invalid pipeline id "${pid}": ${bad}`, 'pipeline ids are signal or signal/name, e.g. logs/backend'));
      signal = undefined;
    }
  }
  const lists: Record<'receivers' | 'processors' | 'exporters', string[]> = { receivers: [], processors: [], exporters: [] };
  for (const section of ['receivers', 'processors', 'exporters'] as const) {
    const kind = KIND_OF[section];
    const ids = strings(p[section]);
    if (ids.length === 0 && section !== 'processors') {
      ctx.errors.push(configError(ctx.origins, [...path, section], `pipeline "${pid}" has no ${section}`, `list at least one ${kind} defined under ${section}: (defined: ${knownList(sections[section].keys())})`));
    }
    ids.forEach((id, i) => {
      const at = [...path, section, i];
      if (lists[section].includes(id)) {
        if (section === 'processors') {
          ctx.errors.push(configError(ctx.origins, at, `processor "${id}" is listed more than once in pipeline "${pid}"`, `remove the repeat; for a second instance define ${id.split('/')[0] as string}/<name> with its own settings`));
        } else {
          // The Collector connects a component to a pipeline once however often it is listed.
          warnAt(ctx, at, `${kind} "${id}" is listed more than once in pipeline "${pid}"; it is used once`);
        }
        return;
      }
      lists[section].push(id);
      const connector = section === 'processors' || sections[section].has(id) ? undefined : sections.connectors.get(id);
      if (connector !== undefined) {
        // A connector: an exporter of this pipeline, or a receiver of it.
        used.connectors.add(id);
        const f = connector.factory;
        if (signal !== undefined && f !== undefined && f.kind === 'connector') {
          const side = section === 'exporters' ? 0 : 1;
          if (!f.pairs.some((pair) => pair[side] === signal)) {
            const can = [...new Set(f.pairs.map((pair) => pair[side]))].join(', ');
            ctx.errors.push(configError(ctx.origins, at, `connector "${id}" (type ${connector.type}) cannot be ${section === 'exporters' ? 'an exporter' : 'a receiver'} of a ${signal} pipeline`, `as ${section === 'exporters' ? 'an exporter' : 'a receiver'} it joins ${can} pipelines`));
          }
        }
        return;
      }
      used[section].add(id);
      const defined = sections[section].get(id);
      if (defined === undefined) {
        ctx.errors.push(configError(ctx.origins, at, `${kind} "${id}" is not defined`, undefinedRefFix(id, section, [...sections[section].keys()], types[section])));
        return;
      }
      const factory = defined.factory;
      if (signal === undefined || factory === undefined || factory.kind === 'extension' || factory.kind === 'connector') return;
      if (!factory.signals.includes(signal)) {
        const supported = factory.signals.join(', ');
        ctx.errors.push(configError(ctx.origins, at, `${kind} "${id}" (type ${defined.type}) does not support ${signal}`, `it supports ${supported === '' ? 'no signals' : supported}; remove it from pipeline "${pid}"`));
      } else if (factory.kind === 'processor' && defined.valid && factory.validateForSignal) {
        for (const p of factory.validateForSignal(defined.config, signal)) {
          const sub = p.path === '' ? [] : p.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
          ctx.errors.push(configError(ctx.origins, [section, id, ...sub], `${p.message} (the processor is in pipeline "${pid}")`, p.fix));
        }
      }
    });
  }
  if (signal === undefined) return undefined;
  warnBatchBeforePersistentQueue(pid, path, lists, sections, ctx);
  return { id: pid, signal, ...lists };
}

/**
 * A batch processor answers senders before what it holds reaches the exporters' queues: in front
 * of a persistent queue, that buffer is the one place a crash still loses answered data.
 */
function warnBatchBeforePersistentQueue(pid: string, path: PathSegment[], lists: Record<'processors' | 'exporters', string[]>, sections: Sections, ctx: ValidationContext): void {
  const persistent = lists.exporters.filter((id) => {
    const queue = (sections.exporters.get(id)?.config as { sending_queue?: { enabled?: boolean; storage?: unknown } } | undefined)?.sending_queue;
    return queue !== undefined && queue.enabled !== false && typeof queue.storage === 'string';
  });
  if (persistent.length === 0) return;
  lists.processors.forEach((id, i) => {
    const p = sections.processors.get(id);
    if (p?.factory?.type !== 'batch' || (p.config as { wait_for_result?: boolean }).wait_for_result === true) return;
    warnAt(
      ctx,
      [...path, 'processors', i],
      `processor "${id}" answers senders before what it holds reaches the persistent queue of ${persistent.map((e) => `exporter "${e}"`).join(', ')}: a crash loses up to its timeout of data that was answered 200/OK. Batch in the queue instead: remove "${id}" from pipeline "${pid}" and set sending_queue.batch: {} on ${persistent.join(', ')} (or set wait_for_result: true on the processor)`,
    );
  });
}

function resolveTelemetry(telemetry: unknown, ctx: ValidationContext): TelemetryConfig {
  const t = isConfigMap(telemetry) ? telemetry : {};
  const metrics = isConfigMap(t.metrics) ? t.metrics : {};
  const logs = isConfigMap(t.logs) ? t.logs : {};
  const base = ['service', 'telemetry', 'metrics'];
  let address: string | undefined = typeof metrics.address === 'string' ? metrics.address : DEFAULT_METRICS_ADDRESS;
  const readers = Array.isArray(metrics.readers) ? metrics.readers : [];
  const pulls: { host: string; port: number }[] = [];
  readers.forEach((r, i) => {
    if (!isConfigMap(r)) return;
    if (r.periodic !== undefined) {
      ctx.errors.push(configError(ctx.origins, [...base, 'readers', i, 'periodic'], 'periodic (push) metric readers are not supported by Ferry yet', 'use a pull reader with a prometheus exporter and scrape it'));
    }
    const prom = isConfigMap(r.pull) && isConfigMap(r.pull.exporter) ? r.pull.exporter.prometheus : undefined;
    if (isConfigMap(prom) && typeof prom.host === 'string' && typeof prom.port === 'number') pulls.push({ host: prom.host, port: prom.port });
    else if (r.pull === undefined && r.periodic === undefined) {
      ctx.errors.push(configError(ctx.origins, [...base, 'readers', i], 'a metric reader needs pull:', 'write pull: {exporter: {prometheus: {host: 127.0.0.1, port: 8888}}}'));
    }
  });
  if (pulls.length > 1) {
    ctx.errors.push(configError(ctx.origins, [...base, 'readers'], `${pulls.length} pull readers configured; Ferry serves its metrics on one endpoint`, 'keep one pull reader'));
  }
  const pull = pulls[0];
  if (pull !== undefined) {
    if (typeof metrics.address === 'string') warnAt(ctx, [...base, 'address'], 'ignored because metrics.readers is set');
    address = `${pull.host.includes(':') ? `[${pull.host}]` : pull.host}:${pull.port}`;
  }
  if (metrics.level === 'none') address = undefined;
  return {
    metrics: { address },
    logs: { level: (logs.level ?? 'info') as LogLevel, encoding: (logs.encoding ?? 'console') as LogEncoding },
  };
}

/** The component types Ferry ships, per section, for hints on undefined references. */
export type KnownTypes = Readonly<Record<SectionKey, readonly string[]>>;

/**
 * The fix for a reference to an undefined component: the nearest defined id if one
 * is close; otherwise, when the name is (close to) a type Ferry has, how to define it.
 */
function undefinedRefFix(id: string, section: SectionKey, defined: readonly string[], types: readonly string[]): string {
  const close = nearest(id, defined);
  if (close !== undefined) return `did you mean "${close}"? define it under ${section}:, or use one of: ${knownList(defined)}`;
  const type = id.split('/')[0] as string;
  const typeMatch = types.includes(type) ? type : nearest(type, types);
  const hint = typeMatch === undefined ? '' : `did you mean the "${typeMatch}" ${KIND_OF[section]}? `;
  return `${hint}define it under ${section}:, or use one of: ${knownList(defined)}`;
}

/**
 * `receivers:` / `processors:` / `exporters:` written where pipeline ids go (one level too far
 * left, under an empty `logs:`): one error that says so, instead of "must be a map" for each
 * and "has no receivers" for the empty pipeline. True when some were found (and removed).
 */
function misplacedPipelineKeys(svc: ConfigMap, ctx: ValidationContext): boolean {
  const pipelines = svc.pipelines;
  if (!isConfigMap(pipelines)) return false;
  const keys = Object.keys(PIPELINE_SCHEMA.properties as object);
  const misplaced = Object.keys(pipelines).filter((k) => keys.includes(k));
  if (misplaced.length === 0) return false;
  const empty = Object.entries(pipelines)
    .filter(([k, v]) => !keys.includes(k) && (v === null || v === undefined || (isConfigMap(v) && Object.keys(v).length === 0)))
    .map(([k]) => k);
  const under = empty.length > 0 ? empty.map((e) => `"${e}:"`).join(' or ') : 'its pipeline id (e.g. "logs:")';
  for (const k of misplaced) {
    ctx.errors.push(
      configError(ctx.origins, ['service', 'pipelines', k], `"${k}" is a key of a pipeline, written where pipeline ids go: check its indentation`, `indent "${k}:" two more spaces, under ${under}`),
    );
    delete pipelines[k];
  }
  for (const e of empty) delete pipelines[e];
  return true;
}

/** Validate `service` and the graph it describes against the checked sections. */
export function checkService(root: ConfigMap, sections: Sections, types: KnownTypes, ctx: ValidationContext): CheckedService {
  const used: CheckedService['used'] = { receivers: new Set(), processors: new Set(), exporters: new Set(), extensions: new Set(), connectors: new Set() };
  let service = root.service ?? {};
  if (!isConfigMap(service)) {
    ctx.errors.push(configError(ctx.origins, ['service'], 'service must be a map with pipelines:', 'write service:, then pipelines: indented below it'));
    service = {};
  }
  const svc = service as ConfigMap;
  setOwn(root, 'service', svc);
  dropIgnoredTelemetry(svc, ctx);
  const misplaced = misplacedPipelineKeys(svc, ctx);
  checkAgainstSchema(SERVICE_SCHEMA, svc, ['service'], ctx, 'service');

  const pipelines: PipelineConfig[] = [];
  const declared = isConfigMap(svc.pipelines) ? svc.pipelines : {};
  if (Object.keys(declared).length === 0 && !misplaced) {
    ctx.errors.push(configError(ctx.origins, ['service', 'pipelines'], 'the configuration has no pipelines', 'add service.pipelines with at least one pipeline, e.g. logs: {receivers: [otlp], exporters: [debug]}'));
  }
  for (const [pid, p] of Object.entries(declared)) {
    if (!isConfigMap(p)) continue;
    const checked = checkPipeline(pid, p, sections, types, used, ctx);
    if (checked !== undefined) pipelines.push(checked);
  }

  const serviceExtensions: string[] = [];
  strings(svc.extensions).forEach((id, i) => {
    const at = ['service', 'extensions', i];
    if (serviceExtensions.includes(id)) {
      ctx.errors.push(configError(ctx.origins, at, `extension "${id}" is listed more than once`, 'remove the repeat'));
      return;
    }
    serviceExtensions.push(id);
    used.extensions.add(id);
    if (!sections.extensions.has(id)) {
      ctx.errors.push(configError(ctx.origins, at, `extension "${id}" is not defined`, undefinedRefFix(id, 'extensions', [...sections.extensions.keys()], types.extensions)));
    }
  });

  checkConnectors(pipelines, sections, used, ctx);
  return { pipelines, serviceExtensions, telemetry: resolveTelemetry(svc.telemetry, ctx), used };
}

/**
 * Each connector used must be an exporter of some pipeline and a receiver of another, with a
 * [from, to] pair it supports, and the pipelines it joins must not form a cycle.
 */
function checkConnectors(pipelines: readonly PipelineConfig[], sections: Sections, used: CheckedService['used'], ctx: ValidationContext): void {
  for (const id of used.connectors) {
    const c = sections.connectors.get(id);
    const f = c?.factory;
    if (c === undefined || f === undefined || f.kind !== 'connector') continue;
    if (sections.exporters.has(id) || sections.receivers.has(id)) {
      ctx.errors.push(configError(ctx.origins, ['connectors', id], `"${id}" is defined both as a connector and as a ${sections.exporters.has(id) ? 'exporter' : 'receiver'}`, 'give the connector another name (e.g. ' + `${c.type}/2)`));
    }
    const from = pipelines.filter((p) => p.exporters.includes(id));
    const to = pipelines.filter((p) => p.receivers.includes(id));
    if (from.length === 0 || to.length === 0) {
      ctx.errors.push(configError(ctx.origins, ['connectors', id], `connector "${id}" must be an exporter of one pipeline and a receiver of another; it is only ${from.length === 0 ? 'a receiver' : 'an exporter'}`, `list "${id}" under exporters: of the pipeline that feeds it and under receivers: of the pipeline it feeds`));
      continue;
    }
    for (const p of from) {
      if (!to.some((q) => f.pairs.some(([a, b]) => a === p.signal && b === q.signal))) {
        ctx.errors.push(configError(ctx.origins, ['service', 'pipelines', p.id, 'exporters'], `connector "${id}" has no pipeline to send ${p.signal} to`, `it turns ${p.signal} into ${f.pairs.filter(([a]) => a === p.signal).map(([, b]) => b).join(', ') || 'nothing'}; list it under receivers: of such a pipeline`));
      }
    }
    if (c.valid && f.validateForPipelines) {
      const bySignal = new Map<Signal, string[]>();
      for (const q of to) bySignal.set(q.signal, [...(bySignal.get(q.signal) ?? []), q.id]);
      for (const p of f.validateForPipelines(c.config, bySignal)) {
        const sub = p.path === '' ? [] : p.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
        ctx.errors.push(configError(ctx.origins, ['connectors', id, ...sub], p.message, p.fix));
      }
    }
  }
  // A cycle (a → connector → b → connector → a) would loop data forever.
  const next = (p: PipelineConfig): PipelineConfig[] => pipelines.filter((q) => p.exporters.some((id) => used.connectors.has(id) && q.receivers.includes(id)));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: PipelineConfig, trail: string[]): boolean => {
    if (state.get(p.id) === 'done') return false;
    if (state.get(p.id) === 'visiting') {
      ctx.errors.push(configError(ctx.origins, ['service', 'pipelines', p.id], `the pipelines form a cycle through connectors: ${[...trail, p.id].join(' → ')}`, 'remove one of the connectors from the cycle'));
      return true;
    }
    state.set(p.id, 'visiting');
    for (const q of next(p)) if (visit(q, [...trail, p.id])) return true;
    state.set(p.id, 'done');
    return false;
  };
  for (const p of pipelines) if (visit(p, [])) break;
}
