// Multiline entries (`multiline.line_start_pattern` / `line_end_pattern`) and whitespace
// trimming, as the filelog receiver's split and trim settings do, over lines of one file.
import type { Line } from '../lines/lines.js';
import type { LineSplitter, SplitterFactory } from '../lines/follower.js';
import { goRegex } from './expr.js';

export interface MultilineConfig {
  line_start_pattern?: string;
  line_end_pattern?: string;
  omit_pattern?: boolean;
}

export interface SplitOptions {
  readonly multiline: MultilineConfig | undefined;
  readonly maxLogSize: number;
  readonly preserveLeading: boolean;
  readonly preserveTrailing: boolean;
}

function trimmer(o: SplitOptions): (s: string) => string {
  if (o.preserveLeading && o.preserveTrailing) return (s) => s;
  if (o.preserveLeading) return (s) => s.trimEnd();
  if (o.preserveTrailing) return (s) => s.trimStart();
  return (s) => s.trim();
}

export function splitterFactory(o: SplitOptions): SplitterFactory {
  const trim = trimmer(o);
  const start = o.multiline?.line_start_pattern;
  const end = o.multiline?.line_end_pattern;
  if (start === undefined && end === undefined) {
    return (emit) => ({
      push: (line) => {
        const text = trim(line.text);
        // Like the Collector, a line that is only whitespace is no entry (its offset still counts).
        emit(text === line.text ? line : { ...line, text });
      },
      flush: () => undefined,
      holding: false,
    });
  }
  const re = goRegex((start ?? end) as string);
  const byStart = start !== undefined;
  return (emit) => {
    let parts: string[] = [];
    let bytes = 0;
    let lastEnd = 0;
    let truncated = false;
    const out = (): void => {
      if (parts.length === 0) return;
      const text = trim(parts.join('\n'));
      emit({ text, truncated, bytes, endOffset: lastEnd });
      parts = [];
      bytes = 0;
      truncated = false;
    };
    const splitter: LineSplitter = {
      push(line: Line) {
        if (byStart && re.test(line.text)) out();
        parts.push(line.text);
        bytes += line.bytes + (parts.length > 1 ? 1 : 0);
        lastEnd = line.endOffset;
        truncated ||= line.truncated;
        if (!byStart && re.test(line.text)) out();
        else if (bytes >= o.maxLogSize) {
          truncated = true;
          out();
        }
      },
      flush: out,
      get holding() {
        return parts.length > 0;
      },
    };
    return splitter;
  };
}
