/**
 * HPACK (RFC 7541), as an HTTP/2 server needs it: a decoder for request
 * header blocks (static and dynamic tables, Huffman strings, table size
 * updates) and an encoder for response headers that never indexes (so the
 * client's dynamic table for our side stays empty and costs nothing).
 */

/** The static table (RFC 7541 Appendix A), from index 1. */
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/** Huffman code lengths of symbols 0..255 and EOS (256) (RFC 7541 Appendix B); the code is canonical. */
const CODE_LENGTHS: readonly number[] = (
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
  .map(Number);

/** Symbols in canonical order (by code length, then value). */
const ORDER: readonly number[] = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a]! - CODE_LENGTHS[b]! || a - b);
/** Per code length: the first code of that length, where its symbols start in ORDER, and how many there are. */
const FIRST = new Int32Array(31).fill(-1);
const START = new Int32Array(31);
const COUNT = new Int32Array(31);
/** Each symbol's code. */
const CODES: readonly number[] = (() => {
  const codes: number[] = [];
  let code = 0;
  let prev = CODE_LENGTHS[ORDER[0]!]!;
  ORDER.forEach((sym, index) => {
    const length = CODE_LENGTHS[sym]!;
    code *= 2 ** (length - prev);
    prev = length;
    if (FIRST[length] === -1) {
      FIRST[length] = code;
      START[length] = index;
    }
    COUNT[length]!++;
    codes[sym] = code;
    code++;
  });
  return codes;
})();

/** The largest decoded header list a request may have (grpc-go's default is 16 MiB; gRPC metadata is small). */
export const MAX_HEADER_LIST = 1 << 20;

/** A decoding error: the connection must end with COMPRESSION_ERROR. */
export class HpackError extends Error {
  override readonly name = 'HpackError';
}

/** Huffman-decodes `bytes` to a latin1 string; throws HpackError if it is not valid. */
export function huffmanDecode(bytes: Uint8Array): string {
  let out = '';
  let code = 0;
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const first = FIRST[length]!;
      if (first !== -1 && code >= first && code - first < COUNT[length]!) {
        const sym = ORDER[START[length]! + code - first]!;
        if (sym === 256) throw new HpackError('EOS in a Huffman string');
        out += String.fromCharCode(sym);
        code = 0;
        length = 0;
      } else if (length >= 30) {
        throw new HpackError('bad Huffman code');
      }
    }
  }
  // padding: fewer than 8 bits, all ones (a prefix of EOS)
  if (length >= 8 || code !== 2 ** length - 1) throw new HpackError('bad Huffman padding');
  return out;
}

/** Huffman-encodes latin1 symbols, padding with ones to whole bytes. */
export function huffmanEncode(symbols: readonly number[]): Uint8Array {
  const bits = symbols.reduce((n, s) => n + CODE_LENGTHS[s]!, 0);
  const out = new Uint8Array(Math.ceil(bits / 8)).fill(0xff);
  let pos = 0;
  for (const s of symbols) {
    const length = CODE_LENGTHS[s]!;
    for (let i = length - 1; i >= 0; i--) {
      if (Math.floor(CODES[s]! / 2 ** i) % 2 === 0) out[pos >> 3]! &= ~(0x80 >> (pos & 7));
      pos++;
    }
  }
  return out;
}

/** A header list entry: lower-case name (as sent), latin1 value. */
export type HeaderField = readonly [name: string, value: string];

/** Decodes the header blocks of one connection's requests, keeping its dynamic table. */
export class HpackDecoder {
  /** Newest first. */
  #table: HeaderField[] = [];
  #size = 0;
  #maxSize: number;

  /** @param limit our SETTINGS_HEADER_TABLE_SIZE (the default, 4096): the largest table the client may use */
  constructor(readonly limit = 4096) {
    this.#maxSize = limit;
  }

  /**
   * Decodes one complete header block. Throws HpackError, also when the
   * header list (names, values and 32 bytes per field, as RFC 9113 counts
   * it) exceeds `maxListSize`: indexed references make a small block expand.
   */
  decode(b: Uint8Array, maxListSize = MAX_HEADER_LIST): HeaderField[] {
    const out: HeaderField[] = [];
    let listSize = 0;
    const add = (f: HeaderField): void => {
      listSize += f[0].length + f[1].length + 32;
      if (listSize > maxListSize) throw new HpackError(`header list larger than ${maxListSize} bytes`);
      out.push(f);
    };
    let pos = 0;
    let fieldsSeen = false;
    while (pos < b.length) {
      const first = b[pos]!;
      if (first & 0x80) {
        const [index, next] = readInt(b, pos, 7);
        pos = next;
        add(this.#entry(index));
        fieldsSeen = true;
      } else if ((first & 0xe0) === 0x20) {
        if (fieldsSeen) throw new HpackError('table size update after a field');
        const [size, next] = readInt(b, pos, 5);
        pos = next;
        if (size > this.limit) throw new HpackError(`table size ${size} over the limit ${this.limit}`);
        this.#maxSize = size;
        this.#evict(0);
      } else {
        const indexing = (first & 0xc0) === 0x40;
        const [nameIndex, next] = readInt(b, pos, indexing ? 6 : 4);
        pos = next;
        let name: string;
        if (nameIndex === 0) [name, pos] = readString(b, pos);
        else name = this.#entry(nameIndex)[0];
        let value: string;
        [value, pos] = readString(b, pos);
        const field: HeaderField = [name, value];
        if (indexing) this.#add(field);
        add(field);
        fieldsSeen = true;
      }
    }
    return out;
  }

  #entry(index: number): HeaderField {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC.length) return STATIC[index - 1]!;
    const e = this.#table[index - STATIC.length - 1];
    if (e === undefined) throw new HpackError(`index ${index} past the dynamic table`);
    return e;
  }

  #add(field: HeaderField): void {
    const size = field[0].length + field[1].length + 32;
    this.#evict(size);
    if (size > this.#maxSize) return; // a field larger than the table empties it
    this.#table.unshift(field);
    this.#size += size;
  }

  #evict(room: number): void {
    while (this.#size + room > this.#maxSize && this.#table.length > 0) {
      const e = this.#table.pop()!;
      this.#size -= e[0].length + e[1].length + 32;
    }
  }
}

/** Reads an HPACK integer with an N-bit prefix at `pos`: [value, next position]. */
function readInt(b: Uint8Array, pos: number, prefix: number): [number, number] {
  const max = (1 << prefix) - 1;
  let value = b[pos]! & max;
  pos++;
  if (value < max) return [value, pos];
  for (let shift = 0; ; shift += 7) {
    if (pos >= b.length || shift > 28) throw new HpackError('bad integer');
    const byte = b[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
  }
}

function readString(b: Uint8Array, pos: number): [string, number] {
  if (pos >= b.length) throw new HpackError('truncated');
  const huffman = (b[pos]! & 0x80) !== 0;
  const [length, start] = readInt(b, pos, 7);
  const end = start + length;
  if (end > b.length) throw new HpackError('truncated string');
  const raw = b.subarray(start, end);
  return [huffman ? huffmanDecode(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('latin1'), end];
}

function writeInt(out: number[], value: number, prefix: number, flags: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function writeString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  writeInt(out, bytes.length, 7, 0);
  for (const c of bytes) out.push(c);
}

/** Static-table index of each name (first occurrence), and of each exact name/value pair. */
const STATIC_NAME = new Map<string, number>();
const STATIC_PAIR = new Map<string, number>();
STATIC.forEach(([n, v], i) => {
  if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);
  if (v !== '') STATIC_PAIR.set(`${n}\0${v}`, i + 1);
});

/**
 * Encodes a header list without indexing: exact static pairs as indexed
 * fields, the rest as literals (static name index when there is one).
 * `tableSize`, when given, starts the block with a dynamic table size update.
 */
export function encodeHeaders(fields: Iterable<HeaderField>, tableSize?: number): Buffer {
  const out: number[] = [];
  if (tableSize !== undefined) writeInt(out, tableSize, 5, 0x20);
  for (const [name, value] of fields) {
    const pair = STATIC_PAIR.get(`${name}\0${value}`);
    if (pair !== undefined) {
      writeInt(out, pair, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_NAME.get(name);
    if (nameIndex !== undefined) writeInt(out, nameIndex, 4, 0);
    else {
      out.push(0);
      writeString(out, name);
    }
    writeString(out, value);
  }
  return Buffer.from(out);
}
