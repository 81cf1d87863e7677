/**
 * The access reviews of authorization.k8s.io/v1, answered as kube-apiserver
 * answers them with --authorization-mode=AlwaysAllow, which is what kubeling
 * authorizes (every authenticated user may do everything; there is no RBAC
 * yet): every access is allowed, and a user's rules are `*` on everything.
 * `kubectl auth can-i` asks SelfSubjectAccessReview (and, with --list,
 * SelfSubjectRulesReview); controllers and webhooks ask SubjectAccessReview
 * and LocalSubjectAccessReview. Nothing is stored.
 *
 * Each answer is the body sent, with its status filled in. A spec that names
 * neither or both of resourceAttributes and nonResourceAttributes, a
 * SubjectAccessReview without a user or group, a LocalSubjectAccessReview
 * whose resourceAttributes name another namespace (or none): Invalid, with
 * kube's messages; a rules review without a namespace: BadRequest. Not
 * checked: kube's "metadata must be empty".
 */
import { invalidShown, rec, str } from '../registry/core/fielderrors.js';
import { BadRequestError, InvalidError, type FieldError } from '../registry/errors.js';
import { reviewBody, type Review } from './review.js';

const GROUP = 'authorization.k8s.io';

/** A Go struct's `%#v` of NonResourceAttributes, as a field error prints it. */
function goNonResource(v: Record<string, unknown>): string {
  return `authorization.NonResourceAttributes{Path:${JSON.stringify(str(v.path))}, Verb:${JSON.stringify(str(v.verb))}}`;
}

/** kube's checks of an access review's spec: exactly one of the two attribute sets. */
function attributeErrors(spec: Record<string, unknown>): FieldError[] {
  const resource = spec.resourceAttributes;
  const nonResource = spec.nonResourceAttributes;
  const errors: FieldError[] = [];
  if (resource != null && nonResource != null) {
    errors.push(invalidShown('spec.nonResourceAttributes', goNonResource(rec(nonResource)), 'cannot be specified in combination with resourceAttributes'));
  }
  if (resource == null && nonResource == null) errors.push(invalidShown('spec.resourceAttributes', '"null"', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  return errors;
}

/** The review `b` of `kind` answered with `status`: its metadata as sent (a namespaced one's with the request's namespace), its spec. */
function answered(b: Record<string, unknown>, kind: string, spec: Record<string, unknown>, status: Record<string, unknown>, namespace?: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...rec(b.metadata), ...(namespace !== undefined ? { namespace } : {}) };
  if (!('creationTimestamp' in metadata)) metadata.creationTimestamp = null;
  return { kind, apiVersion: `${GROUP}/v1`, metadata, spec, status };
}

function review(kind: string, resource: string, namespaced: boolean, check: (spec: Record<string, unknown>, namespace: string | undefined) => FieldError[]): Review {
  return {
    info: { group: GROUP, version: 'v1', kind, resource, singular: resource.slice(0, -1), namespaced },
    create(body, _user, namespace) {
      const b = reviewBody(body, kind);
      const own = str(rec(b.metadata).namespace);
      if (namespaced && own && own !== namespace) throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
      const spec = rec(b.spec);
      const errors = check(spec, namespace);
      if (errors.length > 0) throw new InvalidError(`${kind}.${GROUP}`, str(rec(b.metadata).name), errors);
      return answered(b, kind, spec, { allowed: true }, namespaced ? namespace : undefined); // AlwaysAllow gives no reason
    },
  };
}

/** authorization.k8s.io/v1 SelfSubjectAccessReview: may the caller do this? */
export const selfSubjectAccessReview = review('SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, attributeErrors);

/** kube's checks of a SubjectAccessReview's spec: the attributes, and a user or group to ask about. */
function subjectErrors(spec: Record<string, unknown>): FieldError[] {
  const errors = attributeErrors(spec);
  if (!str(spec.user) && !(Array.isArray(spec.groups) && spec.groups.length > 0)) errors.push(invalidShown('spec.user', '""', 'at least one of user or group must be specified'));
  return errors;
}

/** authorization.k8s.io/v1 SubjectAccessReview: may this user (or these groups) do this? */
export const subjectAccessReview = review('SubjectAccessReview', 'subjectaccessreviews', false, subjectErrors);

/** authorization.k8s.io/v1 LocalSubjectAccessReview: SubjectAccessReview within the request's namespace, which resourceAttributes must name. */
export const localSubjectAccessReview = review('LocalSubjectAccessReview', 'localsubjectaccessreviews', true, (spec, namespace) => {
  const errors = subjectErrors(spec);
  const attrs = spec.resourceAttributes == null ? undefined : rec(spec.resourceAttributes);
  if (attrs && str(attrs.namespace) !== namespace) errors.push(invalidShown('spec.resourceAttributes.namespace', JSON.stringify(str(attrs.namespace)), 'must match metadata.namespace'));
  if (spec.nonResourceAttributes != null) errors.push(invalidShown('spec.nonResourceAttributes', goNonResource(rec(spec.nonResourceAttributes)), 'disallowed on this kind of request'));
  return errors;
});

/** authorization.k8s.io/v1 SelfSubjectRulesReview: what may the caller do in a namespace? AlwaysAllow's rules: everything. */
export const selfSubjectRulesReview: Review = {
  info: { group: GROUP, version: 'v1', kind: 'SelfSubjectRulesReview', resource: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', namespaced: false },
  create(body) {
    const b = reviewBody(body, 'SelfSubjectRulesReview');
    const spec = rec(b.spec);
    if (!str(spec.namespace)) throw new BadRequestError('no namespace on request');
    return answered(b, 'SelfSubjectRulesReview', spec, {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    });
  },
};

/** The access reviews, as the HTTP layer serves them. */
export const ACCESS_REVIEWS: readonly Review[] = [selfSubjectAccessReview, selfSubjectRulesReview, subjectAccessReview, localSubjectAccessReview];
