/**
 * Service account tokens, as kube-apiserver issues and checks them: JWTs
 * signed RS256 with the cluster's sa.key (--service-account-signing-key-file)
 * and verified with sa.pub (--service-account-key-file).
 *
 * A token names its issuer (--service-account-issuer), its audiences, when it
 * was issued and when it expires, and in the `kubernetes.io` claim the
 * service account (and the pod or secret it is bound to, if any) with their
 * uids. It authenticates as `system:serviceaccount:<namespace>:<name>`, in
 * the groups `system:serviceaccounts` and `system:serviceaccounts:<namespace>`,
 * while its signature, issuer, audience and times check out and the objects
 * it names still exist with the same uids (a token dies with its service
 * account, or with the pod it was bound to).
 */
import { createHash, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../api/meta.js';
import { bearerToken } from './authenticate.js';
import { AUTHENTICATED, type UserInfo } from './user.js';

/** kube-apiserver's issuer when none is configured for a local cluster. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** How far a token's times may be off (Kubernetes allows a minute of clock skew). */
const LEEWAY_SECONDS = 60;

/** A reference to an object a token is bound to. */
export interface BoundRef {
  readonly kind: 'Pod' | 'Secret';
  readonly name: string;
  readonly uid: string;
}

/** The `kubernetes.io` claim. */
interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
}

/** A token's claims (RFC 7519 names). */
export interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': KubernetesClaim;
}

/** Finds an object by resource (`serviceaccounts`, `pods`, `secrets`), namespace and name; undefined when it does not exist. */
export type ObjectLookup = (resource: string, namespace: string, name: string) => Promise<KubeObject | undefined>;

/** Signs and checks service account tokens; see the file comment. */
export class ServiceAccountTokens {
  readonly #signingKey: KeyObject | undefined;
  readonly #verifyKeys: readonly KeyObject[];
  readonly #kid: string | undefined;

  constructor(
    keys: { readonly signingKey?: KeyObject; readonly verifyKeys?: readonly KeyObject[] },
    /** The `iss` of the tokens issued here, and the one accepted. */
    readonly issuer: string = DEFAULT_ISSUER,
    /** The audiences a token must name one of (--api-audiences; default the issuer). */
    readonly audiences: readonly string[] = [issuer],
    private readonly now: () => number = () => Date.now(),
  ) {
    this.#signingKey = keys.signingKey;
    const pub = keys.signingKey ? [createPublicKey(keys.signingKey)] : [];
    this.#verifyKeys = [...(keys.verifyKeys ?? []), ...pub];
    // the key id Kubernetes puts in the header: the SHA-256 of the public key's DER, base64url
    this.#kid = pub[0] && createHash('sha256').update(pub[0].export({ type: 'spki', format: 'der' })).digest('base64url');
  }

  /** Whether tokens can be issued (a signing key was given). */
  get canIssue(): boolean {
    return this.#signingKey !== undefined;
  }

  /** A token for `sa`, valid for `seconds`, for `audiences` (default the API server's), optionally bound to an object. */
  issue(sa: KubeObject, o: { seconds: number; audiences?: readonly string[]; bound?: BoundRef }): { token: string; expires: Date } {
    if (!this.#signingKey) throw new Error('no service account signing key');
    const iat = Math.floor(this.now() / 1000);
    const namespace = sa.metadata.namespace ?? '';
    const claim: KubernetesClaim = { namespace, serviceaccount: { name: sa.metadata.name ?? '', uid: sa.metadata.uid ?? '' } };
    if (o.bound) claim[o.bound.kind === 'Pod' ? 'pod' : 'secret'] = { name: o.bound.name, uid: o.bound.uid };
    const claims: Claims = {
      aud: [...(o.audiences?.length ? o.audiences : this.audiences)],
      exp: iat + o.seconds,
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': claim,
      nbf: iat,
      sub: `system:serviceaccount:${namespace}:${claim.serviceaccount.name}`,
    };
    const head = b64json({ alg: 'RS256', kid: this.#kid });
    const body = b64json(claims);
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), this.#signingKey).toString('base64url');
    return { token: `${head}.${body}.${sig}`, expires: new Date(claims.exp * 1000) };
  }

  /** The claims of a token signed by one of the keys, from this issuer, for one of the audiences, within its times; else undefined. */
  check(token: string): Claims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [head, body, sig] = parts as [string, string, string];
    const header = parseB64json(head) as { alg?: unknown } | undefined;
    if (header?.alg !== 'RS256') return undefined;
    const signed = Buffer.from(`${head}.${body}`);
    const signature = Buffer.from(sig, 'base64url');
    if (!this.#verifyKeys.some((k) => verify('sha256', signed, k, signature))) return undefined;
    const c = parseB64json(body) as Partial<Claims> | undefined;
    if (!c || c.iss !== this.issuer || typeof c.sub !== 'string') return undefined;
    const aud = typeof c.aud === 'string' ? [c.aud] : c.aud;
    if (!Array.isArray(aud) || !aud.some((a) => this.audiences.includes(a))) return undefined;
    const t = Math.floor(this.now() / 1000);
    if (typeof c.exp !== 'number' || t > c.exp + LEEWAY_SECONDS) return undefined;
    if (typeof c.nbf === 'number' && t < c.nbf - LEEWAY_SECONDS) return undefined;
    const k = c['kubernetes.io'];
    if (!k || typeof k.namespace !== 'string' || typeof k.serviceaccount?.name !== 'string') return undefined;
    return c as Claims;
  }

  /** The authenticator of bearer tokens issued here: the user of a valid token whose objects still exist. */
  authenticator(lookup: ObjectLookup): (req: IncomingMessage) => Promise<UserInfo | undefined> {
    return async (req) => {
      const token = bearerToken(req);
      const c = token === undefined ? undefined : this.check(token);
      if (!c) return undefined;
      const k = c['kubernetes.io'];
      const alive = async (resource: string, ref: { name: string; uid: string } | undefined): Promise<boolean> =>
        !ref || (await lookup(resource, k.namespace, ref.name))?.metadata.uid === ref.uid;
      if (!(await alive('serviceaccounts', k.serviceaccount)) || !(await alive('pods', k.pod)) || !(await alive('secrets', k.secret))) return undefined;
      return {
        username: c.sub,
        uid: k.serviceaccount.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, AUTHENTICATED],
        extra: {
          'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`],
          ...(k.pod ? { 'authentication.kubernetes.io/pod-name': [k.pod.name], 'authentication.kubernetes.io/pod-uid': [k.pod.uid] } : {}),
        },
      };
    };
  }
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function parseB64json(s: string): unknown {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
