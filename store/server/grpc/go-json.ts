/**
 * JSON as Go's encoding/json reads and writes it, for the gateway: etcd's
 * gateway answers bad input with Go's error text ("invalid character 'b'
 * looking for beginning of object key string", "unexpected EOF",
 * "illegal base64 data at input byte 4"), and int64 fields need the exact
 * number literal, which JSON.parse would round.
 *
 * Parsing works on bytes, as Go's scanner does, so error messages name the
 * same byte. Values keep their source text: numbers as literals, strings
 * with their raw (still escaped) text beside the decoded value.
 */

/** A parsed JSON value. Objects keep the last of duplicate keys, as Go's maps do. */
export type JsonValue =
  | { readonly kind: 'object'; readonly members: ReadonlyMap<string, JsonValue> }
  | { readonly kind: 'array'; readonly items: readonly JsonValue[] }
  | { readonly kind: 'string'; readonly value: string; readonly raw: string }
  | { readonly kind: 'number'; readonly raw: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

/** An error whose message is the one Go's encoding/json (or encoding/base64) gives. */
export class GoJsonError extends Error {
  override readonly name = 'GoJsonError';
}

/** Result of decodeNext: a value and where it ended, or the input ran out. */
export type NextValue = { readonly value: JsonValue; readonly end: number } | 'eof' | 'incomplete';

/** Thrown inside the parser when the input ends mid-value. */
class Incomplete {}
const INCOMPLETE = new Incomplete();

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const utf8 = new TextDecoder('utf-8'); // non-fatal: invalid bytes become U+FFFD, as Go does

/** Go's quoteChar: how scanner errors show the offending byte. */
export function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  return `'${goQuoteRune(c)}'`;
}

function goQuoteRune(r: number): string {
  switch (r) {
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x0b: return '\\v';
    case 0x5c: return '\\\\';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${r.toString(16).padStart(2, '0')}`;
  if ((r >= 0x80 && r < 0xa1) || r === 0xad) return `\\u${r.toString(16).padStart(4, '0')}`;
  return String.fromCharCode(r);
}

/**
 * Reads the JSON value that starts at `offset` (after whitespace), as Go's
 * json.Decoder.Decode does: 'eof' if only whitespace remains, 'incomplete'
 * if the value is cut short (more bytes may come; at the real end of input
 * that is Go's "unexpected EOF"); throws GoJsonError on a syntax error.
 * `final`: no more bytes will come (a trailing number is then complete).
 */
export function decodeNext(bytes: Uint8Array, offset: number, final: boolean): NextValue {
  const parser = new Parser(bytes, final);
  parser.pos = offset;
  parser.skipWs();
  if (parser.pos >= bytes.length) return 'eof';
  try {
    const value = parser.value('looking for beginning of value');
    return { value, end: parser.pos };
  } catch (err) {
    if (err === INCOMPLETE) return 'incomplete';
    throw err;
  }
}

/**
 * Go's json.Unmarshal syntax check of a whole text: one value, then only
 * whitespace. Returns the value or throws Go's error.
 */
export function unmarshalValue(text: string): JsonValue {
  const bytes = Buffer.from(text, 'utf8');
  const next = decodeNext(bytes, 0, true);
  if (next === 'eof' || next === 'incomplete') throw new GoJsonError('unexpected end of JSON input');
  const parser = new Parser(bytes, true);
  parser.pos = next.end;
  parser.skipWs();
  if (parser.pos < bytes.length) throw new GoJsonError(`invalid character ${quoteChar(bytes[parser.pos]!)} after top-level value`);
  return next.value;
}

class Parser {
  pos = 0;
  constructor(
    readonly b: Uint8Array,
    readonly final: boolean,
  ) {}

  skipWs(): void {
    while (this.pos < this.b.length && WS.has(this.b[this.pos]!)) this.pos++;
  }

  peek(): number {
    if (this.pos >= this.b.length) throw INCOMPLETE;
    return this.b[this.pos]!;
  }

  fail(c: number, context: string): never {
    throw new GoJsonError(`invalid character ${quoteChar(c)} ${context}`);
  }

  value(context: string): JsonValue {
    this.skipWs();
    const c = this.peek();
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal('true', { kind: 'bool', value: true });
    if (c === 0x66) return this.literal('false', { kind: 'bool', value: false });
    if (c === 0x6e) return this.literal('null', { kind: 'null' });
    return this.fail(c, context);
  }

  object(): JsonValue {
    this.pos++; // {
    const members = new Map<string, JsonValue>();
    this.skipWs();
    if (this.peek() === 0x7d) {
      this.pos++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.skipWs();
      const c = this.peek();
      if (c !== 0x22) this.fail(c, 'looking for beginning of object key string');
      const key = this.string();
      this.skipWs();
      const colon = this.peek();
      if (colon !== 0x3a) this.fail(colon, 'after object key');
      this.pos++;
      members.set(key.value, this.value('looking for beginning of value'));
      this.skipWs();
      const next = this.peek();
      this.pos++;
      if (next === 0x7d) return { kind: 'object', members };
      if (next !== 0x2c) this.fail(next, 'after object key:value pair');
    }
  }

  array(): JsonValue {
    this.pos++; // [
    const items: JsonValue[] = [];
    this.skipWs();
    if (this.peek() === 0x5d) {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value('looking for beginning of value'));
      this.skipWs();
      const next = this.peek();
      this.pos++;
      if (next === 0x5d) return { kind: 'array', items };
      if (next !== 0x2c) this.fail(next, 'after array element');
    }
  }

  string(): { kind: 'string'; value: string; raw: string } {
    const start = ++this.pos; // after the opening quote
    let value = '';
    let run = start;
    for (;;) {
      const c = this.peek();
      if (c === 0x22) {
        value += utf8.decode(this.b.subarray(run, this.pos));
        const raw = utf8.decode(this.b.subarray(start, this.pos));
        this.pos++;
        return { kind: 'string', value, raw };
      }
      if (c < 0x20) this.fail(c, 'in string literal');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      value += utf8.decode(this.b.subarray(run, this.pos));
      this.pos++;
      const e = this.peek();
      this.pos++;
      const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
      if (simple[e] !== undefined) value += simple[e];
      else if (e === 0x75) value += String.fromCharCode(this.hex4());
      else this.fail(e, 'in string escape code');
      run = this.pos;
    }
  }

  hex4(): number {
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.peek();
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail(c, 'in \\u hexadecimal character escape');
      n = n * 16 + d;
      this.pos++;
    }
    return n;
  }

  number(): JsonValue {
    const start = this.pos;
    if (this.b[this.pos] === 0x2d) {
      this.pos++;
      const c = this.peek();
      if (c < 0x30 || c > 0x39) this.fail(c, 'in numeric literal');
    }
    if (this.peek() === 0x30) this.pos++;
    else this.digits();
    if (this.more() && this.b[this.pos] === 0x2e) {
      this.pos++;
      const c = this.peek();
      if (c < 0x30 || c > 0x39) this.fail(c, 'after decimal point in numeric literal');
      this.digits();
    }
    if (this.more() && (this.b[this.pos] === 0x65 || this.b[this.pos] === 0x45)) {
      this.pos++;
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.pos++;
      const c = this.peek();
      if (c < 0x30 || c > 0x39) this.fail(c, 'in exponent of numeric literal');
      this.digits();
    }
    this.more(); // a number at the very end is only complete when the input is
    return { kind: 'number', raw: utf8.decode(this.b.subarray(start, this.pos)) };
  }

  digits(): void {
    while (this.more() && this.b[this.pos]! >= 0x30 && this.b[this.pos]! <= 0x39) this.pos++;
  }

  /** Whether a byte follows; at the end of a non-final input, the value may go on: incomplete. */
  more(): boolean {
    if (this.pos < this.b.length) return true;
    if (!this.final) throw INCOMPLETE;
    return false;
  }

  literal(word: string, value: JsonValue): JsonValue {
    this.pos++;
    for (let i = 1; i < word.length; i++) {
      const c = this.peek();
      if (c !== word.charCodeAt(i)) this.fail(c, `in literal ${word} (expecting '${word[i]}')`);
      this.pos++;
    }
    return value;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((ch, i) => [ch.charCodeAt(0), i]));

/**
 * Go's base64.StdEncoding.DecodeString (padding required, \r and \n
 * ignored), with its "illegal base64 data at input byte N" errors.
 */
export function goBase64Decode(text: string): Uint8Array {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  const corrupt = (at: number): GoJsonError => new GoJsonError(`illegal base64 data at input byte ${at}`);
  const isNl = (c: number | undefined): boolean => c === 0x0a || c === 0x0d;
  let si = 0;
  while (si < src.length) {
    const quantum: number[] = [];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        throw corrupt(si - j);
      }
      const c = src[si]!;
      si++;
      const v = B64_INDEX.get(c);
      if (v !== undefined) {
        quantum.push(v);
        continue;
      }
      if (isNl(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d || j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNl(src[si])) si++;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNl(src[si])) si++;
      if (si < src.length) throw corrupt(si);
      dlen = j;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const val = (a << 18) | (b << 12) | (c << 6) | d;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
    if (dlen < 4) break;
  }
  return Uint8Array.from(out);
}

/** A string as Go's json.Marshal writes it: HTML-safe (<, >, & escaped), U+2028/9 escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd'; // a lone surrogate: invalid UTF-8 to Go
    else out += ch;
  }
  return out + '"';
}
