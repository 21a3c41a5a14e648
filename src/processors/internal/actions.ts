// The Collector's attribute actions (insert, update, upsert, delete, hash, extract, convert),
// shared by the resource and attributes processors: schema, checks, and the compiled engine.
import { createHash } from 'node:crypto';
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { RequestContext } from '../../pdata/batch.js';
import type { AnyValue, KeyValue } from '../../pdata/types.js';
import { didYouMean } from '../../config/suggest.js';
import { compileGoRegexp, groupNames, regexpProblem } from './regexp.js';
import { copyValue, getAttribute, putAttribute, removeAttribute, valueAsString, valueFromRaw, valueType } from './values.js';

export const ACTIONS = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert'] as const;
export type ActionName = (typeof ACTIONS)[number];
export const CONVERTED_TYPES = ['int', 'double', 'string'] as const;

/** One entry of `actions:` (attributes processor) or `attributes:` (resource processor). */
export interface ActionConfig {
  key?: string;
  /** insert | update | upsert | delete | hash | extract | convert, case-insensitive as in the Collector. */
  action: string;
  value?: unknown;
  from_attribute?: string;
  from_context?: string;
  default_value?: unknown;
  pattern?: string;
  converted_type?: string;
}

const ANY_VALUE_TYPES = ['string', 'number', 'boolean', 'array', 'object', 'null'];

export const actionSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  description: 'One attribute action, applied in list order.',
  properties: {
    key: { type: 'string', description: 'The attribute to act on. Required except for delete and hash with a pattern.' },
    action: {
      type: 'string',
      description: `What to do: ${ACTIONS.join(', ')} (case-insensitive).`,
    },
    value: {
      type: ANY_VALUE_TYPES,
      description: 'insert/update/upsert: the value to set (string, number, boolean, list or map; its type is kept).',
    },
    from_attribute: { type: 'string', description: 'insert/update/upsert: copy the value of this attribute of the same item; nothing happens when it is absent.' },
    from_context: {
      type: 'string',
      description:
        'insert/update/upsert: take the value from the request: client.address, or metadata.<header> (the receiver needs include_metadata: true; several values are joined with ";"). A bare name is read as metadata, as the Collector does.',
    },
    default_value: {
      type: ANY_VALUE_TYPES,
      description: 'insert/update/upsert: the value to use when value, from_attribute or from_context gives none (including value: ${env:VAR} with VAR unset).',
    },
    pattern: {
      type: 'string',
      description: 'delete/hash: a regular expression selecting attribute keys; extract: a regular expression with named groups applied to the value of key (each group becomes an attribute). RE2 syntax such as (?P<name>…) is accepted.',
    },
    converted_type: { type: 'string', enum: [...CONVERTED_TYPES], description: 'convert: the target type, int, double or string; values that cannot be converted are left unchanged.' },
  },
};

export function actionsSchema(description: string): SchemaObject {
  return { type: 'array', items: actionSchema, default: [], description };
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;
/**
 * Whether `value` gives a value. An empty one next to a default_value does not: that is
 * `value: ${env:VAR}` with VAR unset, and the default applies (as the Collector's confmap
 * resolves an unset whole-value reference to nothing).
 */
const hasValue = (a: ActionConfig): boolean => isSet(a.value) && !(a.value === '' && isSet(a.default_value));
const nonEmpty = (s: string | undefined): s is string => s !== undefined && s !== '';

/** Every problem in an action list, with paths under `base` (e.g. `actions`). */
export function validateActions(actions: readonly ActionConfig[], base: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  actions.forEach((a, i) => {
    const at = (field: string): string => `${base}.${i}${field === '' ? '' : `.${field}`}`;
    const add = (field: string, message: string, fix: string): void => void problems.push({ path: at(field), message, fix });
    const action = a.action.toLowerCase() as ActionName;
    if (!ACTIONS.includes(action)) {
      add('action', `unknown action "${a.action}"`, `${didYouMean(a.action, ACTIONS)}use one of: ${ACTIONS.join(', ')}`);
      return;
    }
    const sources = (['value', 'from_attribute', 'from_context'] as const).filter((f) => (f === 'value' ? hasValue(a) : nonEmpty(a[f])));
    const forbid = (fields: readonly (keyof ActionConfig)[]): void => {
      for (const f of fields) {
        const v = a[f];
        if (f === 'value' || f === 'default_value' ? isSet(v) : nonEmpty(v as string | undefined)) add(f, `action ${action} does not use ${f}`, `remove ${f}`);
      }
    };
    switch (action) {
      case 'insert':
      case 'update':
      case 'upsert':
        if (!nonEmpty(a.key)) add('', `action ${action} needs a key`, 'add key: the attribute to set');
        if (sources.length === 0 && !isSet(a.default_value)) add('', `action ${action} needs a value source`, 'add one of value, from_attribute or from_context');
        if (sources.length > 1) add(sources[1] as string, `action ${action} takes one value source, got ${sources.join(' and ')}`, `keep only one of ${sources.join(', ')}`);
        if (a.from_context?.startsWith('auth.')) add('from_context', 'auth.* context is not available: Ferry has no server authenticators', 'use metadata.<header> or client.address');
        forbid(['pattern', 'converted_type']);
        break;
      case 'delete':
      case 'hash':
        if (!nonEmpty(a.key) && !nonEmpty(a.pattern)) add('', `action ${action} needs a key or a pattern`, 'add key (one attribute) and/or pattern (a regular expression on attribute keys)');
        forbid(['value', 'from_attribute', 'from_context', 'default_value', 'converted_type']);
        break;
      case 'extract':
        if (!nonEmpty(a.key)) add('', 'action extract needs a key', 'add key: the attribute whose value the pattern is applied to');
        if (!nonEmpty(a.pattern)) add('', 'action extract needs a pattern', 'add pattern: a regular expression with named groups, such as ^/api/(?P<version>v\\d+)/');
        forbid(['value', 'from_attribute', 'from_context', 'default_value', 'converted_type']);
        break;
      case 'convert':
        if (!nonEmpty(a.key)) add('', 'action convert needs a key', 'add key: the attribute to convert');
        if (!nonEmpty(a.converted_type)) add('', 'action convert needs converted_type', `add converted_type: one of ${CONVERTED_TYPES.join(', ')}`);
        forbid(['value', 'from_attribute', 'from_context', 'default_value', 'pattern']);
        break;
    }
    if (nonEmpty(a.pattern) && (action === 'delete' || action === 'hash' || action === 'extract')) {
      const why = regexpProblem(a.pattern);
      if (why !== undefined) add('pattern', why, 'fix the regular expression (RE2/JavaScript syntax)');
      else if (action === 'extract') {
        const names = groupNames(compileGoRegexp(a.pattern));
        if (names.length === 0) add('pattern', `pattern ${JSON.stringify(a.pattern)} has no named groups, so extract would set nothing`, 'name each group: (?P<name>…) or (?<name>…)');
        else if (names.some((n) => n === undefined)) add('pattern', `pattern ${JSON.stringify(a.pattern)} has an unnamed group`, 'name every group, or make it non-capturing: (?:…)');
      }
    }
  });
  return problems;
}

// ---- the engine

type Source = (attrs: readonly KeyValue[], context: RequestContext | undefined) => AnyValue | undefined;

interface Compiled {
  readonly action: ActionName;
  readonly key: string;
  readonly source: Source | undefined;
  readonly regex: RegExp | undefined;
  readonly groups: readonly string[];
  readonly convertTo: string;
}

/** A request context value as the Collector's from_context reads it; several values joined with ";". */
export function contextValue(key: string, context: RequestContext | undefined): AnyValue | undefined {
  if (key === 'client.address') return context?.clientAddress === undefined ? undefined : { stringValue: context.clientAddress };
  if (key.startsWith('auth.')) return undefined;
  const header = (key.startsWith('metadata.') ? key.slice('metadata.'.length) : key).toLowerCase();
  const values = context?.metadata?.[header];
  if (!values || values.length === 0) return undefined;
  return { stringValue: values.join(';') };
}

function compileSource(a: ActionConfig): Source {
  const fallback = isSet(a.default_value) ? valueFromRaw(a.default_value) : undefined;
  const withDefault = (get: Source): Source => (fallback === undefined ? get : (attrs, ctx) => get(attrs, ctx) ?? fallback);
  if (hasValue(a)) {
    const v = valueFromRaw(a.value);
    return () => v;
  }
  if (nonEmpty(a.from_context)) {
    const key = a.from_context;
    return withDefault((_attrs, ctx) => contextValue(key, ctx));
  }
  if (nonEmpty(a.from_attribute)) {
    const from = a.from_attribute;
    return withDefault((attrs) => getAttribute(attrs, from));
  }
  // Only a default_value (value was an unset variable).
  return () => fallback;
}

/** Compile a validated action list; throws on what validateActions() reports. */
export function compileActions(actions: readonly ActionConfig[]): AttributeActions {
  const problems = validateActions(actions, 'actions');
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return new AttributeActions(
    actions.map((a) => {
      const action = a.action.toLowerCase() as ActionName;
      const regex = nonEmpty(a.pattern) ? compileGoRegexp(a.pattern) : undefined;
      return {
        action,
        key: a.key ?? '',
        source: action === 'insert' || action === 'update' || action === 'upsert' ? compileSource(a) : undefined,
        regex,
        groups: action === 'extract' && regex ? (groupNames(regex) as string[]) : [],
        convertTo: a.converted_type ?? '',
      };
    }),
  );
}

/** The compiled action list: apply() runs every action, in order, on one attribute list. */
export class AttributeActions {
  constructor(private readonly actions: readonly Compiled[]) {}

  get length(): number {
    return this.actions.length;
  }

  /** `attrs` must be the item's own list (see ownAttributes): it is changed in place. */
  apply(attrs: KeyValue[], context: RequestContext | undefined): void {
    for (const a of this.actions) {
      switch (a.action) {
        case 'delete':
          if (a.key !== '') removeAttribute(attrs, a.key);
          if (a.regex) for (const k of matchingKeys(attrs, a.regex)) removeAttribute(attrs, k);
          break;
        case 'insert': {
          const v = a.source!(attrs, context);
          if (v !== undefined && getAttribute(attrs, a.key) === undefined) attrs.push({ key: a.key, value: copyValue(v) });
          break;
        }
        case 'update': {
          const v = a.source!(attrs, context);
          const kv = v === undefined ? undefined : attrs.find((x) => x.key === a.key);
          if (kv && v) kv.value = copyValue(v);
          break;
        }
        case 'upsert': {
          const v = a.source!(attrs, context);
          if (v !== undefined) putAttribute(attrs, a.key, copyValue(v));
          break;
        }
        case 'hash':
          if (a.key !== '') hashAttribute(attrs, a.key);
          if (a.regex) for (const k of matchingKeys(attrs, a.regex)) hashAttribute(attrs, k);
          break;
        case 'extract':
          extract(attrs, a);
          break;
        case 'convert': {
          const kv = attrs.find((x) => x.key === a.key);
          if (kv) kv.value = convertValue(kv.value ?? {}, a.convertTo);
          break;
        }
      }
    }
  }
}

function matchingKeys(attrs: readonly KeyValue[], re: RegExp): string[] {
  const keys: string[] = [];
  for (const kv of attrs) if (re.test(kv.key)) keys.push(kv.key);
  return keys;
}

function extract(attrs: KeyValue[], a: Compiled): void {
  const v = getAttribute(attrs, a.key);
  // As in the Collector: extraction works on string values only.
  if (!v || valueType(v) !== 'Str') return;
  const m = a.regex!.exec(v.stringValue as string);
  if (!m) return;
  // A group that did not take part in the match sets "", as Go's FindStringSubmatch gives.
  for (let i = 1; i < m.length; i++) putAttribute(attrs, a.groups[i - 1] as string, { stringValue: m[i] ?? '' });
}

// ---- hash: SHA-256, hex

/**
 * The Collector hashed with SHA-1 until v0.75, then SHA-256 (the `coreinternal.attraction.hash.sha256`
 * gate, now the only behaviour); Ferry uses SHA-256 with the same input bytes: a string's UTF-8,
 * a bool as one byte, an int64 or a double as 8 little-endian bytes. Other types, and the empty
 * string, become "" as in the Collector.
 */
export function hashValue(v: AnyValue): AnyValue {
  let bytes: Buffer | undefined;
  switch (valueType(v)) {
    case 'Str':
      bytes = Buffer.from(v.stringValue as string, 'utf8');
      break;
    case 'Bool':
      bytes = Buffer.from([v.boolValue ? 1 : 0]);
      break;
    case 'Int':
      bytes = Buffer.alloc(8);
      bytes.writeBigInt64LE(BigInt.asIntN(64, BigInt(valueAsString(v))));
      break;
    case 'Double':
      bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(v.doubleValue as number);
      break;
    default:
      bytes = undefined;
  }
  if (!bytes || bytes.length === 0) return { stringValue: '' };
  return { stringValue: createHash('sha256').update(bytes).digest('hex') };
}

function hashAttribute(attrs: KeyValue[], key: string): void {
  for (const kv of attrs) {
    if (kv.key === key) {
      kv.value = hashValue(kv.value ?? {});
      return;
    }
  }
}

// ---- convert: the Collector's rules; what cannot be converted stays as it was

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An int64 as the value a decoder would hold: a number when exact, else decimal text. */
function intValueOf(n: bigint): AnyValue {
  return Number.isSafeInteger(Number(n)) ? { intValue: Number(n) } : { intValue: n.toString() };
}

/** Go's strconv.ParseFloat, for the forms a configuration or log line holds. */
function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined; // out of range: ParseFloat fails, the value stays
}

export function convertValue(v: AnyValue, to: string): AnyValue {
  const type = valueType(v);
  switch (to) {
    case 'string':
      return type === 'Str' ? v : { stringValue: valueAsString(v) };
    case 'int':
      switch (type) {
        case 'Double': {
          const d = v.doubleValue as number;
          return Number.isFinite(d) ? intValueOf(BigInt(Math.trunc(d))) : v;
        }
        case 'Bool':
          return { intValue: v.boolValue ? 1 : 0 };
        case 'Str': {
          const s = v.stringValue as string;
          if (!/^[+-]?\d+$/.test(s)) return v;
          const n = BigInt(s);
          return n < INT64_MIN || n > INT64_MAX ? v : intValueOf(n);
        }
        default:
          return v;
      }
    case 'double':
      switch (type) {
        case 'Int':
          return { doubleValue: Number(valueAsString(v)) };
        case 'Bool':
          return { doubleValue: v.boolValue ? 1 : 0 };
        case 'Str': {
          const d = parseGoFloat(v.stringValue as string);
          return d === undefined ? v : { doubleValue: d };
        }
        default:
          return v;
      }
    default:
      return v;
  }
}
