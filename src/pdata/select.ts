// Keeping some items of a batch: exporters whose backend refuses single items (an
// Elasticsearch bulk item, a CloudWatch event) build the part to retry with this.
import { makeBatch, type Batch, type BatchOf, type LogsBatch, type TracesBatch } from './batch.js';

/**
 * A batch of the items (log records or spans) whose running index over the whole batch,
 * in order, passes `keep`. Resources and scopes are shared by reference with new item
 * arrays; those left empty are dropped. The input is not modified.
 */
export function selectItems<B extends LogsBatch | TracesBatch>(batch: B, keep: (index: number) => boolean): B {
  let index = 0;
  if (batch.signal === 'logs') {
    const resources: LogsBatch['resources'] = [];
    for (const r of batch.resources) {
      const scopeLogs = [];
      for (const s of r.scopeLogs) {
        const logRecords = s.logRecords.filter(() => keep(index++));
        if (logRecords.length > 0) scopeLogs.push({ ...s, logRecords });
      }
      if (scopeLogs.length > 0) resources.push({ ...r, scopeLogs });
    }
    return makeBatch('logs', resources, batch.context) as Batch as B;
  }
  const resources: TracesBatch['resources'] = [];
  for (const r of (batch as BatchOf<'traces'>).resources) {
    const scopeSpans = [];
    for (const s of r.scopeSpans) {
      const spans = s.spans.filter(() => keep(index++));
      if (spans.length > 0) scopeSpans.push({ ...s, spans });
    }
    if (scopeSpans.length > 0) resources.push({ ...r, scopeSpans });
  }
  return makeBatch('traces', resources, batch.context) as Batch as B;
}
