// The collector's own structured log, on stderr: console (tab-separated, fields as
// JSON, like the OpenTelemetry Collector's default) or one JSON object per line.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogEncoding = 'console' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line (e.g. the component's kind and id). */
  child(fields: LogFields): Logger;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  level?: LogLevel;
  encoding?: LogEncoding;
  write?: (line: string) => void;
}

function fieldValue(v: unknown): unknown {
  if (v instanceof Error) return v.message;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function render(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = fieldValue(v);
  return out;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const encoding = options.encoding ?? 'console';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    const all = render({ ...base, ...fields });
    const ts = new Date().toISOString();
    if (encoding === 'json') {
      write(JSON.stringify({ ts, level, msg: message, ...all }) + '\n');
    } else {
      const extra = Object.keys(all).length > 0 ? '\t' + JSON.stringify(all) : '';
      write(`${ts}\t${level}\t${message}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that writes nothing, for tests and tools. */
export const nopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nopLogger,
};
