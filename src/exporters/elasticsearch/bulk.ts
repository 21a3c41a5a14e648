// The _bulk API's wire format (Elasticsearch's and OpenSearch's): an NDJSON body of `create`
// (data streams accept only create) or `index` actions each followed by its document, and the
// response's per-item statuses and errors.
import type { BulkDocument } from './document.js';

export type BulkAction = 'create' | 'index';

/** `{"create":{"_index":…}}\n<document>\n` per document; the body ends with a newline, as _bulk requires. */
export function bulkBody(docs: readonly BulkDocument[], action: BulkAction = 'create'): Buffer {
  const parts: string[] = [];
  for (const d of docs) parts.push(`{"${action}":{"_index":${JSON.stringify(d.index)}}}\n`, d.json, '\n');
  return Buffer.from(parts.join(''));
}

/**
 * The response fields the exporter reads (the filter_path it asks for): a successful response
 * without errors reduces to {"errors":false,"items":[{"create":{"status":201}},…]}.
 */
export const FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

export interface BulkItemResult {
  readonly status: number;
  readonly type?: string;
  readonly reason?: string;
}

interface RawItem {
  readonly status?: unknown;
  readonly error?: { readonly type?: unknown; readonly reason?: unknown } | string;
}

/** The item results of a _bulk response, in request order; undefined when the body is not one. */
export function parseBulkResponse(body: Buffer): { errors: boolean; items: BulkItemResult[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { errors, items } = parsed as { errors?: unknown; items?: unknown };
  const results: BulkItemResult[] = [];
  if (Array.isArray(items)) {
    for (const entry of items as unknown[]) {
      // Each item is {"<action>": {...}}; the action is create here, but read whichever it is.
      const raw = (typeof entry === 'object' && entry !== null ? Object.values(entry)[0] : undefined) as RawItem | undefined;
      const status = typeof raw?.status === 'number' ? raw.status : 0;
      const error = raw?.error;
      if (typeof error === 'string') results.push({ status, reason: error });
      else results.push({ status, type: typeof error?.type === 'string' ? error.type : undefined, reason: typeof error?.reason === 'string' ? error.reason : undefined });
    }
  }
  return { errors: errors === true, items: results };
}

/**
 * An item error's reason without document content: mapping errors quote the field's value
 * ("Preview of field's value: '…'"), which must not reach our logs.
 */
export function safeReason(reason: string | undefined): string {
  if (!reason) return '';
  const cut = reason.replace(/\s*Preview of field's value:[\s\S]*$/, '').replace(/\s+/g, ' ').trim();
  return cut.length > 200 ? `${cut.slice(0, 200)}…` : cut;
}

/** The message of an Elasticsearch error response ({"error":{"type","reason"},"status"}), else its text. */
export function errorResponseMessage(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { type?: unknown; reason?: unknown } | string };
    const e = parsed.error;
    if (typeof e === 'string') return safeReason(e);
    if (e && typeof e === 'object') {
      const type = typeof e.type === 'string' ? e.type : '';
      const reason = typeof e.reason === 'string' ? safeReason(e.reason) : '';
      return [type, reason].filter((s) => s !== '').join(': ');
    }
  } catch {
    // Not JSON (a proxy's page): the text, trimmed.
  }
  return body.toString('utf8', 0, Math.min(body.byteLength, 512)).replace(/\s+/g, ' ').trim();
}
