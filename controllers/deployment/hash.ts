/**
 * The pod-template-hash of a Deployment's template (controller.ComputeHash):
 * the 32-bit FNV-1a hash of the template, then of the collision count (its
 * decimal digits) when the Deployment has one, written in decimal and each
 * digit mapped through Kubernetes' safe alphabet (rand.SafeEncodeString), so
 * it reads as `6d4cf56db6` and never spells a word.
 *
 * Kubernetes hashes the Go structure as a debugging printer dumps it; that
 * text cannot be reproduced outside Go, so kubeling hashes the template's
 * canonical JSON (internal/semantic.ts) instead: the same template always
 * gives the same hash, templates that differ only in absent fields too, and
 * a collision count moves it. A hash differs from kube's for the same
 * template; nothing depends on their being equal.
 */
import { canonicalJson } from '../internal/semantic.js';
import type { PodTemplateSpec } from '../internal/types.js';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 32-bit FNV-1a hash of `bytes`, continuing from `h` (the offset basis by default). */
export function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  let hash = h >>> 0;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash;
}

/** Each character mapped to the safe alphabet by its code (rand.SafeEncodeString). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

const utf8 = new TextEncoder();

/** The pod-template-hash of `template` with the Deployment's `collisionCount` (see the file comment). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number | null): string {
  let h = fnv32a(utf8.encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) h = fnv32a(utf8.encode(String(collisionCount)), h);
  return safeEncode(String(h));
}
