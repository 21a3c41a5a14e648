// `node dist/bench/profile.js FILE.cpuprofile [N] [SKIP_S]`: where a `node --cpu-prof` profile spent
// its time — top functions by self time, and the same grouped by file — to read Ferry's cost.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time per function and per file, leaving out the first `skipMs` (start-up, warm-up). */

export interface ProfileLine {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export function summarize(profile: CpuProfile, skipMs = 0): { total: number; functions: ProfileLine[]; files: ProfileLine[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // Pseudo-frames too: (garbage collector), (idle), (program).
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= skipMs * 1000) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    const shortUrl = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/dist\//, 'dist/');
    const where = url === '' ? functionName : shortUrl;
    const name = url === '' ? functionName : `${functionName || '(anonymous)'} ${shortUrl}:${lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(where, (file.get(where) ?? 0) + us);
    total += us;
  }
  const lines = (m: Map<string, number>): ProfileLine[] =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000, percent: (us / total) * 100 })).sort((a, b) => b.ms - a.ms);
  return { total: total / 1000, functions: lines(fn), files: lines(file) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [path, n = '25', skip = '0'] = process.argv.slice(2);
  if (path === undefined) {
    console.error('usage: node dist/bench/profile.js FILE.cpuprofile [TOP_N] [SKIP_SECONDS]');
    process.exit(2);
  }
  const s = summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, Number(skip) * 1000);
  const show = (title: string, lines: ProfileLine[]): void => {
    console.log(`\n${title}`);
    for (const l of lines.slice(0, Number(n))) console.log(`${l.percent.toFixed(1).padStart(5)} %  ${l.ms.toFixed(0).padStart(7)} ms  ${l.name}`);
  };
  console.log(`main thread: ${s.total.toFixed(0)} ms sampled`);
  show('by file', s.files);
  show('by function (self time)', s.functions);
}
