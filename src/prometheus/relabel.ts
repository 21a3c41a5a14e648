// Prometheus relabeling (relabel_configs, metric_relabel_configs) with Prometheus's semantics:
// anchored RE2-style regexes, `$1` / `${name}` replacement expansion, and its actions.
import { createHash } from 'node:crypto';

export type RelabelAction = 'replace' | 'keep' | 'drop' | 'keepequal' | 'dropequal' | 'hashmod' | 'labelmap' | 'labeldrop' | 'labelkeep' | 'lowercase' | 'uppercase';

export const RELABEL_ACTIONS: readonly RelabelAction[] = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'];

/** One entry of relabel_configs as written in the configuration. */
export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  target_label?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?: RelabelAction;
}

/** A compiled rule. */
export interface RelabelRule {
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly targetLabel: string;
  readonly regex: RegExp;
  readonly modulus: number;
  readonly replacement: string;
  readonly action: RelabelAction;
}

/** Labels as a mutable map (insertion order does not matter to Prometheus). */
export type LabelSet = Map<string, string>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * An RE2 expression (Prometheus's dialect) as an anchored JavaScript RegExp: `(?P<name>` named
 * groups become `(?<name>`, and leading inline flags `(?i)` / `(?s)` become RegExp flags.
 */
export function compileRegex(re: string): RegExp {
  let source = re.replace(/\(\?P</g, '(?<');
  let flags = '';
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1] as string) if ((f === 'i' || f === 's' || f === 'm') && !flags.includes(f)) flags += f;
  }
  return new RegExp(`^(?:${source})$`, flags);
}

export function compileRelabel(c: RelabelConfig): RelabelRule {
  return {
    sourceLabels: c.source_labels ?? [],
    separator: c.separator ?? ';',
    targetLabel: c.target_label ?? '',
    regex: compileRegex(c.regex ?? '(.*)'),
    modulus: c.modulus ?? 0,
    replacement: c.replacement ?? '$1',
    action: c.action ?? 'replace',
  };
}

/** Go's regexp.Expand: `$1`, `${1}`, `$name`, `${name}`; `$$` is a `$`; an unknown group is empty. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i] as string;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    let name: string;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      name = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^[a-zA-Z0-9_]+$/.test(name)) {
        out += c;
        i++;
        continue;
      }
      i = close + 1;
    } else {
      const m = /^[a-zA-Z0-9_]+/.exec(template.slice(i + 1));
      if (!m) {
        out += c;
        i++;
        continue;
      }
      name = m[0];
      i += 1 + name.length;
    }
    out += (/^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name]) ?? '';
  }
  return out;
}

/** Prometheus's hashmod: the md5 of the value, its low 64 bits big-endian, modulo `modulus`. */
export function hashMod(value: string, modulus: number): number {
  const digest = createHash('md5').update(value).digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(modulus));
}

/** Apply the rules in order; false when a rule dropped the label set. Mutates `labels`. */
export function relabel(labels: LabelSet, rules: readonly RelabelRule[]): boolean {
  for (const rule of rules) {
    const value = rule.sourceLabels.map((n) => labels.get(n) ?? '').join(rule.separator);
    switch (rule.action) {
      case 'drop':
        if (rule.regex.test(value)) return false;
        break;
      case 'keep':
        if (!rule.regex.test(value)) return false;
        break;
      case 'dropequal':
        if (labels.get(rule.targetLabel) === value) return false;
        break;
      case 'keepequal':
        if (labels.get(rule.targetLabel) !== value) return false;
        break;
      case 'replace': {
        const m = rule.regex.exec(value);
        if (!m) break;
        const target = expandTemplate(rule.targetLabel, m);
        if (!LABEL_NAME.test(target)) break;
        const res = expandTemplate(rule.replacement, m);
        if (res === '') labels.delete(target);
        else labels.set(target, res);
        break;
      }
      case 'lowercase':
        labels.set(rule.targetLabel, value.toLowerCase());
        break;
      case 'uppercase':
        labels.set(rule.targetLabel, value.toUpperCase());
        break;
      case 'hashmod':
        labels.set(rule.targetLabel, String(hashMod(value, rule.modulus)));
        break;
      case 'labelmap':
        for (const [name, v] of [...labels]) {
          const m = rule.regex.exec(name);
          if (m) labels.set(expandTemplate(rule.replacement, m), v);
        }
        break;
      case 'labeldrop':
        for (const name of [...labels.keys()]) if (rule.regex.test(name)) labels.delete(name);
        break;
      case 'labelkeep':
        for (const name of [...labels.keys()]) if (!rule.regex.test(name)) labels.delete(name);
        break;
    }
  }
  return true;
}
