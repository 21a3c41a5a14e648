// What the config loader does to a nats receiver's YAML (null maps, ajv defaults),
// shared by the nats receiver's tests.
import { compileConfigSchema, fillNullMaps } from '../../../src/config/validate.js';
import { natsReceiver, type NatsReceiverConfig } from '../../../src/receivers/nats/index.js';

export function loadReceiverConfig(raw: Record<string, unknown>): NatsReceiverConfig {
  const data = structuredClone(raw);
  fillNullMaps(natsReceiver.configSchema, data);
  const validate = compileConfigSchema(natsReceiver.configSchema);
  if (!validate(data)) throw new Error(JSON.stringify(validate.errors));
  return data as unknown as NatsReceiverConfig;
}
