/**
 * A small JSON → YAML printer for display, in the style of `kubectl get -o
 * yaml`: block mappings indented by two, sequences at their key's
 * indentation, strings plain where no YAML reader (1.1 or 1.2) would take
 * them for something else and double-quoted otherwise, multi-line strings
 * as literal blocks. Keys keep their order. Pure: no DOM (unit tested under
 * Node, where the output is read back with the `yaml` package).
 */

/** `value` (anything JSON can hold) as a YAML document, ending in a newline. */
export function toYaml(value: unknown): string {
  if (isBlock(value)) return `${blockLines(value).join('\n')}\n`;
  if (typeof value === 'string' && isLiteral(value)) return `${[literalHeader(value), ...literalLines(value)].join('\n')}\n`;
  return `${scalar(value)}\n`;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A non-empty mapping or sequence: printed as a block. */
function isBlock(v: unknown): v is Obj | unknown[] {
  if (Array.isArray(v)) return v.length > 0;
  return isObj(v) && Object.values(v).some((x) => x !== undefined);
}

/** The lines of a block, unindented; the caller indents them. */
function blockLines(v: Obj | unknown[]): string[] {
  const out: string[] = [];
  const indent = (lines: string[], first: string, rest: string): void => {
    lines.forEach((l, i) => out.push(l === '' ? l : (i === 0 ? first : rest) + l));
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isBlock(item)) indent(blockLines(item), '- ', '  ');
      else if (typeof item === 'string' && isLiteral(item)) {
        out.push(`- ${literalHeader(item)}`);
        indent(literalLines(item), '  ', '  ');
      } else out.push(`- ${scalar(item === undefined ? null : item)}`);
    }
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const key = str(k);
    if (isBlock(val)) {
      out.push(`${key}:`);
      // sequences sit at their key's indentation, as kubectl prints them
      const pad = Array.isArray(val) ? '' : '  ';
      indent(blockLines(val), pad, pad);
    } else if (typeof val === 'string' && isLiteral(val)) {
      out.push(`${key}: ${literalHeader(val)}`);
      indent(literalLines(val), '  ', '  ');
    } else out.push(`${key}: ${scalar(val)}`);
  }
  return out;
}

/** A scalar (or an empty collection) on one line. */
function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v !== v ? '.nan' : v > 0 ? '.inf' : '-.inf';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object') return '{}';
  return str(String(v));
}

// ---- strings

/** Words YAML 1.1 or 1.2 reads as booleans or null. */
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
/** Strings a YAML reader takes for numbers (ints in any base, floats, 1.1's sexagesimals, .inf, .nan) or timestamps. */
const NUMBERISH = [
  /^[-+]?(?:0|[1-9][0-9_]*)$/,
  /^[-+]?0[0-7_]+$/,
  /^[-+]?0x[0-9a-f_]+$/i,
  /^[-+]?0o[0-7_]+$/i,
  /^[-+]?0b[01_]+$/i,
  /^[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:e[-+]?\d+)?$/i,
  /^[-+]?\d[\d_]*\.\d*(?:e[-+]?\d+)?$/i,
  /^[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?$/,
  /^[-+]?\.(?:inf|nan)$/i,
  /^\d{4}-\d\d?-\d\d?(?:[Tt ]|$)/,
];
/** How a plain scalar may not start: with an indicator, or with `-`, `?` or `:` and a space. */
const INDICATOR = /^(?:[,[\]{}#&*!|>'"%@`]|[-?:](?:\s|$))/;
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

/** Whether `s` may be written without quotes. */
export function isPlain(s: string): boolean {
  if (s === '' || s.trim() !== s || /[\n\t]/.test(s) || CONTROL.test(s)) return false;
  if (RESERVED.test(s) || NUMBERISH.some((r) => r.test(s))) return false;
  if (INDICATOR.test(s)) return false;
  return !s.includes(': ') && !s.includes(' #') && !s.endsWith(':');
}

/** `s` as a plain or double-quoted scalar. */
function str(s: string): string {
  if (isPlain(s)) return s;
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029').replace(/\u007f/g, '\\u007f');
}

/**
 * Whether `s` is printed as a literal block (`|`): it has several lines,
 * nothing a block cannot hold (control characters, tabs or carriage returns),
 * and its first non-empty line does not start with a space (which would
 * need an indentation indicator).
 */
function isLiteral(s: string): boolean {
  if (!s.includes('\n') || CONTROL.test(s) || /[\r\t]/.test(s)) return false;
  const first = s.split('\n').find((l) => l !== '');
  return first !== undefined && !first.startsWith(' ');
}

/** The header of a literal block: `|`, or `|-` without a final newline, `|+` with several. */
function literalHeader(s: string): string {
  if (!s.endsWith('\n')) return '|-';
  return s.endsWith('\n\n') ? '|+' : '|';
}

/** The content lines of a literal block (indented by the caller). */
function literalLines(s: string): string[] {
  return (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n');
}
