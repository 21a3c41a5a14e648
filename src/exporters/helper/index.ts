// The exporter helper's public face: createExporter, the shared config schema
// fragments, and the classification of transport outcomes.
export { createExporter, type ExporterOptions, type QueuedExporter, type QueueLeftover } from './exporter.js';
export {
  DEFAULT_SENDING_QUEUE,
  sendingQueueSchema,
  sendingQueueSettings,
  validateSendingQueue,
  type SendingQueueConfig,
  type SendingQueueSettings,
} from './queue-config.js';
export type { SizerType } from './sizer.js';
export {
  Backoff,
  DEFAULT_RETRY_ON_FAILURE,
  retryOnFailureSchema,
  retrySettings,
  timeoutSchema,
  validateRetryOnFailure,
  type RetryOnFailureConfig,
  type RetrySettings,
} from './retry.js';
export { GrpcCode, grpcRetryDelayMs, grpcStatusError, httpStatusError, networkError, parseRetryAfter, type GrpcStatusLike, type HttpHeaders } from './errors.js';
export { readExportResponse } from './response.js';
export { USER_AGENT, compressionSchema, headersSchema, headerEntries, redactUrl, urlProblem, type HeadersConfig } from './client-config.js';
export { DEFAULT_GZIP_LEVEL, createHttpClient, gzipBody, type HttpClient, type HttpClientOptions, type HttpResponse } from './http-client.js';
