/**
 * Who made a request: what authentication finds (Kubernetes' user.Info).
 */

/** An authenticated user, as Kubernetes' user.Info. */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  /** Every authenticated user is also in `system:authenticated`. */
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The group every authenticated user belongs to. */
export const AUTHENTICATED = 'system:authenticated';

/**
 * The user of a server that authenticates nobody (no authenticator given:
 * tests, or the plain-HTTP --insecure-port), as kube-apiserver's insecure
 * port had it: everything is allowed.
 */
export const UNSECURED: UserInfo = { username: 'system:unsecured', groups: ['system:masters', AUTHENTICATED] };

/** `groups` with `system:authenticated` added once, as kube-apiserver's authenticators do. */
export function withAuthenticated(groups: readonly string[]): string[] {
  return groups.includes(AUTHENTICATED) ? [...groups] : [...groups, AUTHENTICATED];
}
