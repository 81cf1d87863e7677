/**
 * Makes the :authority of HTTP/2 requests acceptable to nghttp2, the HTTP/2
 * engine inside Node, which resets any stream whose :authority has a byte
 * outside RFC 3986's authority characters. etcd's own clients send such
 * values: etcdctl 3.4 dials maintenance calls (endpoint status, defrag,
 * hashkv, move-leader) with ":authority: http://host:port", and clientv3
 * 3.5.0-3.5.9 sends "#initially=[https://host:port]" on every call
 * (etcd-io/etcd#13192). grpc-go servers, etcd's included, accept them.
 *
 * The rewrite works on a header block's HPACK encoding, in place and at the
 * same length: the same number of characters (so both ends' HPACK dynamic
 * tables stay the same size) and, for Huffman-coded strings, the same number
 * of code bits (so no byte moves). Invalid characters are swapped for valid
 * ones whose Huffman codes are as long; when that cannot balance, the value
 * becomes a filler of valid characters with the same length and bit count.
 * Only literals naming :authority by the static table (index 1) or by a
 * literal name are seen; every encoder in practice uses index 1.
 */

/** Huffman code lengths of symbols 0..255 (RFC 7541 Appendix B); the code is canonical. */
const CODE_LENGTHS = (
  '13 23 28 28 28 28 28 28 28 24 30 28 28 30 28 28 28 28 28 28 28 28 30 28 28 28 28 28 28 28 28 28 ' +
  '6 10 10 12 13 6 8 11 10 10 8 11 8 6 6 6 5 5 5 6 6 6 6 6 6 6 7 8 15 6 12 10 ' +
  '13 6 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 8 7 8 13 19 13 14 6 ' +
  '15 5 6 5 6 5 6 6 6 5 7 7 6 6 6 5 6 7 6 5 5 6 7 7 7 7 7 15 11 14 13 28 ' +
  '20 22 20 20 22 22 22 23 22 23 23 23 23 23 24 23 24 24 22 23 24 23 23 23 23 21 22 23 22 23 23 24 ' +
  '22 21 20 22 22 23 23 21 23 22 22 24 21 22 23 23 21 21 22 21 23 22 23 23 20 22 22 22 23 22 22 23 ' +
  '26 26 20 19 22 23 22 25 26 26 26 27 27 26 24 25 19 21 26 27 27 26 27 24 21 21 26 26 28 27 27 27 ' +
  '20 24 20 21 22 21 21 23 22 22 25 25 24 24 26 23 26 27 26 26 27 27 27 27 27 28 27 27 27 27 27 26 30'
)
  .split(' ')
  .map(Number); // index 256 is EOS

/** Symbols in canonical order (by code length, then value) and, per length, the first code and its position. */
const ORDER = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a]! - CODE_LENGTHS[b]! || a - b);
const FIRST_CODE = new Map<number, { code: number; index: number; count: number }>();
const CODES: number[] = [];
{
  let code = 0;
  let prevLength = CODE_LENGTHS[ORDER[0]!]!;
  ORDER.forEach((sym, index) => {
    const length = CODE_LENGTHS[sym]!;
    code *= 2 ** (length - prevLength);
    prevLength = length;
    const first = FIRST_CODE.get(length);
    if (first) first.count++;
    else FIRST_CODE.set(length, { code, index, count: 1 });
    CODES[sym] = code;
    code++;
  });
}

/** Characters nghttp2 accepts in :authority (RFC 3986 authority characters, '@' excluded as newer nghttp2 does). */
export function isAuthorityChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "!$%&'()*+,-.:;=[]_~".includes(String.fromCharCode(c));
}

/** A valid stand-in for each code length that has one. */
const FILLER_BY_LENGTH = new Map([[5, 0x61], [6, 0x2d], [7, 0x78], [8, 0x58], [10, 0x21], [11, 0x2b], [13, 0x24]]);

/** Huffman-decodes; undefined if the input is not a valid HPACK Huffman string. */
export function huffmanDecode(bytes: Uint8Array): number[] | undefined {
  const out: number[] = [];
  let code = 0;
  let length = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const first = FIRST_CODE.get(length);
      if (first && code - first.code < first.count && code >= first.code) {
        const sym = ORDER[first.index + code - first.code]!;
        if (sym === 256) return undefined; // EOS inside a string is an error
        out.push(sym);
        code = 0;
        length = 0;
      } else if (length > 30) {
        return undefined;
      }
    }
  }
  // padding: fewer than 8 bits, all ones (a prefix of EOS)
  return length < 8 && code === 2 ** length - 1 ? out : undefined;
}

/** Huffman-encodes, padding with ones to whole bytes. */
export function huffmanEncode(symbols: readonly number[]): Uint8Array {
  const bits = symbols.reduce((n, s) => n + CODE_LENGTHS[s]!, 0);
  const out = new Uint8Array(Math.ceil(bits / 8)).fill(0xff);
  let pos = 0;
  for (const s of symbols) {
    const length = CODE_LENGTHS[s]!;
    for (let i = length - 1; i >= 0; i--) {
      const bit = Math.floor(CODES[s]! / 2 ** i) % 2;
      if (bit === 0) out[pos >> 3]! &= ~(0x80 >> (pos & 7));
      pos++;
    }
  }
  return out;
}

/** Valid characters, `count` of them, whose codes add up to `bits`; undefined if there are none. */
function filler(count: number, bits: number, memo = new Map<string, number[] | null>()): number[] | undefined {
  if (count === 0) return bits === 0 ? [] : undefined;
  const key = `${count}/${bits}`;
  const known = memo.get(key);
  if (known !== undefined) return known ?? undefined;
  let found: number[] | undefined;
  for (const [length, sym] of FILLER_BY_LENGTH) {
    if (bits - length < 5 * (count - 1) || bits - length > 13 * (count - 1)) continue;
    const rest = filler(count - 1, bits - length, memo);
    if (rest) {
      found = [sym, ...rest];
      break;
    }
  }
  memo.set(key, found ?? null);
  return found;
}

/**
 * Replaces invalid characters keeping character count and total code bits:
 * each by a valid character with a code as long when there is one ('/' and
 * ' ' by '-', '@' by '$' ...); the rest by valid characters whose codes add
 * up as theirs did; failing that the whole value becomes filler. Undefined
 * if even that is impossible (then the value stays, and nghttp2 resets).
 */
export function sanitizeSymbols(symbols: readonly number[]): number[] | undefined {
  const bitsOf = (positions: readonly number[]): number => positions.reduce((n, i) => n + CODE_LENGTHS[symbols[i]!]!, 0);
  const out = [...symbols];
  const bad = symbols.flatMap((s, i) => (isAuthorityChar(s) ? [] : [i]));
  const unmatched = bad.filter((i) => {
    const same = FILLER_BY_LENGTH.get(CODE_LENGTHS[symbols[i]!]!);
    if (same !== undefined) out[i] = same;
    return same === undefined;
  });
  if (unmatched.length === 0) return out;
  for (const positions of [unmatched, bad, [...symbols.keys()]]) {
    const patch = filler(positions.length, bitsOf(positions));
    if (patch) {
      positions.forEach((i, k) => (out[i] = patch[k]!));
      return out;
    }
  }
  return undefined;
}

/** Reads an HPACK integer with an N-bit prefix at `pos`: [value, next position]; throws past the end. */
function readInt(b: Uint8Array, pos: number, prefix: number): [number, number] {
  if (pos >= b.length) throw new RangeError('truncated');
  const max = 2 ** prefix - 1;
  let value = b[pos]! & max;
  pos++;
  if (value < max) return [value, pos];
  for (let shift = 0; ; shift += 7) {
    if (pos >= b.length || shift > 28) throw new RangeError('bad integer');
    const byte = b[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
  }
}

/** Rewrites, in place, the value of a string literal at `pos` if it is an invalid authority; returns the next position. */
function fixString(b: Uint8Array, pos: number): number {
  const huffman = (b[pos]! & 0x80) !== 0;
  const [length, start] = readInt(b, pos, 7);
  const end = start + length;
  if (end > b.length) throw new RangeError('truncated');
  const raw = b.subarray(start, end);
  if (!huffman) {
    raw.forEach((c, i) => {
      if (!isAuthorityChar(c)) raw[i] = 0x2d;
    });
    return end;
  }
  const symbols = huffmanDecode(raw);
  if (!symbols || symbols.every(isAuthorityChar)) return end;
  const fixed = sanitizeSymbols(symbols);
  if (!fixed) return end;
  const encoded = huffmanEncode(fixed);
  if (encoded.length === raw.length) raw.set(encoded);
  return end;
}

function stringValue(b: Uint8Array, pos: number): [string, number] {
  const huffman = (b[pos]! & 0x80) !== 0;
  const [length, start] = readInt(b, pos, 7);
  if (start + length > b.length) throw new RangeError('truncated');
  const raw = b.subarray(start, start + length);
  const chars = huffman ? huffmanDecode(raw) ?? [] : [...raw];
  return [String.fromCharCode(...chars), start + length];
}

/**
 * Rewrites every literal :authority of an HPACK header block in place
 * (the block's length never changes). A block that does not parse is left
 * alone: nghttp2 reports it as before.
 */
export function fixAuthority(block: Uint8Array): void {
  try {
    let pos = 0;
    while (pos < block.length) {
      const first = block[pos]!;
      if (first & 0x80) {
        pos = readInt(block, pos, 7)[1]; // indexed field
        continue;
      }
      if ((first & 0xe0) === 0x20) {
        pos = readInt(block, pos, 5)[1]; // dynamic table size update
        continue;
      }
      const [nameIndex, next] = readInt(block, pos, (first & 0xc0) === 0x40 ? 6 : 4);
      pos = next;
      let isAuthority = nameIndex === 1;
      if (nameIndex === 0) {
        const [name, afterName] = stringValue(block, pos);
        isAuthority = name === ':authority';
        pos = afterName;
      }
      if (isAuthority) {
        pos = fixString(block, pos);
      } else {
        const [length, start] = readInt(block, pos, 7);
        pos = start + length;
      }
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
  }
}
