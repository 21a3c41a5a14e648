// The line reader: splitting across chunks, CRLF, offsets, the over-long-line cut at a
// character boundary with bounded memory, and invalid UTF-8 replaced rather than fatal.
import { describe, expect, it } from 'vitest';
import type { Line } from '../../../src/receivers/stdout_markers/lines.js';
import { LineReader, utf8CutPoint } from '../../../src/receivers/stdout_markers/lines.js';

function read(chunks: (string | Buffer)[], max = 1024, end = true): Line[] {
  const lines: Line[] = [];
  const r = new LineReader(max, (l) => lines.push(l));
  for (const c of chunks) r.push(typeof c === 'string' ? Buffer.from(c) : c);
  if (end) r.end();
  return lines;
}

describe('LineReader', () => {
  it('splits lines within and across chunks', () => {
    expect(read(['a\nb', 'c\n', 'd', '', 'e\nf']).map((l) => l.text)).toEqual(['a', 'bc', 'de', 'f']);
  });

  it('strips the CR of CRLF but keeps other whitespace, and keeps empty lines', () => {
    expect(read(['one\r\n\r\n  two \n\n']).map((l) => l.text)).toEqual(['one', '', '  two ', '']);
  });

  it('holds an unfinished line until the end of the stream', () => {
    const lines: Line[] = [];
    const r = new LineReader(100, (l) => lines.push(l));
    r.push(Buffer.from('partial'));
    expect(lines).toEqual([]);
    expect(r.pendingBytes).toBe(7);
    r.end();
    expect(lines.map((l) => l.text)).toEqual(['partial']);
    r.end();
    expect(lines).toHaveLength(1);
  });

  it('reports the stream offset after each line, from a starting offset', () => {
    const lines: Line[] = [];
    const r = new LineReader(100, (l) => lines.push(l), 1000);
    r.push(Buffer.from('ab\ncd'));
    r.push(Buffer.from('e\r\nf'));
    r.end();
    expect(lines.map((l) => [l.text, l.endOffset, l.bytes])).toEqual([
      ['ab', 1003, 2],
      ['cde', 1008, 4],
      ['f', 1009, 1],
    ]);
    expect(r.offset).toBe(1009);
  });

  it('does not keep the caller’s chunk: a reused buffer does not corrupt a held line', () => {
    const lines: Line[] = [];
    const r = new LineReader(100, (l) => lines.push(l));
    const buf = Buffer.from('hello');
    r.push(buf);
    buf.write('XXXXX');
    r.push(Buffer.from(' world\n'));
    expect(lines.map((l) => l.text)).toEqual(['hello world']);
  });

  it('cuts a line longer than the limit, marks it, and skips the rest of it', () => {
    const lines = read(['x'.repeat(30) + '\nshort\n'], 10);
    expect(lines.map((l) => [l.text, l.truncated, l.bytes])).toEqual([
      ['x'.repeat(10), true, 30],
      ['short', false, 5],
    ]);
  });

  it('cuts a line that arrives in many chunks as soon as it passes the limit, holding at most the limit plus a chunk', () => {
    const lines: Line[] = [];
    const max = 1024 * 1024;
    const r = new LineReader(max, (l) => lines.push(l));
    const chunk = Buffer.alloc(64 * 1024, 'y');
    let peak = 0;
    for (let i = 0; i < 160; i++) {
      r.push(chunk); // 10 MiB without a newline
      peak = Math.max(peak, r.pendingBytes);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]?.truncated).toBe(true);
    expect(lines[0]?.text.length).toBe(max);
    expect(peak).toBeLessThanOrEqual(max + chunk.length);
    expect(r.pendingBytes).toBe(0);
    r.push(Buffer.from('tail of the long line\nnext\n'));
    expect(lines.map((l) => l.text.slice(0, 10))).toEqual(['y'.repeat(10), 'next']);
  });

  it('never cuts inside a UTF-8 character', () => {
    // "é" is 2 bytes, "€" 3, "😀" 4: a limit that falls inside each backs off to its start.
    expect(read(['aé€😀b\n'], 2).map((l) => l.text)).toEqual(['a']);
    expect(read(['aé€😀b\n'], 4).map((l) => l.text)).toEqual(['aé']);
    expect(read(['aé€😀b\n'], 7).map((l) => l.text)).toEqual(['aé€']);
    expect(read(['aé€😀b\n'], 9).map((l) => l.text)).toEqual(['aé€']);
    expect(read(['aé€😀b\n'], 10).map((l) => l.text)).toEqual(['aé€😀']);
    expect(utf8CutPoint(Buffer.from('abc'), 10)).toBe(3);
  });

  it('replaces invalid UTF-8 with U+FFFD instead of failing', () => {
    const bad = Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x20, 0xc3, 0x28, 0x0a, 0xe2, 0x82, 0x0a]);
    expect(read([bad]).map((l) => l.text)).toEqual(['ok\uFFFD\uFFFD \uFFFD(', '\uFFFD']);
  });

  it('decodes a character split across two chunks', () => {
    const euro = Buffer.from('€\n');
    expect(read([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)]).map((l) => l.text)).toEqual(['€']);
  });

  it('flushPartial emits a held line but keeps skipping an over-long one', () => {
    const lines: Line[] = [];
    const r = new LineReader(4, (l) => lines.push(l));
    r.push(Buffer.from('abc'));
    r.flushPartial();
    r.push(Buffer.from('defghij'));
    r.flushPartial();
    r.push(Buffer.from('klm\nz\n'));
    expect(lines.map((l) => [l.text, l.truncated])).toEqual([
      ['abc', false],
      ['defg', true],
      ['z', false],
    ]);
  });
});
