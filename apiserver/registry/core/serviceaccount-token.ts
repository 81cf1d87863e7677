/**
 * serviceaccounts/token: a POST of an authentication.k8s.io/v1 TokenRequest
 * answered with a signed service account token (`kubectl create token`), as
 * kube-apiserver's TokenRequest API does:
 *
 * - `spec.expirationSeconds` defaults to one hour and may not be under ten
 *   minutes nor over 2^32 seconds;
 * - `spec.audiences` defaults to the API server's;
 * - `spec.boundObjectRef` binds the token to a Pod or Secret of the service
 *   account's namespace, which must exist (and have the uid given, if any):
 *   the token stops working when that object goes.
 */
import type { KubeObject } from '../../api/meta.js';
import type { BoundRef, ObjectLookup, ServiceAccountTokens } from '../../auth/serviceaccount.js';
import { BadRequestError, ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { timestamp } from '../generic.js';
import type { Action } from '../strategy.js';
import { invalidValue, notSupported } from './fielderrors.js';

/** An hour: the expiration a TokenRequest gets when it names none. */
const DEFAULT_SECONDS = 3600;
/** The shortest expiration a TokenRequest may ask for. */
const MIN_SECONDS = 600;
/** The longest. */
const MAX_SECONDS = 2 ** 32;

interface TokenRequestBody {
  kind?: string;
  spec?: {
    audiences?: string[] | null;
    expirationSeconds?: number | null;
    boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
  } | null;
}

/** The serviceaccounts/token action, issuing with `tokens` and finding bound objects with `lookup`. */
export function tokenRequest(tokens: ServiceAccountTokens, lookup: ObjectLookup): Action {
  return {
    kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
    async post(store, namespace, name, body) {
      const b = (body ?? {}) as TokenRequestBody;
      if (typeof b !== 'object' || Array.isArray(b) || (b.kind !== undefined && b.kind !== 'TokenRequest')) {
        throw new BadRequestError('the body of serviceaccounts/token must be a TokenRequest');
      }
      const sa = await store.get(namespace, name);
      const spec = b.spec ?? {};
      const seconds = spec.expirationSeconds ?? DEFAULT_SECONDS;
      const audiences = spec.audiences ?? [];
      const ref = spec.boundObjectRef ?? undefined;
      const causes = [];
      if (!Number.isInteger(seconds) || seconds < MIN_SECONDS) causes.push(invalidValue('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes'));
      else if (seconds > MAX_SECONDS) causes.push(invalidValue('spec.expirationSeconds', seconds, 'may not specify a duration larger than 2^32 seconds'));
      if (ref && ref.kind !== 'Pod' && ref.kind !== 'Secret') causes.push(notSupported('spec.boundObjectRef.kind', ref.kind ?? '', ['Pod', 'Secret']));
      if (causes.length) throw new InvalidError('TokenRequest.authentication.k8s.io', name, causes);
      const bound = ref ? await boundObject(lookup, namespace ?? '', ref as { kind: 'Pod' | 'Secret'; name?: string; uid?: string }) : undefined;
      const { token, expires } = tokens.issue(sa, { seconds, audiences, ...(bound ? { bound } : {}) });
      return {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: null },
        spec: {
          audiences: audiences.length ? audiences : [...tokens.audiences],
          expirationSeconds: seconds,
          boundObjectRef: ref ? { kind: ref.kind, apiVersion: 'v1', name: ref.name, ...(bound ? { uid: bound.uid } : {}) } : null,
        },
        status: { token, expirationTimestamp: timestamp(expires) },
      };
    },
  };
}

/** The object a token is to be bound to, with its uid; NotFound or Conflict as Kubernetes answers. */
async function boundObject(lookup: ObjectLookup, namespace: string, ref: { kind: 'Pod' | 'Secret'; name?: string; uid?: string }): Promise<BoundRef> {
  const resource = ref.kind === 'Pod' ? 'pods' : 'secrets';
  const obj: KubeObject | undefined = ref.name ? await lookup(resource, namespace, ref.name) : undefined;
  if (!obj) throw new NotFoundError(resource, ref.name ?? '');
  const uid = obj.metadata.uid ?? '';
  if (ref.uid && ref.uid !== uid) {
    throw new ConflictError(resource, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  return { kind: ref.kind, name: ref.name ?? '', uid };
}
