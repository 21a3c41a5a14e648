// `npm run bench [-- --quick] [--scenario NAME…]`: runs the scenarios one after another,
// prints the table, and writes bench/results/<scenario>.json and bench/results/summary.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Signal } from '../src/pdata/types.js';
import type { Ceiling } from './ceiling.js';
import { ceilingFor } from './ceiling.js';
import { FERRY_CLI, REPO_ROOT, loadCodecs } from './ferry.js';
import type { WireEncoding } from './payloads.js';
import { machine } from './proc.js';
import type { Row } from './report.js';
import { ceilingTable, checkTargets, misses, tables } from './report.js';
import type { SkippedResult } from './runner.js';
import { runScenario } from './runner.js';
import { SCENARIOS } from './scenarios.js';

const USAGE = `usage: npm run bench -- [--quick] [--scenario NAME]… [--seconds S] [--warmup S] [--items N]
                        [--out DIR] [--no-ceiling] [--no-soak] [--profile [DIR]]
  --quick        the quick scenarios with short windows (under a minute)
  --scenario     run only scenarios whose name contains NAME (repeatable)
  --seconds      measured seconds per scenario (default 30, quick 4)
  --warmup       warm-up seconds before measuring (default 10, quick 2)
  --items        items per request (default 100)
  --out          where the JSON results go (default bench/results)
  --no-ceiling   skip the decode+encode ceiling
  --no-soak      skip the 5-minute memory soak of the full run
  --profile      write Ferry's CPU profiles (node --cpu-prof) to DIR (default /tmp/ferry-prof)`;

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true, default: [] },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      items: { type: 'string', default: '100' },
      out: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'results') },
      'no-ceiling': { type: 'boolean', default: false },
      'no-soak': { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  return values;
}

/** Whether this build of Ferry has the resource processor (it lands separately). */
function hasResourceProcessor(): boolean {
  const out = execFileSync(process.execPath, [FERRY_CLI, 'components'], { encoding: 'utf8' });
  return /^processor\s+resource\s/m.test(out);
}

export async function main(argv: string[]): Promise<number> {
  let o;
  try {
    // `--profile` alone means the default directory.
    o = options(argv.map((a, i) => (a === '--profile' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? '--profile=/tmp/ferry-prof' : a)));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const quick = o.quick;
  const seconds = Number(o.seconds ?? (quick ? 4 : 30));
  const warmupSeconds = Number(o.warmup ?? (quick ? 2 : 10));
  const itemsPerRequest = Number(o.items);
  const filters = o.scenario;
  // A filter naming a scenario exactly selects just that one; otherwise it matches substrings.
  const matches = (name: string, f: string): boolean => (SCENARIOS.some((s) => s.name === f) ? name === f : name.includes(f));
  const selected = SCENARIOS.filter((s) =>
    filters.length > 0 ? filters.some((f) => matches(s.name, f)) : quick ? s.quick : !(s.soak && o['no-soak']),
  );
  if (selected.length === 0) {
    console.error(`no scenario matches ${filters.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const withResource = hasResourceProcessor();
  const host = machine();
  const mode = quick ? 'quick' : 'full';
  console.log(`Ferry bench (${mode}): ${host.cores} cores, ${host.cpuModel}, Node ${host.node}`);
  console.log(`pipeline: otlp → batch${withResource ? ' → resource' : ''} → otlphttp → sink (unless the scenario names another); ${itemsPerRequest} items per request\n`);

  const ceilings = new Map<string, Ceiling>();
  if (!o['no-ceiling']) {
    const codecs = await loadCodecs();
    const pairs = new Map<string, [Signal, WireEncoding]>(selected.map((s) => [`${s.signal}/${s.encoding}`, [s.signal, s.encoding]]));
    for (const [key, [signal, encoding]] of pairs) {
      ceilings.set(key, ceilingFor(codecs, signal, encoding, itemsPerRequest, 8192, quick ? 0.5 : 2, codecs.gzipLevel));
    }
    console.log(`ceiling (one process, no transport; batches of 8192), items per CPU-second:\n${ceilingTable([...ceilings.values()])}\n`);
  }

  mkdirSync(o.out, { recursive: true });
  const rows: Row[] = [];
  const skipped: SkippedResult[] = [];
  for (const s of selected) {
    const runSeconds = quick || o.seconds !== undefined ? seconds : (s.fullSeconds ?? seconds);
    process.stdout.write(`running ${s.name} (${warmupSeconds} s warm-up, ${runSeconds} s measured)… `);
    const result = await runScenario(s, { warmupSeconds, seconds: runSeconds, itemsPerRequest, withResource, profileDir: o.profile });
    if ('skipped' in result) {
      skipped.push(result);
      console.log(`skipped: ${result.skipped}`);
      continue;
    }
    const ceiling = ceilings.get(`${s.signal}/${s.encoding}`);
    const checks = checkTargets(s.targets, result, ceiling);
    rows.push({ scenario: s, result, ceiling, checks });
    const lostInApp = result.sdk ? `, ${result.sdk.lostTotal.toLocaleString('en-US')} of ${result.sdk.emittedTotal.toLocaleString('en-US')} emitted lost` : '';
    console.log(`${Math.round(result.deliveredPerSecond).toLocaleString('en-US')} items/s, ${result.ferryCpuPercent.toFixed(1)} % CPU${lostInApp}`);
    const file = path.join(o.out, `${s.name}.json`);
    writeFileSync(file, JSON.stringify({ mode, machine: host, date: new Date().toISOString(), pipeline: { withResource, itemsPerRequest }, scenario: s, result, ceiling, checks }, null, 2) + '\n');
  }

  const report = [
    `Machine: ${host.cores} cores, ${host.cpuModel}, Node ${host.node} (${host.platform}); mode ${mode}.`,
    '',
    tables(rows),
    '',
    ...(skipped.length > 0 ? ['Not run:', '', ...skipped.map((x) => `- ${x.scenario}: ${x.skipped}`), ''] : []),
    ...(ceilings.size > 0 ? ['Ceiling (one process, no transport, batches of 8192), items per CPU-second:', '', ceilingTable([...ceilings.values()]), ''] : []),
  ];
  const missed = misses(rows);
  report.push(missed.length === 0 ? 'All targets met.' : ['Missed targets:', ...missed.map((m) => `- ${m}`)].join('\n'));
  console.log('\n' + report.join('\n'));
  if (filters.length === 0) writeFileSync(path.join(o.out, `summary${quick ? '-quick' : ''}.md`), report.join('\n') + '\n');
  // Delivered above accepted is no loss: an SDK export that timed out in the app may still have arrived.
  const lost = rows.filter((r) => r.result.deliveredTotal < r.result.acceptedTotal || r.result.acceptedTotal === 0);
  // Only lost data fails the run: the bench reports targets, it does not gate on speed.
  return lost.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
