/**
 * core/v1 Secret and ServiceAccount as zod schemas. A secret's `data`
 * values are base64, decoded on input as Kubernetes' JSON decoding of
 * []byte does: a value that is not base64 does not decode (a BadRequest,
 * with Go's message).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { ObjectReference } from './service.js';

const typeMeta = { apiVersion: z.string().optional(), kind: z.string().optional() };

const ALPHABET = /^[A-Za-z0-9+/]$/;
const isNewline = (c: string | undefined) => c === '\n' || c === '\r';

/**
 * Where Go's base64.StdEncoding.Decode fails on `s` (the byte offset it
 * reports), or undefined when `s` decodes. Newlines are skipped; padding is
 * required.
 */
export function base64Error(s: string): number | undefined {
  let si = 0;
  for (;;) {
    for (let j = 0; j < 4; j++) {
      if (si === s.length) return j === 0 ? undefined : si - j;
      const c = s[si++];
      if (ALPHABET.test(c!)) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== '=' || j < 2) return si - 1;
      if (j === 2) {
        // a second '=' must follow
        while (isNewline(s[si])) si++;
        if (si === s.length) return s.length;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      while (isNewline(s[si])) si++;
      return si < s.length ? si : undefined;
    }
  }
}

/** A base64 value of a secret's data. */
export const Base64 = z.string().superRefine((v, ctx) => {
  const at = base64Error(v);
  if (at !== undefined) ctx.addIssue({ code: 'custom', message: `illegal base64 data at input byte ${at}` });
});

/** v1 Secret; `stringData` is merged into `data` when written (see registry/core/secrets.ts). */
export const Secret = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  immutable: z.boolean().nullable().optional(),
  data: z.record(z.string(), Base64).nullable().optional(),
  stringData: z.record(z.string(), z.string()).nullable().optional(),
  type: z.string().optional(),
});
export type Secret = z.infer<typeof Secret>;

/** v1 ServiceAccount */
export const ServiceAccount = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  secrets: z.array(ObjectReference).nullable().optional(),
  imagePullSecrets: z
    .array(z.object({ name: z.string().optional() }))
    .nullable()
    .optional(),
  automountServiceAccountToken: z.boolean().nullable().optional(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;
