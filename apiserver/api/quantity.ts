/**
 * resource.Quantity: the decimal and binary quantities of the API (`500m`,
 * `1Gi`, `1e3`, `0.5`), parsed exactly (as nano units in a bigint) so that
 * they compare exactly, and written back in Kubernetes' canonical form (the
 * form the API returns: `0.5` → `500m`, `1024Mi` → `1Gi`).
 */
import { z } from 'zod';

/** How a quantity was written, which decides how it is written back. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A parsed quantity: its value in nano units (rounded up), and its format. */
export interface ParsedQuantity {
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

/** The decode error of a quantity that is not one (Kubernetes' ErrFormatWrong). */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** The decode error of a quantity whose suffix is unknown (Kubernetes' ErrSuffix). */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIX = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));
const BINARY_SUFFIX = new Map(Object.entries(BINARY).map(([s, e]) => [e, s]));
const SHAPE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** Divides rounding away from zero (Kubernetes rounds quantities up). */
function divUp(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d === 0n ? q : q + (n < 0n ? -1n : 1n);
}

/** Parses a quantity; an error message (Kubernetes' decode error) when it is not one. */
export function parseQuantity(raw: string | number): ParsedQuantity | string {
  const text = typeof raw === 'number' ? String(raw) : raw;
  const m = SHAPE.exec(text);
  if (!m || text.length === 0 || (m[2] === '' && !m[3])) return QUANTITY_FORMAT_ERROR;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  let exp10 = 0;
  let bin = 0;
  let format: QuantityFormat = 'DecimalSI';
  if (suffix in DECIMAL) exp10 = DECIMAL[suffix]!;
  else if (suffix in BINARY) {
    bin = BINARY[suffix]!;
    format = 'BinarySI';
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    exp10 = Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else return QUANTITY_SUFFIX_ERROR;
  // value = digits × 10^(exp10 - frac.length) × 1024^bin, in nanos
  let digits = BigInt(`${whole}${frac}` || '0') * 1024n ** BigInt(bin);
  const scale = exp10 - frac.length + 9;
  if (scale >= 0) digits *= 10n ** BigInt(scale);
  else digits = divUp(digits, 10n ** BigInt(-scale));
  return { nanos: sign === '-' ? -digits : digits, format };
}

/** A quantity's value in nanos, or undefined when it does not parse. */
export function quantityNanos(raw: unknown): bigint | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const q = parseQuantity(raw);
  return typeof q === 'string' ? undefined : q.nanos;
}

/** Kubernetes' canonical form of a quantity (Quantity.String()). */
export function formatQuantity(q: ParsedQuantity): string {
  const { nanos } = q;
  if (nanos === 0n) return '0';
  const neg = nanos < 0n;
  const abs = neg ? -nanos : nanos;
  let format = q.format;
  if (format === 'BinarySI' && (abs < 1024n * NANO || abs % NANO !== 0n)) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let n = abs / NANO;
    let e = 0;
    while (e < 6 && n % 1024n === 0n) {
      n /= 1024n;
      e++;
    }
    return `${neg ? '-' : ''}${n}${BINARY_SUFFIX.get(e) ?? ''}`;
  }
  let n = abs;
  let e = -9;
  while (n % 10n === 0n) {
    n /= 10n;
    e++;
  }
  const r = ((e % 3) + 3) % 3; // lower the exponent to a multiple of 3
  n *= 10n ** BigInt(r);
  e -= r;
  const suffix = format === 'DecimalSI' ? (DECIMAL_SUFFIX.get(e) ?? `e${e}`) : e === 0 ? '' : `e${e}`;
  return `${neg ? '-' : ''}${n}${suffix}`;
}

/** A quantity rounded up to milli units and written canonically (SetDefaults_ResourceList); as given when it does not parse. */
export function canonicalQuantity(raw: string | number): string | number {
  const q = parseQuantity(raw);
  if (typeof q === 'string') return raw;
  return formatQuantity({ nanos: divUp(q.nanos, 1_000_000n) * 1_000_000n, format: q.format });
}

/** The canonical string of a value in nanos (as a sum of quantities prints). */
export function nanosToString(nanos: bigint, format: QuantityFormat = 'DecimalSI'): string {
  return formatQuantity({ nanos, format });
}

/** A quantity in a manifest: a string or a number, which must parse. */
export const Quantity = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  const q = parseQuantity(v);
  if (typeof q === 'string') ctx.addIssue({ code: 'custom', message: q });
});
