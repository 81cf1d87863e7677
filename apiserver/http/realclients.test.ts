/**
 * What the real clients (test/kubectl.test.ts, test/clients.test.ts) showed
 * the HTTP layer lacking: OpenAPI v2 in gnostic's protobuf for kubectl 1.27,
 * the patch merge keys kubectl apply computes its patches from, and boolean
 * query parameters as Python's client writes them (`watch=True`).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import { GenericStore } from '../registry/generic.js';
import { STRATEGIES } from '../server.js';
import type { StoreClient } from '../storage/interface.js';
import { document } from './openapi.js';
import { swagger, swaggerProtobuf } from './openapiv2.js';
import { queryBool } from './watch.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents read loosely

/** The stores (never started: the documents need only their strategies). */
const stores = STRATEGIES.map((s) => new GenericStore({} as StoreClient, s));
const apps = stores.filter((s) => s.apiVersion === 'apps/v1');

describe('OpenAPI for real clients', () => {
  it('v3 marks the lists strategic merge patch merges, with their keys', () => {
    const schemas = (document('apps/v1', apps) as Json).components.schemas;
    const spec = schemas['io.k8s.api.apps.v1.Deployment'].properties.spec.properties.template.properties.spec.properties;
    assert.equal(spec.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(spec.containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(spec.containers.items.properties.ports['x-kubernetes-patch-merge-key'], 'containerPort');
    const meta = schemas['io.k8s.api.apps.v1.Deployment'].properties.metadata.properties;
    assert.equal(meta.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
    assert.equal(meta.finalizers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(meta.finalizers['x-kubernetes-patch-merge-key'], undefined);
    assert.equal(spec.nodeSelector['x-kubernetes-patch-strategy'], undefined);
  });

  it('v2 is v3 in Swagger 2.0 terms, and its protobuf form decodes as gnostic\'s Document', () => {
    const doc = swagger(stores) as Json;
    assert.equal(doc.swagger, '2.0');
    const deploy = doc.definitions['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deploy['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const container = deploy.properties.spec.properties.template.properties.spec.properties.containers;
    assert.equal(container['x-kubernetes-patch-merge-key'], 'name');
    // IntOrString as Kubernetes publishes it; no v3-only keywords left
    assert.deepEqual(container.items.properties.ports.items.properties.containerPort, { type: 'integer' });
    assert.deepEqual(container.items.properties.livenessProbe.properties.httpGet.properties.port, { type: 'string', format: 'int-or-string' });
    assert.doesNotMatch(JSON.stringify(doc), /"nullable"|"anyOf"|#\/components\//);
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
    assert.deepEqual(patch.parameters[0], { name: 'body', in: 'body', required: true, schema: { type: 'object' } });

    const root = new protobuf.Root().loadSync(fileURLToPath(new URL('./proto/openapiv2.proto', import.meta.url)), { keepCase: true });
    const decoded = root.lookupType('openapi.v2.Document').toObject(root.lookupType('openapi.v2.Document').decode(swaggerProtobuf(doc))) as Json;
    assert.equal(decoded.swagger, '2.0');
    const named = decoded.definitions.additional_properties.find((d: Json) => d.name === 'io.k8s.api.apps.v1.Deployment');
    const gvk = named.value.vendor_extension.find((e: Json) => e.name === 'x-kubernetes-group-version-kind');
    assert.deepEqual(parseYaml(gvk.value.yaml), [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    assert.deepEqual(named.value.type.value, ['object']);
    const path = decoded.paths.path.find((p: Json) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
    const params = path.value.patch.parameters.map((p: Json) => p.parameter.non_body_parameter?.query_parameter_sub_schema?.name).filter(Boolean);
    assert.ok(params.includes('fieldValidation'));
    const opGvk = path.value.patch.vendor_extension.find((e: Json) => e.name === 'x-kubernetes-group-version-kind');
    assert.deepEqual(parseYaml(opGvk.value.yaml), { group: 'apps', kind: 'Deployment', version: 'v1' });
  });
});

describe('boolean query parameters', () => {
  it('are false only when unset, 0 or false in any case (as Kubernetes converts them)', () => {
    for (const v of ['true', 'True', 'TRUE', '1', 't', '']) assert.equal(queryBool(v), true, v);
    for (const v of [undefined, '0', 'false', 'False', 'FALSE']) assert.equal(queryBool(v), false, String(v));
  });
});
