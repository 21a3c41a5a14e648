// The resource processor: actions on every resource of all three signals, a missing resource
// created, request context read, and its configuration checks.
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../../src/pdata/batch.js';
import { cloneBatch } from '../../../src/pdata/clone.js';
import { makeLogs, makeMetrics, makeSpans } from '../../pdata/fixtures.js';
import { attrsOf, errorLines, loadProcessors, logsBatch, makeProcessor } from '../helpers.js';

const STAMP = `attributes:
  - key: service.name
    value: payments
    action: upsert
  - key: deployment.environment
    value: ci
    action: insert
  - key: host.name
    action: delete
  - key: pipeline_run_id
    from_context: metadata.x-run-id
    action: insert
  - key: client
    from_context: client.address
    action: insert
`;

describe('resource processor', () => {
  it('applies the actions to every resource of logs, traces and metrics', async () => {
    for (const [signal, resources] of [
      ['logs', makeLogs(6, { resources: 2 })],
      ['traces', makeSpans(6, { resources: 2 })],
      ['metrics', makeMetrics()],
    ] as const) {
      const { processor, next } = await makeProcessor('resource', STAMP, signal);
      const batch = makeBatch(signal, resources as never, { clientAddress: '10.0.0.9', metadata: { 'x-run-id': ['run-77'] } });
      await processor.consume(batch);
      const out = next.batches[0]!;
      expect(out.resources.length).toBeGreaterThan(0);
      for (const r of out.resources) {
        const a = attrsOf(r.resource?.attributes);
        expect(a['service.name']).toBe('payments');
        expect(a['deployment.environment']).toBe('ci');
        expect(a).not.toHaveProperty('host.name');
        expect(a['pipeline_run_id']).toBe('run-77');
        expect(a['client']).toBe('10.0.0.9');
        expect(a['service.instance.id']).toMatch(/^instance-/); // untouched
      }
    }
  });

  it('uses default_value when value is an unset ${ENV} (as the Collector resolves it to nothing)', async () => {
    const { processor, next } = await makeProcessor(
      'resource',
      'attributes:\n  - key: deployment.environment\n    value: ${env:FERRY_TEST_SURELY_UNSET}\n    default_value: dev\n    action: upsert\n  - key: region\n    value: ${env:FERRY_TEST_SURELY_UNSET:-eu-1}\n    default_value: us-1\n    action: upsert\n',
      'logs',
    );
    await processor.consume(makeBatch('logs', makeLogs(1)));
    const a = attrsOf(next.batches[0]!.resources[0]!.resource?.attributes);
    expect(a['deployment.environment']).toBe('dev');
    // A value that is set (here by the reference's own default) wins over default_value.
    expect(a['region']).toBe('eu-1');
  });

  it('creates a resource where the request had none', async () => {
    const { processor, next } = await makeProcessor('resource', STAMP);
    await processor.consume(logsBatch([{ records: [{ body: { stringValue: 'x' } }] }]));
    const r = next.batches[0]!.resources[0]!;
    expect(attrsOf(r.resource?.attributes)).toEqual({ 'service.name': 'payments', 'deployment.environment': 'ci' });
  });

  it('declares that it mutates, and changes only the copy fan-out gives it', async () => {
    const { processor, next } = await makeProcessor('resource', STAMP);
    expect(processor.mutatesData).toBe(true);
    const original = makeBatch('logs', makeLogs(2));
    await processor.consume(cloneBatch(original));
    expect(attrsOf(original.resources[0]!.resource?.attributes)['service.name']).toBe('checkout-0');
    expect(attrsOf(next.batches[0]!.resources[0]!.resource?.attributes)['service.name']).toBe('payments');
  });

  it('passes the downstream outcome back to the caller', async () => {
    const { processor, next } = await makeProcessor('resource', STAMP);
    next.fail = new Error('backend down');
    await expect(processor.consume(logsBatch([{ records: [{}] }]))).rejects.toThrow('backend down');
  });

  it('requires at least one action, and checks each one', async () => {
    expect(errorLines((await loadProcessors('  resource:\n')).errors)).toEqual([
      'processors.resource.attributes: missing required field "attributes": no actions, so the processor would do nothing (fix: add actions, e.g. attributes: [{key: deployment.environment, value: production, action: upsert}])',
    ]);
    const { errors } = await loadProcessors('  resource:\n    attributes:\n      - key: a\n        action: inserd\n        value: 1\n      - action: hash\n        pattern: "[a-"\n');
    expect(errorLines(errors)).toEqual([
      'processors.resource.attributes[0].action: unknown action "inserd" (fix: did you mean "insert"? use one of: insert, update, upsert, delete, hash, extract, convert)',
      expect.stringMatching(/^processors\.resource\.attributes\[1\]\.pattern: invalid regular expression "\[a-": .*(Unterminated character class|Range out of order)/),
    ]);
  });
});
