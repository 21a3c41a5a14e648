// Joins a multi-line stack trace on stderr into one line (so one record): JavaScript and
// Java frames (`    at …`, `Caused by: …`, `... 5 more`), Python tracebacks (`Traceback …`,
// `  File "…"`, the indented source lines, the exception line that ends them, chained ones).
import type { Line } from './lines.js';

/** A stderr line followed by nothing for this long is emitted as it is. */
export const STACK_IDLE_MS = 100;

const FRAME = /^\s+(?:at\s|\.\.\.\s*\d+\s+(?:more|common frames omitted)|File "|Suppressed:)/;
const CAUSED_BY = /^Caused by:/;
const PY_START = /^Traceback \(most recent call last\):/;
const PY_CHAIN = /^(?:During handling of the above exception|The above exception was the direct cause)/;

/** Where a group stands in a Python traceback: not one, in its frames, after its exception line, or in the gap before a chained one. */
type PyState = 'none' | 'frames' | 'end' | 'gap';

interface Group {
  texts: string[];
  bytes: number;
  textBytes: number;
  truncated: boolean;
  endOffset: number;
  py: PyState;
}

/** True when `line` belongs to the trace the group holds; updates the Python state. */
function continues(g: Group, text: string): boolean {
  switch (g.py) {
    case 'frames':
      // Indented frames and source lines; the first line that is not indented is the exception.
      if (text === '' || /^\s/.test(text)) return true;
      g.py = 'end';
      return true;
    case 'end':
    case 'gap':
      if (text === '' || PY_CHAIN.test(text)) {
        g.py = 'gap';
        return true;
      }
      if (g.py === 'gap' && PY_START.test(text)) {
        g.py = 'frames';
        return true;
      }
      return false;
    case 'none':
      return FRAME.test(text) || CAUSED_BY.test(text);
  }
}

export class StackJoiner {
  private group: Group | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPush = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (line: Line) => void,
    private readonly idleMs = STACK_IDLE_MS,
  ) {}

  /** The next stderr line: held while it may start or continue a trace. */
  push(line: Line): void {
    this.lastPush = Date.now();
    const g = this.group;
    if (g !== undefined && !line.truncated && continues(g, line.text)) {
      g.bytes += line.bytes + 1;
      g.endOffset = line.endOffset;
      const add = Buffer.byteLength(line.text) + 1;
      if (!g.truncated && g.textBytes + add <= this.maxBytes) {
        g.texts.push(line.text);
        g.textBytes += add;
      } else {
        g.truncated = true;
      }
      return;
    }
    this.flush();
    // A marker never starts a trace: it goes through at once.
    if (line.truncated || line.text.startsWith('::{')) {
      this.emit(line);
      return;
    }
    this.group = {
      texts: [line.text],
      bytes: line.bytes,
      textBytes: Buffer.byteLength(line.text),
      truncated: false,
      endOffset: line.endOffset,
      py: PY_START.test(line.text) ? 'frames' : 'none',
    };
    this.arm();
  }

  /** Emit what is held (at the end of the stream, or when it went quiet). */
  flush(): void {
    const g = this.group;
    if (g === undefined) return;
    this.group = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    // Blank lines a Python group swallowed while looking for a chained exception end it.
    while (g.texts.length > 1 && g.texts[g.texts.length - 1] === '') g.texts.pop();
    this.emit({ text: g.texts.join('\n'), truncated: g.truncated, bytes: g.bytes, endOffset: g.endOffset });
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const check = (): void => {
      const idle = Date.now() - this.lastPush;
      if (idle >= this.idleMs) {
        this.timer = undefined;
        this.flush();
      } else {
        this.timer = setTimeout(check, this.idleMs - idle);
      }
    };
    this.timer = setTimeout(check, this.idleMs);
  }
}
