/**
 * OpenAPI v3, generated from the registry: `/openapi/v3` lists one document
 * per group version, and each document has every kind's schema (from its zod
 * schema) and its paths. kubectl reads them to learn that the server
 * validates fields itself (the PATCH operations' `fieldValidation`
 * parameter), and `kubectl explain` reads the schemas.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { GenericStore } from '../registry/generic.js';
import type { MergeKeys } from '../registry/patch.js';
import type { ResourceInfo } from '../registry/strategy.js';

type Json = Record<string, unknown>;

/** `io.k8s.api.core.v1.ConfigMap`, `io.k8s.api.apps.v1.Deployment`: the schema names Kubernetes uses. */
export function schemaName(info: ResourceInfo): string {
  return `io.k8s.api.${info.group === '' ? 'core' : info.group.split('.')[0]}.${info.version}.${info.kind}`;
}

/** The URL path of a group version: `api/v1` or `apis/apps/v1`. */
export function gvPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`;
}

const param = (name: string, where: 'query' | 'path', description: string): Json => ({
  name,
  in: where,
  description,
  ...(where === 'path' ? { required: true } : {}),
  schema: { type: 'string', uniqueItems: true },
});
const DRY_RUN = param('dryRun', 'query', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = param('fieldManager', 'query', 'a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = param('fieldValidation', 'query', 'instructs the server on how to handle objects in the request with unknown or duplicate fields: Ignore, Warn or Strict.');

/** The merge keys every kind's ObjectMeta has (generic.ts's META_MERGE_KEYS, which its strategic merge patch uses). */
const META_MERGE_KEYS: MergeKeys = { 'metadata.finalizers': '', 'metadata.ownerReferences': 'uid' };

/**
 * Marks the lists strategic merge patch merges (`x-kubernetes-patch-strategy:
 * merge`, with `x-kubernetes-patch-merge-key` unless a set of primitives), as
 * Kubernetes publishes its types' patch tags: kubectl apply computes its
 * patches from them, and without them replaces a whole list (a container's
 * defaulted fields then make every re-apply a change).
 */
function markMergeKeys(schema: Json, path: string, keys: MergeKeys): void {
  if (schema.type === 'array' && Object.hasOwn(keys, path)) {
    schema['x-kubernetes-patch-strategy'] = 'merge';
    if (keys[path]) schema['x-kubernetes-patch-merge-key'] = keys[path];
  }
  const items = schema.items;
  if (typeof items === 'object' && items !== null && !Array.isArray(items)) markMergeKeys(items as Json, `${path}[]`, keys);
  const props = schema.properties;
  if (typeof props !== 'object' || props === null) return;
  for (const [name, p] of Object.entries(props as Json)) {
    if (typeof p === 'object' && p !== null && !Array.isArray(p)) markMergeKeys(p as Json, path ? `${path}.${name}` : name, keys);
  }
}

/** One group version's document. */
export function document(apiVersion: string, stores: readonly GenericStore[]): Json {
  const schemas: Json = {};
  const paths: Json = {};
  for (const s of stores) {
    const info = s.strategy.info;
    const name = schemaName(info);
    const gvk = { group: info.group, kind: info.kind, version: info.version };
    const schema = z.toJSONSchema(s.strategy.schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Json;
    markMergeKeys(schema, '', { ...META_MERGE_KEYS, ...s.strategy.mergeKeys });
    schemas[name] = { ...schema, 'x-kubernetes-group-version-kind': [gvk] };
    schemas[`${name}List`] = {
      type: 'object',
      required: ['items'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, items: { type: 'array', items: { $ref: `#/components/schemas/${name}` } } },
      'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${info.kind}List` }],
    };
    const ref = { $ref: `#/components/schemas/${name}` };
    const body = { content: { 'application/json': { schema: ref } }, required: true };
    const ok = (schema: Json): Json => ({ '200': { description: 'OK', content: { 'application/json': { schema } } } });
    const op = (action: string, extra: Json): Json => ({ operationId: `${action}${info.kind}`, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, ...extra });
    const base = `/${gvPath(apiVersion)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.resource}`;
    const scope = info.namespaced ? [param('namespace', 'path', 'object name and auth scope, such as for teams and projects')] : [];
    paths[base] = {
      parameters: scope,
      get: op('list', { responses: ok({ $ref: `#/components/schemas/${name}List` }) }),
      post: op('post', { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], requestBody: body, responses: ok(ref) }),
    };
    paths[`${base}/{name}`] = {
      parameters: [param('name', 'path', `name of the ${info.kind}`), ...scope],
      get: op('get', { responses: ok(ref) }),
      put: op('put', { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], requestBody: body, responses: ok(ref) }),
      patch: op('patch', {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, param('force', 'query', 'Force is going to "force" Apply requests.')],
        requestBody: {
          content: Object.fromEntries(
            ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'].map((t) => [t, { schema: { type: 'object' } }]),
          ),
          required: true,
        },
        responses: ok(ref),
      }),
      delete: op('delete', { parameters: [DRY_RUN], responses: ok({ type: 'object' }) }),
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

/** The documents of every group version, with their hashes (computed once: the kinds do not change while serving). */
export function openapiV3(stores: readonly GenericStore[]): { root: Json; docs: Map<string, { body: string; hash: string }> } {
  const byGv = new Map<string, GenericStore[]>();
  for (const s of stores) byGv.set(s.apiVersion, [...(byGv.get(s.apiVersion) ?? []), s]);
  const docs = new Map<string, { body: string; hash: string }>();
  const paths: Json = {};
  for (const [gv, list] of byGv) {
    const body = JSON.stringify(document(gv, list));
    const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
    docs.set(gvPath(gv), { body, hash });
    paths[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${hash}` };
  }
  return { root: { paths }, docs };
}
