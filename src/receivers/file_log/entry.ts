// A log entry as stanza operators see it (body, attributes, resource, time, severity), and the
// field syntax that names a place in it: `body`, `body.x`, `attributes.x`, `resource["a.b"]`.

export type Value = unknown;
export type ValueMap = Record<string, Value>;

export interface Entry {
  body: Value;
  attributes: ValueMap;
  resource: ValueMap;
  /** Nanoseconds since the epoch, when a timestamp was parsed. */
  timestamp: bigint | undefined;
  observedTimestamp: bigint;
  /** OTLP severity number (0 unset, 1–24). */
  severity: number;
  severityText: string | undefined;
}

export type Root = 'body' | 'attributes' | 'resource';

/** A parsed field: its root and the keys below it (none: the root itself). */
export interface Field {
  readonly root: Root;
  readonly keys: readonly string[];
  readonly text: string;
}

const isMap = (v: unknown): v is ValueMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Split `a.b["c.d"]['e']` into keys. */
function splitKeys(rest: string, text: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < rest.length) {
    const c = rest[i];
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const quote = rest[i + 1];
      if (quote !== '"' && quote !== "'") throw new Error(`field "${text}": a bracket must hold a quoted key, e.g. attributes["a.b"]`);
      const end = rest.indexOf(`${quote}]`, i + 2);
      if (end < 0) throw new Error(`field "${text}": unclosed bracket`);
      keys.push(rest.slice(i + 2, end));
      i = end + 2;
      continue;
    }
    let j = i;
    while (j < rest.length && rest[j] !== '.' && rest[j] !== '[') j++;
    keys.push(rest.slice(i, j));
    i = j;
  }
  if (keys.some((k) => k === '')) throw new Error(`field "${text}": empty key`);
  return keys;
}

/** Parse a field; the old `$body`/`$record`/`$attributes` forms and a bare key (a body key) are accepted too. */
export function parseField(text: string): Field {
  let t = text.trim();
  if (t.startsWith('$')) t = t.slice(1);
  if (t.startsWith('record')) t = `body${t.slice('record'.length)}`;
  for (const root of ['body', 'attributes', 'resource'] as const) {
    if (t === root) return { root, keys: [], text };
    if (t.startsWith(`${root}.`) || t.startsWith(`${root}[`)) return { root, keys: splitKeys(t.slice(root.length), text), text };
  }
  if (t === '') throw new Error('empty field: write body, body.key, attributes.key or resource.key');
  return { root: 'body', keys: splitKeys(t, text), text };
}

function rootOf(entry: Entry, root: Root): Value {
  return root === 'body' ? entry.body : entry[root];
}

export function getField(entry: Entry, field: Field): Value {
  let v = rootOf(entry, field.root);
  for (const k of field.keys) {
    if (!isMap(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** Set a field, creating maps on the way (a non-map in the way is replaced). */
export function setField(entry: Entry, field: Field, value: Value): void {
  if (field.keys.length === 0) {
    if (field.root === 'body') entry.body = value;
    else entry[field.root] = isMap(value) ? value : {};
    return;
  }
  let parent: ValueMap;
  if (field.root === 'body') {
    if (!isMap(entry.body)) entry.body = {};
    parent = entry.body as ValueMap;
  } else parent = entry[field.root];
  const keys = field.keys;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i] as string;
    const next = parent[k];
    if (isMap(next)) parent = next;
    else {
      const created: ValueMap = {};
      parent[k] = created;
      parent = created;
    }
  }
  parent[keys[keys.length - 1] as string] = value;
}

/** Remove a field and return what it held. */
export function deleteField(entry: Entry, field: Field): Value {
  if (field.keys.length === 0) {
    const old = rootOf(entry, field.root);
    if (field.root === 'body') entry.body = undefined;
    else entry[field.root] = {};
    return old;
  }
  let parent = rootOf(entry, field.root);
  const keys = field.keys;
  for (let i = 0; i < keys.length - 1; i++) {
    if (!isMap(parent)) return undefined;
    parent = parent[keys[i] as string];
  }
  if (!isMap(parent)) return undefined;
  const last = keys[keys.length - 1] as string;
  const old = parent[last];
  delete parent[last];
  return old;
}

/** Merge a parsed map into a field (parse_to): keys are added to what is there. */
export function mergeInto(entry: Entry, field: Field, values: ValueMap): void {
  const current = getField(entry, field);
  if (isMap(current)) Object.assign(current, values);
  else setField(entry, field, { ...values });
}

export { isMap };
