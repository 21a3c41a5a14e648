// What an OTLP exporter does with the server's answer to a successful export:
// read partial success, and never resend data the server said it accepted.
import { errorMessage } from '../../consumer.js';
import type { ExportResponse } from '../../pdata/proto.js';
import type { Signal } from '../../pdata/types.js';
import type { Logger } from '../../telemetry/logger.js';

/**
 * Decode the response of an export the server accepted, and log a partial success
 * (rejected items) at warn, as the Collector does. An unreadable response counts as
 * success: the data is in, and resending it would duplicate it.
 */
export function readExportResponse(logger: Logger, signal: Signal, decode: () => ExportResponse, fields: Record<string, unknown> = {}): void {
  let response: ExportResponse;
  try {
    response = decode();
  } catch (err) {
    logger.warn('Could not read the export response; treating it as success.', { ...fields, error: errorMessage(err) });
    return;
  }
  const partial = response.partialSuccess;
  if (partial && (partial.rejected > 0 || partial.errorMessage)) {
    logger.warn('Partial success response', { signal, rejected: partial.rejected, message: partial.errorMessage });
  }
}
