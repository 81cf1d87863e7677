/**
 * The checks of a write's fieldManager and force parameters (Kubernetes'
 * ValidateCreateOptions, ValidateUpdateOptions and ValidatePatchOptions):
 * a fieldManager of at most 128 bytes of printable characters, required for
 * apply; force only for apply.
 */
import type { FieldError } from '../errors.js';
import { InvalidError } from '../errors.js';

/** The longest fieldManager (Kubernetes' FieldManagerMaxLength). */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** Throws InvalidError (`PatchOptions.meta.k8s.io "" is invalid: ...`) when the options break the rules above. */
export function checkManagerOptions(kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', opts: { fieldManager?: string; force?: boolean }, apply = false): void {
  const errs: FieldError[] = [];
  const manager = opts.fieldManager ?? '';
  if (kind === 'PatchOptions' && !apply && opts.force !== undefined) {
    errs.push({ field: 'force', type: 'FieldValueForbidden', message: 'force: Forbidden: may not be specified for non-apply patch' });
  }
  if (apply && manager === '') errs.push({ field: 'fieldManager', type: 'FieldValueRequired', message: 'fieldManager: Required value: is required for apply patch' });
  if (Buffer.byteLength(manager) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({ field: 'fieldManager', type: 'FieldValueTooLong', message: `fieldManager: Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  let i = 0;
  for (const ch of manager) {
    if (!/\p{L}|\p{M}|\p{N}|\p{P}|\p{S}| /u.test(ch)) {
      const code = ch.codePointAt(0)!;
      const u = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
      errs.push({ field: 'fieldManager', type: 'FieldValueInvalid', message: `fieldManager: Invalid value: ${JSON.stringify(manager)}: invalid character ${u} (at position ${i})` });
    }
    i += Buffer.byteLength(ch);
  }
  if (errs.length > 0) throw new InvalidError(`${kind}.meta.k8s.io`, '', errs);
}
