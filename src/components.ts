// The registry: every factory Ferry ships. `ferry components` prints it and the
// configuration is validated against it.
import type { Components, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from './component.js';
import { debugExporter } from './exporters/debug/index.js';
import { fileExporter } from './exporters/file/index.js';
import { otlpExporter } from './exporters/otlp/index.js';
import { otlphttpExporter } from './exporters/otlphttp/index.js';
import { healthCheckExtension } from './extensions/health_check/index.js';
import { batchProcessor } from './processors/batch/index.js';
import { otlpReceiver } from './receivers/otlp/index.js';

function byType<F extends { type: string }>(factories: readonly F[]): ReadonlyMap<string, F> {
  return new Map(factories.map((f) => [f.type, f]));
}

export const components: Components = {
  receivers: byType<ReceiverFactory>([otlpReceiver as ReceiverFactory]),
  processors: byType<ProcessorFactory>([batchProcessor as ProcessorFactory]),
  exporters: byType<ExporterFactory>([
    otlpExporter as ExporterFactory,
    otlphttpExporter as ExporterFactory,
    debugExporter as ExporterFactory,
    fileExporter as ExporterFactory,
  ]),
  extensions: byType<ExtensionFactory>([healthCheckExtension as ExtensionFactory]),
};
