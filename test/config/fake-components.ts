// A small registry of fake factories for the configuration tests: schemas with
// defaults, nested maps, durations, enums and a semantic check, as real ones have.
import type { SchemaObject } from 'ajv';
import type { Components, ConfigProblem, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from '../../src/component.js';
import { durationSchema } from '../../src/config/units.js';

const notRunnable = (): never => {
  throw new Error('the config tests never create components');
};

const protocol = (port: number): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  description: 'Enable this protocol.',
  properties: {
    endpoint: { type: 'string', default: `127.0.0.1:${port}`, description: 'host:port to listen on.' },
    max_recv_msg_size_mib: { type: 'integer', minimum: 1, default: 4, description: 'Largest request accepted.' },
  },
});

export const otlpReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'otlp',
  description: 'OTLP over gRPC and HTTP.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      protocols: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'Which protocols to serve.',
        properties: { grpc: protocol(4317), http: protocol(4318) },
      },
    },
  },
  validate(config: unknown): ConfigProblem[] {
    const c = config as { protocols: { grpc?: unknown; http?: unknown } };
    if (c.protocols.grpc === undefined && c.protocols.http === undefined) {
      return [{ path: 'protocols', message: 'must enable at least one protocol', fix: 'add grpc: or http: under protocols' }];
    }
    return [];
  },
  create: notRunnable,
};

export const scriptReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'script',
  description: 'Logs from a script.',
  signals: ['logs'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { command: { type: 'string', default: 'true', description: 'What to run.' } },
  },
  create: notRunnable,
};

export const batchProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'batch',
  description: 'Batches data.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      timeout: durationSchema('Send a batch after this long.', '200ms'),
      send_batch_size: { type: 'integer', minimum: 0, default: 8192, description: 'Items that trigger a send.' },
      send_batch_max_size: { type: 'integer', minimum: 0, default: 0, description: 'Upper bound on a batch; 0 for none.' },
    },
  },
  validate(config: unknown): ConfigProblem[] {
    const c = config as { send_batch_size: number; send_batch_max_size: number };
    if (c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size) {
      return [{ path: 'send_batch_max_size', message: 'must be at least send_batch_size', fix: `set it to ${c.send_batch_size} or more` }];
    }
    return [];
  },
  create: notRunnable,
};

export const attributesProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'attributes',
  description: 'Edits attributes.',
  signals: ['logs', 'traces'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      actions: {
        type: 'array',
        default: [],
        description: 'Edits in order.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['key', 'action'],
          properties: {
            key: { type: 'string', description: 'Attribute key.' },
            action: { type: 'string', enum: ['insert', 'update', 'upsert', 'delete'], description: 'What to do.' },
            value: { type: ['string', 'number', 'boolean'], description: 'The value to set.' },
          },
        },
      },
    },
  },
  validate(config: unknown): ConfigProblem[] {
    const c = config as { actions: { action: string; value?: unknown }[] };
    return c.actions.flatMap((a, i) =>
      a.action !== 'delete' && a.value === undefined ? [{ path: `actions[${i}].value`, message: `${a.action} needs a value`, fix: 'add value:' }] : [],
    );
  },
  create: notRunnable,
};

export const debugExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'debug',
  description: 'Prints data.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      verbosity: { type: 'string', enum: ['basic', 'normal', 'detailed'], default: 'basic', description: 'How much to print.' },
      sampling_initial: { type: 'integer', minimum: 0, default: 2, description: 'Items printed each second before sampling.' },
    },
  },
  create: notRunnable,
};

export const otlphttpExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'otlphttp',
  description: 'OTLP over HTTP.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['endpoint'],
    properties: {
      endpoint: { type: 'string', description: 'Base URL of the backend.' },
      timeout: durationSchema('Per-request timeout.', '30s'),
      compression: { type: 'string', enum: ['gzip', 'none'], default: 'gzip', description: 'Body compression.' },
      headers: { type: 'object', default: {}, additionalProperties: { type: 'string' }, description: 'Extra request headers.' },
      tls: { type: 'object', additionalProperties: false, description: 'TLS settings.', properties: { insecure: { type: 'boolean', default: false, description: 'Plain HTTP.' } } },
      sending_queue: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'Queue in front of the sender.',
        properties: {
          enabled: { type: 'boolean', default: true, description: 'Queue at all.' },
          queue_size: { type: 'integer', minimum: 1, default: 1000, description: 'Batches held.' },
        },
      },
    },
  },
  create: notRunnable,
};

export const prometheusExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'Serves metrics.',
  signals: ['metrics'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { endpoint: { type: 'string', default: '127.0.0.1:8889', description: 'host:port to serve on.' } },
  },
  create: notRunnable,
};

export const healthCheckExtension: ExtensionFactory = {
  kind: 'extension',
  type: 'health_check',
  description: 'Health endpoint.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { endpoint: { type: 'string', default: '127.0.0.1:13133', description: 'host:port to serve on.' } },
  },
  create: notRunnable,
};

const byType = <F extends { type: string }>(...fs: F[]): ReadonlyMap<string, F> => new Map(fs.map((f) => [f.type, f]));

export const fakeComponents: Components = {
  receivers: byType(otlpReceiver, scriptReceiver),
  processors: byType(batchProcessor, attributesProcessor),
  exporters: byType(debugExporter, otlphttpExporter, prometheusExporter),
  extensions: byType(healthCheckExtension),
};

/** A minimal valid configuration to build on. */
export const MINIMAL = `
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`;
