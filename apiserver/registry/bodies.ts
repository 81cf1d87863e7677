/**
 * Request bodies as the registry reads them: a Scale's, the fields a kind's
 * schema dropped (for fieldValidation), nulls left out, and the parts of an
 * object that count for its generation or belong in a list.
 */
import { invalid, type KubeObject } from '../api/meta.js';
import { BadRequestError, InvalidError } from './errors.js';

/** A Scale body: its replicas a non-negative integer, its name the URL's. */
export function parseScale(raw: unknown, name: string): KubeObject {
  const s = raw as { kind?: unknown; metadata?: { name?: unknown; resourceVersion?: unknown }; spec?: { replicas?: unknown } } | null;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new BadRequestError('the body of the request must be a JSON object');
  if (s.kind !== undefined && s.kind !== 'Scale') throw new BadRequestError(`the kind of the object (${String(s.kind)}) does not match the kind of the URL (Scale)`);
  const replicas = s.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw new BadRequestError('error decoding the Scale: spec.replicas: expected an integer');
  if (replicas < 0) throw new InvalidError('Scale.autoscaling', name, [invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  const rv = s.metadata?.resourceVersion;
  if (s.metadata?.name !== undefined && s.metadata.name !== name) throw new BadRequestError(`the name of the object (${String(s.metadata.name)}) does not match the name on the URL (${name})`);
  return { metadata: { name, ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) }, spec: { replicas } };
}

/** The parts of an object that count for its generation: all but metadata, status, apiVersion and kind. */
export function withoutMeta(o: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...o };
  delete rest.metadata;
  delete rest.status;
  delete rest.apiVersion;
  delete rest.kind;
  return rest;
}

/** The paths of fields in `given` that `parsed` (the schema's output) dropped: `spec.containers[0].imagee`. */
export function unknownFields(given: unknown, parsed: unknown, path: string): string[] {
  if (Array.isArray(given) && Array.isArray(parsed)) return given.flatMap((g, i) => unknownFields(g, parsed[i], `${path}[${i}]`));
  if (given === null || typeof given !== 'object' || Array.isArray(given) || parsed === null || typeof parsed !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(given)) {
    const p = path ? `${path}.${k}` : k;
    if (!Object.hasOwn(parsed, k)) out.push(p);
    else out.push(...unknownFields(v, (parsed as Record<string, unknown>)[k], p));
  }
  return out;
}

/**
 * `v` without the null fields of its objects, at any depth (list elements
 * stay), but inside the top-level fields `raw` names, which are kept as
 * given (a runtime.RawExtension's bytes: a ControllerRevision's `data`).
 */
export function dropNulls(v: unknown, raw: readonly string[] = []): unknown {
  if (Array.isArray(v)) return v.map((x) => dropNulls(x));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = raw.includes(k) ? x : dropNulls(x);
  return out;
}

/** A listed object without apiVersion and kind (as list items are), leaving `o` as it is. */
export function withoutType(o: KubeObject): KubeObject {
  const copy = { ...o };
  delete copy.apiVersion;
  delete copy.kind;
  return copy;
}
