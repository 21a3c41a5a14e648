// Relabeling with Prometheus's semantics (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config).
import { describe, expect, it } from 'vitest';
import { compileRelabel, hashMod, relabel, type RelabelConfig } from '../../src/prometheus/relabel.js';

function run(labels: Record<string, string>, rules: RelabelConfig[]): Record<string, string> | undefined {
  const set = new Map(Object.entries(labels));
  return relabel(set, rules.map(compileRelabel)) ? Object.fromEntries(set) : undefined;
}

describe('relabel', () => {
  it('replace: joins source labels, anchors the regex, expands $1 and ${name}, deletes on an empty result', () => {
    expect(run({ a: 'foo', b: 'bar' }, [{ source_labels: ['a', 'b'], regex: '(f.*);(.*)', target_label: 'c', replacement: '${2}-$1' }])).toEqual({ a: 'foo', b: 'bar', c: 'bar-foo' });
    // Anchored: "oo" does not match "foo".
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], regex: 'oo', target_label: 'c' }])).toEqual({ a: 'foo' });
    expect(run({ a: 'foo', c: 'x' }, [{ source_labels: ['b'], regex: '', target_label: 'c', replacement: '' }])).toEqual({ a: 'foo' });
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], regex: '(?P<word>f)(.*)', target_label: 'c', replacement: '$word!' }])).toEqual({ a: 'foo', c: 'f!' });
    // Go's $name rule: $1x is the group named "1x", which does not exist.
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], regex: '(.*)', target_label: 'c', replacement: '$1x' }])).toEqual({ a: 'foo' });
  });

  it('keep, drop, keepequal, dropequal', () => {
    expect(run({ __name__: 'up' }, [{ source_labels: ['__name__'], regex: 'up|go_.*', action: 'keep' }])).toEqual({ __name__: 'up' });
    expect(run({ __name__: 'down' }, [{ source_labels: ['__name__'], regex: 'up|go_.*', action: 'keep' }])).toBeUndefined();
    expect(run({ __name__: 'go_goroutines' }, [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }])).toBeUndefined();
    expect(run({ a: '1', b: '1' }, [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }])).toBeUndefined();
    expect(run({ a: '1', b: '2' }, [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }])).toBeUndefined();
  });

  it('labelmap, labeldrop, labelkeep, lowercase', () => {
    expect(run({ __meta_x_team: 'a', other: 'b' }, [{ regex: '__meta_x_(.+)', action: 'labelmap' }])).toEqual({ __meta_x_team: 'a', team: 'a', other: 'b' });
    expect(run({ a: '1', ab: '2', b: '3' }, [{ regex: 'a.*', action: 'labeldrop' }])).toEqual({ b: '3' });
    expect(run({ a: '1', ab: '2', b: '3' }, [{ regex: 'a.*', action: 'labelkeep' }])).toEqual({ a: '1', ab: '2' });
    expect(run({ a: 'MiXeD' }, [{ source_labels: ['a'], target_label: 'b', action: 'lowercase' }])).toEqual({ a: 'MiXeD', b: 'mixed' });
  });

  it('hashmod: md5 of the value, low 64 bits, modulo', () => {
    const m = hashMod('foo', 1000);
    expect(m).toBeGreaterThanOrEqual(0);
    expect(m).toBeLessThan(1000);
    // md5("foo") = acbd18db4cc2f85cedef654fccc4a4d8; its low 8 bytes 0xedef654fccc4a4d8 mod 1000.
    expect(m).toBe(Number(0xedef654fccc4a4d8n % 1000n));
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], target_label: 'shard', modulus: 1000, action: 'hashmod' }])).toEqual({ a: 'foo', shard: String(m) });
  });
});
