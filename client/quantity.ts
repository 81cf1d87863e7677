/**
 * Quantities as numbers, for components that compute with them (requests
 * against allocatable): `500m` → 0.5, `1Gi` → 1073741824, `1e3` → 1000.
 * The API server has already checked every quantity it stored; a string
 * that is not one reads as NaN here.
 */
import type { Quantity } from './types.js';

const SHAPE = /^([+-]?[0-9]*(?:\.[0-9]*)?)(?:([eE][-+]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;
const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a quantity in its unit (cores, bytes, pods). */
export function quantityValue(q: Quantity | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = SHAPE.exec(q.trim());
  if (!m || m[1] === '' || m[1] === '.' || m[1] === '+' || m[1] === '-') return NaN;
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  return m[3] ? n * SUFFIX[m[3]]! : n;
}

/** The value in thousandths, rounded up as Kubernetes' MilliValue (CPU in millicores). */
export function milliValue(q: Quantity | undefined): number {
  return Math.ceil(Math.round(quantityValue(q) * 1e9) / 1e6);
}

/** The value rounded up to a whole unit, as Kubernetes' Value (memory in bytes, pods). */
export function wholeValue(q: Quantity | undefined): number {
  return Math.ceil(Math.round(quantityValue(q) * 1e6) / 1e6);
}
