// Deep copies of a batch's resources, for fan-out to a consumer that mutates: the copy is made of
// the same protobufjs message instances a decoder produces and encodes to the same bytes.
import protobuf from 'protobufjs';
import { resourceTypes } from './proto.js';
import type { Fields } from './proto.js';
import type { Batch } from './batch.js';
import type { ResourcesOf, Signal } from './types.js';

const enum Copy {
  /** Strings, numbers, booleans, and Longs (immutable: every Long method returns a new one). */
  Shared,
  Bytes,
  Message,
}

interface FieldPlan {
  readonly name: string;
  readonly copy: Copy;
  readonly repeated: boolean;
  message: MessagePlan | null;
}

interface MessagePlan {
  readonly ctor: new () => Fields;
  readonly fields: FieldPlan[];
}

const plans = new Map<protobuf.Type, MessagePlan>();

function planFor(type: protobuf.Type): MessagePlan {
  const cached = plans.get(type);
  if (cached) return cached;
  const plan: MessagePlan = { ctor: type.ctor as unknown as new () => Fields, fields: [] };
  plans.set(type, plan); // before the fields: AnyValue → ArrayValue → AnyValue recurses
  // In field-number order, the order the decoder adds them in, so that copies get the same
  // hidden classes as decoded messages and code reading both stays monomorphic.
  const byId = [...type.fieldsArray].sort((a, b) => a.id - b.id);
  for (const field of byId) {
    field.resolve();
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const copy = nested ? Copy.Message : field.type === 'bytes' ? Copy.Bytes : Copy.Shared;
    const fp: FieldPlan = { name: field.name, copy, repeated: field.repeated, message: null };
    plan.fields.push(fp);
    if (nested) fp.message = planFor(nested);
  }
  return plan;
}

const hasOwn = Object.prototype.hasOwnProperty;

function cloneMessage(plan: MessagePlan, source: Fields): Fields {
  const target = new plan.ctor();
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    // Own properties only, as the encoder reads them: a default left on the prototype stays there.
    if (!hasOwn.call(source, field.name)) continue;
    const value = source[field.name];
    if (value == null) {
      if (value === null) target[field.name] = null;
      continue;
    }
    if (field.repeated) {
      const list = value as unknown[];
      const out = new Array<unknown>(list.length);
      for (let j = 0; j < list.length; j++) out[j] = cloneValue(field, list[j]);
      target[field.name] = out;
    } else {
      target[field.name] = cloneValue(field, value);
    }
  }
  // Fields this build does not know (a newer sender's) are kept as raw bytes by the decoder
  // and written back by the encoder; the copy must keep them too.
  if (hasOwn.call(source, '$unknowns')) {
    const unknowns = source.$unknowns as Uint8Array[];
    protobuf.util.makeProp(target, '$unknowns', false);
    target.$unknowns = unknowns.map((raw) => Buffer.from(raw));
  }
  return target;
}

function cloneValue(field: FieldPlan, value: unknown): unknown {
  if (value == null) return value;
  switch (field.copy) {
    case Copy.Message:
      return cloneMessage(field.message!, value as Fields);
    case Copy.Bytes:
      // Decoded bytes are views into the request buffer; the copy owns its own (still a Buffer,
      // as decoded ones are, so `.toString('hex')` works on both).
      return typeof value === 'string' ? value : Buffer.from(value as Uint8Array);
    case Copy.Shared:
      return value;
  }
}

/** A deep copy of one signal's resources array. */
export function deepClone<S extends Signal>(signal: S, resources: ResourcesOf[S]): ResourcesOf[S] {
  const plan = planFor(resourceTypes[signal]);
  const source = resources as unknown as Fields[];
  const out = new Array<Fields>(source.length);
  for (let i = 0; i < source.length; i++) out[i] = cloneMessage(plan, source[i]!);
  return out as unknown as ResourcesOf[S];
}

/** A copy of the batch whose resources can be mutated without touching the original's. */
export function cloneBatch<B extends Batch>(batch: B): B {
  return { ...batch, resources: deepClone(batch.signal, batch.resources) };
}
