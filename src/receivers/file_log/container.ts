// The `container` parser: Docker's json-file lines and the CRI format (containerd, CRI-O),
// with partial lines put back together, and the Kubernetes pod, namespace and container
// taken from the file path (/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log).
import type { Entry, ValueMap } from './entry.js';
import { getField, isMap, parseField } from './entry.js';

export type ContainerFormat = 'auto' | 'docker' | 'crio' | 'containerd';

interface ProblemSink {
  add(key: string, message: string, fix?: string): void;
}

const CRI = /^(\S+) (stdout|stderr) ([^ ]*) ?(.*)$/s;
const POD_PATH = /^.*\/([^_/]+)_([^_/]+)_([a-f0-9-]+)\/([^._/]+)\/(\d+)\.log$/;
const FILE_PATH_ATTR = 'log.file.path';

/** RFC 3339 with up to nanoseconds (Docker's and CRI's timestamps) as nanoseconds since the epoch. */
export function parseRfc3339Nano(text: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:?\d\d)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not an RFC 3339 time`);
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const zone = m[8] as string;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60000;
  }
  return BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

interface Held {
  entry: Entry;
  parts: string[];
  bytes: number;
}

export interface ContainerParser {
  /** Parse in place; false when the entry is a partial line held for the rest. */
  parse(entry: Entry, source: string): boolean;
  /** Whether a partial line of `source` is held. */
  holding(source: string): boolean;
}

export function compileContainer(cfg: Record<string, unknown>, p: ProblemSink, maxLogSize: number): ContainerParser | undefined {
  const format = (typeof cfg.format === 'string' ? cfg.format : 'auto') as ContainerFormat;
  if (!['auto', 'docker', 'crio', 'containerd'].includes(format)) {
    p.add('format', `unknown format "${format}"`, 'use auto, docker, crio or containerd');
    return undefined;
  }
  const fromText = typeof cfg.parse_from === 'string' ? cfg.parse_from : 'body';
  let from;
  try {
    from = parseField(fromText);
  } catch (err) {
    p.add('parse_from', (err as Error).message);
    return undefined;
  }
  const fromField = from;
  const metadata = cfg.add_metadata_from_filepath !== false;
  const limit = typeof cfg.max_log_size === 'number' && cfg.max_log_size > 0 ? cfg.max_log_size : maxLogSize;
  // Partial lines per file and stream, until the last part (CRI tag F, Docker: a log ending in \n).
  const held = new Map<string, Held>();

  const addMetadata = (e: Entry): void => {
    if (!metadata) return;
    const path = e.attributes[FILE_PATH_ATTR];
    if (typeof path !== 'string') throw new Error('container: the attribute log.file.path is missing (set include_file_path: true, or add_metadata_from_filepath: false)');
    const m = POD_PATH.exec(path);
    if (!m) return;
    const r: ValueMap = e.resource;
    r['k8s.namespace.name'] = m[1];
    r['k8s.pod.name'] = m[2];
    r['k8s.pod.uid'] = m[3];
    r['k8s.container.name'] = m[4];
    r['k8s.container.restart_count'] = m[5];
  };

  /** Join a part to what is held; true when the entry is complete (its body is the whole line). */
  const recombine = (e: Entry, key: string, text: string, last: boolean): boolean => {
    const h = held.get(key);
    if (h === undefined && last) {
      e.body = text;
      return true;
    }
    const cur = h ?? { entry: e, parts: [], bytes: 0 };
    cur.parts.push(text);
    cur.bytes += Buffer.byteLength(text);
    if (!last && cur.bytes < limit) {
      held.set(key, cur);
      return false;
    }
    held.delete(key);
    // The whole line carries the first part's time and stream, as the Collector's recombine does.
    e.body = cur.parts.join('');
    if (cur.entry !== e) {
      e.timestamp = cur.entry.timestamp;
    }
    return true;
  };

  return {
    holding(source) {
      if (held.size === 0) return false;
      for (const key of held.keys()) if (key.startsWith(`${source}\u0000`)) return true;
      return false;
    },
    parse(e, source) {
      const value = getField(e, fromField);
      if (typeof value !== 'string') throw new Error(`container: ${fromField.text} is not a string`);
      const kind = format === 'auto' ? (value.startsWith('{') ? 'docker' : 'cri') : format === 'docker' ? 'docker' : 'cri';
      let stream: string;
      let text: string;
      let last: boolean;
      if (kind === 'docker') {
        const parsed: unknown = JSON.parse(value);
        if (!isMap(parsed) || typeof parsed.log !== 'string') throw new Error('container: not a Docker json-file line ({"log": …, "stream": …, "time": …})');
        stream = typeof parsed.stream === 'string' ? parsed.stream : 'stdout';
        if (typeof parsed.time === 'string') e.timestamp = parseRfc3339Nano(parsed.time);
        // Docker splits lines over 16 KiB: only the last part ends with the newline.
        last = parsed.log.endsWith('\n');
        text = last ? parsed.log.slice(0, -1) : parsed.log;
      } else {
        const m = CRI.exec(value);
        if (!m) throw new Error('container: not a CRI line (<time> <stream> <P|F> <log>)');
        e.timestamp = parseRfc3339Nano(m[1] as string);
        stream = m[2] as string;
        const tag = m[3] as string;
        e.attributes.logtag = tag;
        last = !tag.split(':').includes('P');
        text = m[4] as string;
      }
      e.attributes['log.iostream'] = stream;
      if (!recombine(e, `${source}\u0000${stream}`, text, last)) return false;
      if (kind === 'cri') e.attributes.logtag = 'F';
      addMetadata(e);
      return true;
    },
  };
}
