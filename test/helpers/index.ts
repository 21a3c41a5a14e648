// Shared test helpers: a consumer that records what reached it, free loopback
// ports, component contexts, and polling for a condition.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Consumer } from '../../src/consumer.js';
import type { Batch } from '../../src/pdata/batch.js';
import { countItems } from '../../src/pdata/batch.js';
import type { ComponentContext, ComponentKind, Host, ProcessorContext } from '../../src/component.js';
import { nopLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self.js';
import type { Signal } from '../../src/pdata/types.js';

/** Records every batch it is given; `fail` makes the next calls reject with that error. */
export class CollectingConsumer implements Consumer {
  readonly mutatesData = false;
  readonly batches: Batch[] = [];
  fail: Error | undefined;
  /** Delay before settling, to hold requests in flight. */
  delayMs = 0;

  async consume(batch: Batch): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw this.fail;
    this.batches.push(batch);
  }

  items(): number {
    return this.batches.reduce((n, b) => n + countItems(b), 0);
  }
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

export function testContext(id: string, kind: ComponentKind = 'receiver', telemetry = new SelfTelemetry({ defaultMetrics: false })): ComponentContext {
  return { id, kind, logger: nopLogger, telemetry };
}

export function testProcessorContext(id: string, signal: Signal, telemetry = new SelfTelemetry({ defaultMetrics: false })): ProcessorContext {
  return { id, kind: 'processor', logger: nopLogger, telemetry, pipeline: signal, signal };
}

export const testHost: Host = { getExtension: () => undefined, state: 'running' };

/** Poll until `cond` is true, or throw after `timeoutMs` with `what` in the message. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The complete lines a file exporter (OTLP/JSON lines) has written so far, parsed. A test
 * polls the file while Ferry writes it: a line without its newline is still being written
 * (a batch of thousands of records is one line), so it is left for the next read.
 */
export function completeJsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
