// The registry: every factory Ferry ships. `ferry components` prints it and the
// configuration is validated against it.
import type { Components, ConnectorFactory, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from './component.js';
import { forwardConnector } from './connectors/forward/index.js';
import { routingConnector } from './connectors/routing/index.js';
import { countConnector } from './connectors/count/index.js';
import { spanMetricsConnector } from './connectors/span_metrics/index.js';
import { debugExporter } from './exporters/debug/index.js';
import { fileExporter } from './exporters/file/index.js';
import { otlpExporter } from './exporters/otlp/index.js';
import { otlphttpExporter } from './exporters/otlphttp/index.js';
import { natsExporter } from './exporters/nats/index.js';
import { awsCloudWatchLogsExporter } from './exporters/awscloudwatchlogs/index.js';
import { datadogExporter } from './exporters/datadog/index.js';
import { splunkHecExporter } from './exporters/splunk_hec/index.js';
import { lokiExporter } from './exporters/loki/index.js';
import { elasticsearchExporter } from './exporters/elasticsearch/index.js';
import { opensearchExporter } from './exporters/opensearch/index.js';
import { httpExporter } from './exporters/http/index.js';
import { syslogExporter } from './exporters/syslog/index.js';
import { awsS3Exporter } from './exporters/awss3/index.js';
import { azureMonitorExporter } from './exporters/azure_monitor/index.js';
import { googleCloudExporter } from './exporters/googlecloud/index.js';
import { azureLogsIngestionExporter } from './exporters/azure_logs_ingestion/index.js';
import { prometheusExporter } from './exporters/prometheus/index.js';
import { prometheusRemoteWriteExporter } from './exporters/prometheusremotewrite/index.js';
import { natsReceiver } from './receivers/nats/index.js';
import { healthCheckExtension } from './extensions/health_check/index.js';
import { fileStorageExtension } from './extensions/file_storage/index.js';
import { batchProcessor } from './processors/batch/index.js';
import { attributesProcessor } from './processors/attributes/index.js';
import { filterProcessor } from './processors/filter/index.js';
import { memoryLimiterProcessor } from './processors/memory_limiter/index.js';
import { resourceProcessor } from './processors/resource/index.js';
import { transformProcessor } from './processors/transform/index.js';
import { cumulativeToDeltaProcessor } from './processors/cumulative_to_delta/index.js';
import { resourceDetectionProcessor } from './processors/resource_detection/index.js';
import { otlpReceiver } from './receivers/otlp/index.js';
import { prometheusReceiver } from './receivers/prometheus/index.js';
import { httpCheckReceiver } from './receivers/http_check/index.js';
import { stdoutMarkersReceiver } from './receivers/stdout_markers/index.js';
import { fileLogReceiver } from './receivers/file_log/index.js';
import { hostMetricsReceiver } from './receivers/host_metrics/index.js';
import { zipkinReceiver } from './receivers/zipkin/index.js';
import { jaegerReceiver } from './receivers/jaeger/index.js';

/**
 * The one alias table: each factory under its current type name and under every deprecated
 * name it declares (`deprecatedTypes`), so old and new configurations both resolve.
 */
export function byType<F extends { type: string; deprecatedTypes?: readonly string[] }>(factories: readonly F[]): ReadonlyMap<string, F> {
  const map = new Map<string, F>();
  for (const f of factories) {
    for (const name of [f.type, ...(f.deprecatedTypes ?? [])]) {
      if (map.has(name)) throw new Error(`component type "${name}" is registered twice`);
      map.set(name, f);
    }
  }
  return map;
}

export const components: Components = {
  receivers: byType<ReceiverFactory>([
    otlpReceiver as ReceiverFactory,
    stdoutMarkersReceiver as ReceiverFactory,
    natsReceiver as ReceiverFactory,
    prometheusReceiver as ReceiverFactory,
    httpCheckReceiver as ReceiverFactory,
    fileLogReceiver as ReceiverFactory,
    hostMetricsReceiver as ReceiverFactory,
    zipkinReceiver as ReceiverFactory,
    jaegerReceiver as ReceiverFactory,
  ]),
  processors: byType<ProcessorFactory>([
    batchProcessor as ProcessorFactory,
    memoryLimiterProcessor as ProcessorFactory,
    resourceProcessor as ProcessorFactory,
    attributesProcessor as ProcessorFactory,
    filterProcessor as ProcessorFactory,
    transformProcessor as ProcessorFactory,
    cumulativeToDeltaProcessor as ProcessorFactory,
    resourceDetectionProcessor as ProcessorFactory,
  ]),
  exporters: byType<ExporterFactory>([
    otlpExporter as ExporterFactory,
    otlphttpExporter as ExporterFactory,
    debugExporter as ExporterFactory,
    fileExporter as ExporterFactory,
    natsExporter as ExporterFactory,
    awsCloudWatchLogsExporter as ExporterFactory,
    datadogExporter as ExporterFactory,
    splunkHecExporter as ExporterFactory,
    lokiExporter as ExporterFactory,
    elasticsearchExporter as ExporterFactory,
    opensearchExporter as ExporterFactory,
    httpExporter as ExporterFactory,
    syslogExporter as ExporterFactory,
    awsS3Exporter as ExporterFactory,
    azureMonitorExporter as ExporterFactory,
    googleCloudExporter as ExporterFactory,
    azureLogsIngestionExporter as ExporterFactory,
    prometheusExporter as ExporterFactory,
    prometheusRemoteWriteExporter as ExporterFactory,
  ]),
  extensions: byType<ExtensionFactory>([healthCheckExtension as ExtensionFactory, fileStorageExtension as ExtensionFactory]),
  connectors: byType<ConnectorFactory>([forwardConnector as ConnectorFactory, routingConnector as ConnectorFactory, countConnector as ConnectorFactory, spanMetricsConnector as ConnectorFactory]),
};
