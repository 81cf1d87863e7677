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

/** authentication.k8s.io/v1 SelfSubjectReview. */
export const selfSubjectReview: Review = {
  info: { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', singular: 'selfsubjectreview', namespaced: false },
  create(body, user) {
    const b = (body ?? {}) as { apiVersion?: unknown; kind?: unknown };
    if (typeof b !== 'object' || Array.isArray(b)) throw new BadRequestError('the body of a SelfSubjectReview must be an object');
    if (b.kind !== undefined && b.kind !== 'SelfSubjectReview') throw new BadRequestError(`SelfSubjectReview in version "v1" cannot be handled as a ${String(b.kind)}`);
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
