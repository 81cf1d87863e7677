/**
 * A stored value as text for display: JSON pretty-printed as JSON or YAML,
 * text as it is, bytes as a hex dump; and typed text as a write sends it.
 * Pure: no DOM (unit tested under Node).
 */
import type { ValueEncoding } from './types.js';
import { toYaml } from './yaml.js';

/** How values are shown. */
export type ValueFormat = 'json' | 'yaml';

/** A value decoded: its parsed JSON (if it is JSON) and the text to show. */
export interface ShownValue {
  readonly text: string;
  /** The JSON value, when the value is JSON. */
  readonly parsed?: unknown;
  /** A remark for the reader ('not valid JSON', '3 bytes'). */
  readonly note?: string;
}

/** The bytes of base64 text `b64` (atob exists in browsers and Node 16+). */
function bytesOf(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** `value` (as the inspection API returns it with `encoding`) shown in `format`. */
export function showValue(value: unknown, encoding: ValueEncoding, format: ValueFormat): ShownValue {
  if (encoding === 'base64') {
    const b = typeof value === 'string' ? bytesOf(value) : new Uint8Array();
    return { text: hexdump(b), note: `binary, ${b.length} bytes` };
  }
  if (encoding === 'text') return { text: typeof value === 'string' ? value : JSON.stringify(value) };
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { text: value, note: 'not valid JSON' };
    }
  }
  return { text: format === 'yaml' ? toYaml(parsed) : `${JSON.stringify(parsed, null, 2)}\n`, parsed };
}

/** The text an editor starts from: compact JSON pretty-printed, other text as it is. */
export function editableText(value: unknown, encoding: ValueEncoding): string | undefined {
  if (encoding === 'base64') return undefined;
  return showValue(value, encoding, 'json').text;
}

/** A value as a write sends it, from the text typed in an editor. */
export interface WriteValue {
  /** The PUT body's `value`: JSON made compact (as the API server stores objects), other text as typed. */
  readonly value: string;
  /** The text the write's confirmation shows (JSON pretty-printed, as the editor starts from it). */
  readonly shown: string;
}

/** `text` as a write sends it: as JSON when `json` (throws a SyntaxError when it is not JSON), else as it is. */
export function writeValue(text: string, json: boolean): WriteValue {
  if (!json) return { value: text, shown: text };
  const parsed: unknown = JSON.parse(text);
  return { value: JSON.stringify(parsed), shown: `${JSON.stringify(parsed, null, 2)}\n` };
}

/** `bytes` as `hexdump -C` prints them (16 a line, offset, hex, printable ASCII); at most `max` bytes. */
export function hexdump(bytes: Uint8Array, max = 4096): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  if (bytes.length > max) lines.push(`… ${bytes.length - max} more bytes`);
  return `${lines.join('\n')}\n`;
}
