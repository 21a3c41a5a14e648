// Items kept as their wire bytes until someone reads them: a decoded scope holds its log records,
// spans or metrics as slices of the request and decodes them on first access of the field.

/** Where a scope keeps its undecoded items; not enumerable, so a spread copy never carries it. */
export const LAZY_ITEMS: unique symbol = Symbol('ferry.lazyItems');

/** The items of one ScopeLogs / ScopeSpans / ScopeMetrics, as bytes and, once read, as messages. */
export interface LazyItems {
  /**
   * Runs of consecutive item fields (tags and lengths included), slices of the requests they
   * came in (never modified): written out as they are while nobody has read the items.
   */
  readonly chunks: Buffer[];
  /** Items (log records, spans, metric data points) in the chunks. */
  readonly count: number;
  /**
   * The chunks hold nothing a decode would drop (fields unknown to our .proto files, or known
   * ones with the wrong wire type), so writing them out as they are equals decoding and
   * re-encoding them. Otherwise an encoder decodes them first, as the Collector drops those.
   */
  readonly verbatim: boolean;
  /** Depth of the items in the request, for the decoder's recursion limit. */
  readonly depth: number;
  /** Decodes the chunks; set by the codec that made this. */
  readonly decode: (lazy: LazyItems) => unknown[];
  /** The decoded items, from the first read or write of the field on. */
  items: unknown[] | undefined;
}

type WithLazy = { [LAZY_ITEMS]?: LazyItems };

/**
 * The lazy state of a scope whose items were never read nor replaced, else undefined. Such
 * a scope's items are exactly the bytes it was decoded from, so encoders may copy them.
 */
export function untouchedItems(scope: object): LazyItems | undefined {
  const lazy = (scope as WithLazy)[LAZY_ITEMS];
  return lazy !== undefined && lazy.items === undefined ? lazy : undefined;
}

/** Items in a scope without decoding them, when they are still undecoded; else undefined. */
export function lazyItemCount(scope: object): number | undefined {
  return untouchedItems(scope)?.count;
}

const descriptors = new Map<string, PropertyDescriptor>();

/** The accessor installed as `logRecords` / `spans` / `metrics`: decode on first read, keep what is written. */
function itemsDescriptor(field: string): PropertyDescriptor {
  let d = descriptors.get(field);
  if (d === undefined) {
    d = {
      enumerable: true,
      configurable: true,
      get(this: WithLazy): unknown[] {
        const lazy = this[LAZY_ITEMS] as LazyItems;
        lazy.items ??= lazy.decode(lazy);
        return lazy.items;
      },
      set(this: WithLazy, value: unknown[]): void {
        (this[LAZY_ITEMS] as LazyItems).items = value;
      },
    };
    descriptors.set(field, d);
  }
  return d;
}

/** Make `field` of `scope` read its items from `lazy` (decoded on first access). */
export function installLazyItems(scope: object, field: string, lazy: LazyItems): void {
  Object.defineProperty(scope, LAZY_ITEMS, { value: lazy, enumerable: false, configurable: true, writable: false });
  Object.defineProperty(scope, field, itemsDescriptor(field));
}
