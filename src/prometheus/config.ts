// Configuration fragments both Prometheus exporters share, with the Collector's keys:
// naming (namespace, add_metric_suffixes, translation_strategy) and resource_to_telemetry_conversion.
import type { SchemaObject } from 'ajv';
import type { LabelOptions } from './labels.js';
import type { NamingOptions } from './naming.js';

/** The Collector's translation strategies that keep names valid in classic Prometheus (the UTF-8 ones are not supported). */
export type TranslationStrategy = 'UnderscoreEscapingWithSuffixes' | 'UnderscoreEscapingWithoutSuffixes';

export interface ResourceToTelemetryConfig {
  enabled: boolean;
  exclude_service_attributes: boolean;
}

export interface NamingConfig {
  namespace: string;
  add_metric_suffixes: boolean;
  translation_strategy?: TranslationStrategy;
}

export const resourceToTelemetrySchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'Copy every resource attribute onto every series as a label (besides target_info).',
  properties: {
    enabled: { type: 'boolean', default: false, description: 'Turn resource attributes into labels of every series.' },
    exclude_service_attributes: {
      type: 'boolean',
      default: false,
      description: 'But not service.name, service.namespace and service.instance.id, which already make job and instance.',
    },
  },
};

export const namingProperties: Readonly<Record<string, SchemaObject>> = {
  namespace: { type: 'string', default: '', description: 'Prefix of every metric name (namespace_name), target_info included.' },
  add_metric_suffixes: {
    type: 'boolean',
    default: true,
    description: 'Add unit and type suffixes (_seconds, _bytes, _ratio, _total). Ignored when translation_strategy is set.',
  },
  translation_strategy: {
    type: 'string',
    enum: ['UnderscoreEscapingWithSuffixes', 'UnderscoreEscapingWithoutSuffixes'],
    description:
      'How names are translated: invalid characters become _, with or without the unit and type suffixes. The Collector\'s UTF-8 strategies (NoUTF8EscapingWithSuffixes, NoTranslation) are not supported.',
  },
};

export function namingOptions(config: NamingConfig): NamingOptions {
  const addSuffixes = config.translation_strategy === undefined ? config.add_metric_suffixes : config.translation_strategy === 'UnderscoreEscapingWithSuffixes';
  return { namespace: config.namespace ?? '', addSuffixes };
}

export function labelOptions(r2t: ResourceToTelemetryConfig | undefined, scopeLabels: boolean): LabelOptions {
  return { resourceToTelemetry: r2t?.enabled ?? false, excludeServiceAttributes: r2t?.exclude_service_attributes ?? false, scopeLabels };
}
