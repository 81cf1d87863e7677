/**
 * Label and field selectors as Kubernetes parses them (the `labelSelector`
 * and `fieldSelector` query parameters), and metav1.LabelSelector objects
 * (a Deployment's `spec.selector`) as requirements and as the string form
 * that a Scale's `status.selector` carries.
 *
 * Label grammar: requirements joined by commas, each one of `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
 * `key>n`, `key<n`. Field grammar: `field=value`, `field==value`,
 * `field!=value`, joined by commas, with `\` escaping `,`, `=`, `!` and `\`.
 */
import { labelValue, qualifiedName } from '../api/meta.js';
import { BadRequestError } from './errors.js';

/** One label requirement. */
export interface Requirement {
  readonly key: string;
  readonly op: 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';
  readonly values: readonly string[];
}

/** A parsed selector: every requirement must hold (an empty one matches everything). */
export type Selector = readonly Requirement[];

/** Whether `labels` satisfy every requirement. */
export function matches(sel: Selector, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(v!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

/** Parses a `labelSelector` parameter; BadRequest with Kubernetes' message form when it is not one. */
export function parseLabelSelector(s: string): Selector {
  const p = new Lexer(s);
  const out: Requirement[] = [];
  p.skipSpace();
  if (p.done()) return out;
  for (;;) {
    out.push(requirement(p));
    p.skipSpace();
    if (p.done()) break;
    if (!p.eat(',')) throw new BadRequestError(`unable to parse requirement: found '${p.rest()}', expected: ','`);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function requirement(p: Lexer): Requirement {
  p.skipSpace();
  const negated = p.eat('!');
  p.skipSpace();
  const key = p.identifier();
  if (!key) throw new BadRequestError(`unable to parse requirement: found '${p.rest()}', expected: identifier`);
  checkKey(key);
  p.skipSpace();
  if (negated) return { key, op: '!', values: [] };
  if (p.done() || p.peek(',')) return { key, op: 'exists', values: [] };
  let op: Requirement['op'];
  if (p.eat('==') || p.eat('=')) op = '=';
  else if (p.eat('!=')) op = '!=';
  else if (p.eat('>')) op = 'gt';
  else if (p.eat('<')) op = 'lt';
  else if (p.word('notin')) op = 'notin';
  else if (p.word('in')) op = 'in';
  else throw new BadRequestError(`unable to parse requirement: found '${p.rest()}', expected: in, notin, =, ==, !=, gt, lt`);
  p.skipSpace();
  let values: string[];
  if (op === 'in' || op === 'notin') {
    if (!p.eat('(')) throw new BadRequestError(`unable to parse requirement: found '${p.rest()}', expected: '('`);
    values = [];
    for (;;) {
      p.skipSpace();
      values.push(p.identifier());
      p.skipSpace();
      if (p.eat(')')) break;
      if (!p.eat(',')) throw new BadRequestError(`unable to parse requirement: found '${p.rest()}', expected: ',' or ')'`);
    }
  } else {
    values = [p.identifier()];
  }
  if (op === 'gt' || op === 'lt') {
    if (!/^-?\d+$/.test(values[0]!)) throw new BadRequestError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
  } else {
    for (const v of values) {
      const errs = labelValue(v);
      if (errs.length) throw new BadRequestError(`unable to parse requirement: values[0][${key}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
    }
  }
  return { key, op, values: op === 'in' || op === 'notin' ? [...new Set(values)].sort() : values };
}

function checkKey(key: string): void {
  const errs = qualifiedName(key);
  if (errs.length) throw new BadRequestError(`unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

/** metav1.LabelSelector: `{matchLabels, matchExpressions}`. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/** A LabelSelector object as requirements; an unknown operator matches nothing, as Kubernetes treats it. */
export function fromLabelSelector(ls: LabelSelectorObject | null | undefined): Selector {
  const out: Requirement[] = [];
  for (const [key, v] of Object.entries(ls?.matchLabels ?? {})) out.push({ key, op: '=', values: [v] });
  for (const e of ls?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator];
    out.push(op ? { key: e.key, op, values: [...(e.values ?? [])].sort() } : { key: e.key, op: 'in', values: [] });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The string form of a selector (`app=web,tier in (a,b)`), as a Scale's status.selector shows it. */
export function selectorString(sel: Selector): string {
  return sel
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case '=':
        case '!=':
          return `${r.key}${r.op}${r.values[0]}`;
        case 'gt':
          return `${r.key}>${r.values[0]}`;
        case 'lt':
          return `${r.key}<${r.values[0]}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${r.values.join(',')})`;
      }
    })
    .join(',');
}

/** One field requirement. */
export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/**
 * Parses a `fieldSelector` parameter against the fields a kind supports
 * (BadRequest `field label not supported: x` for another).
 */
export function parseFieldSelector(s: string, supported: ReadonlySet<string>): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (s.trim() === '') return out;
  for (const term of splitUnescaped(s, ',')) {
    const at = operatorAt(term);
    if (!at) throw new BadRequestError(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = unescape(term.slice(0, at.index)).trim();
    const value = unescape(term.slice(at.index + at.op.length));
    if (!supported.has(field)) throw new BadRequestError(`field label not supported: ${field}`);
    out.push({ field, op: at.op === '!=' ? '!=' : '=', value });
  }
  return out;
}

/** The first unescaped `!=`, `==` or `=` in a term. */
function operatorAt(term: string): { index: number; op: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '\\') i++;
    else if (c === '!' && term[i + 1] === '=') return { index: i, op: '!=' };
    else if (c === '=') return { index: i, op: term[i + 1] === '=' ? '==' : '=' };
  }
  return undefined;
}

/** Whether an object's field values satisfy every field requirement. */
export function fieldsMatch(reqs: readonly FieldRequirement[], fields: Readonly<Record<string, string>>): boolean {
  return reqs.every((r) => (fields[r.field] === r.value) === (r.op === '='));
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i]!;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** A cursor over a label selector string. */
class Lexer {
  #i = 0;
  constructor(private readonly s: string) {}
  done(): boolean {
    return this.#i >= this.s.length;
  }
  rest(): string {
    return this.s.slice(this.#i);
  }
  skipSpace(): void {
    while (this.#i < this.s.length && /\s/.test(this.s[this.#i]!)) this.#i++;
  }
  peek(t: string): boolean {
    return this.s.startsWith(t, this.#i);
  }
  eat(t: string): boolean {
    if (!this.peek(t)) return false;
    this.#i += t.length;
    return true;
  }
  /** `in` or `notin` followed by a space or `(`. */
  word(w: string): boolean {
    if (!this.peek(w)) return false;
    const next = this.s[this.#i + w.length];
    if (next !== undefined && !/[\s(]/.test(next)) return false;
    this.#i += w.length;
    return true;
  }
  /** A key or value: everything up to a space or an operator character. */
  identifier(): string {
    const start = this.#i;
    while (this.#i < this.s.length && !/[\s,=!<>()]/.test(this.s[this.#i]!)) this.#i++;
    return this.s.slice(start, this.#i);
  }
}
