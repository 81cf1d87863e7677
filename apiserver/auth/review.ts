/**
 * SelfSubjectReview (authentication.k8s.io/v1): a create-only resource that
 * answers with the caller's own user, as authentication found it; what
 * `kubectl auth whoami` asks. Nothing is stored.
 */
import { BadRequestError } from '../registry/errors.js';
import type { ResourceInfo } from '../registry/strategy.js';
import type { UserInfo } from './user.js';

/** A resource that only takes a POST and answers from the request alone (the reviews of authentication.k8s.io and authorization.k8s.io). */
export interface Review {
  readonly info: ResourceInfo;
  /** The answer to a POST of `body` by `user` (to `namespace`, for a namespaced review). Throws BadRequestError for a body of another kind. */
  create(body: unknown, user: UserInfo, namespace?: string): Record<string, unknown>;
}

/** A review's body as an object of `kind`: BadRequest for anything else, or an object of another kind. */
export function reviewBody(body: unknown, kind: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError(`the body of a ${kind} must be an object`);
  const b = body as Record<string, unknown>;
  if (b.kind !== undefined && b.kind !== kind) throw new BadRequestError(`${kind} in version "v1" cannot be handled as a ${String(b.kind)}`);
  return b;
}

/** authentication.k8s.io/v1 SelfSubjectReview. */
export const selfSubjectReview: Review = {
  info: { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', singular: 'selfsubjectreview', namespaced: false },
  create(body, user) {
    reviewBody(body ?? {}, 'SelfSubjectReview'); // an empty body will do
    return {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      status: {
        userInfo: {
          username: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: [...user.groups],
          ...(user.extra ? { extra: user.extra } : {}),
        },
      },
    };
  },
};
