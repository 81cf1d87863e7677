/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The access reviews of authorization.k8s.io/v1 through a real API server
 * over HTTPS and the real kubectl (`auth can-i`, which sends protobuf):
 * answered as kube-apiserver answers them with AlwaysAllow authorization.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';

describe('authorization.k8s.io/v1 access reviews (AlwaysAllow)', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start({ tls: true });
  });
  after(() => t?.stop());

  it('kubectl auth can-i answers yes, for resources, subresources and non-resource URLs', async () => {
    for (const args of [['create', 'pods'], ['delete', 'deployments.apps', '-n', 'kube-system'], ['get', 'pods', '--subresource=log'], ['get', '/logs'], ['*', '*', '--all-namespaces']]) {
      const r = await t.kubectl('auth', 'can-i', ...args);
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'yes\n', ''], args.join(' '));
    }
  });

  it('kubectl auth can-i --list shows the rules: everything', async () => {
    const r = await t.kubectl('auth', 'can-i', '--list', '-n', 'default');
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['Resources', 'Non-Resource', 'URLs', 'Resource', 'Names', 'Verbs']);
    assert.deepEqual(rows.slice(1), [['*.*', '[]', '[]', '[*]'], ['[*]', '[]', '[*]']]);
  });

  it('answers each review with its body and an allowed status, and checks its spec as kube does', async () => {
    const ssar = await t.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'x' } } });
    assert.equal(ssar.code, 201);
    assert.deepEqual(ssar.body, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'x' } }, status: { allowed: true } });

    const neither = await t.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { kind: 'SelfSubjectAccessReview', spec: {} });
    assert.deepEqual([neither.code, neither.body.message], [422, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified']);
    const both = await t.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: {}, nonResourceAttributes: { path: '/x', verb: 'get' } } });
    assert.equal(both.body.message, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes');

    const sar = await t.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { kind: 'SubjectAccessReview', spec: { user: 'jane', groups: ['dev'], nonResourceAttributes: { path: '/healthz', verb: 'get' } } });
    assert.deepEqual([sar.code, sar.body.status], [201, { allowed: true }]);
    const nobody = await t.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { kind: 'SubjectAccessReview', spec: { resourceAttributes: { verb: 'get' } } });
    assert.equal(nobody.body.message, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified');

    const local = await t.call('POST', '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews', { kind: 'LocalSubjectAccessReview', spec: { user: 'jane', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'team' } } });
    assert.deepEqual([local.code, local.body.metadata, local.body.status], [201, { namespace: 'team', creationTimestamp: null }, { allowed: true }]);
    const unnamed = await t.call('POST', '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews', { kind: 'LocalSubjectAccessReview', spec: { user: 'jane', resourceAttributes: { verb: 'get' } } });
    assert.equal(unnamed.body.message, 'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "": must match metadata.namespace');
    const moved = await t.call('POST', '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews', { kind: 'LocalSubjectAccessReview', metadata: { namespace: 'other' }, spec: { user: 'jane', resourceAttributes: { verb: 'get', namespace: 'team' } } });
    assert.deepEqual([moved.code, moved.body.message], [400, 'the namespace of the provided object does not match the namespace sent on the request']);
    const elsewhere = await t.call('POST', '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews', { kind: 'LocalSubjectAccessReview', spec: { user: 'jane', resourceAttributes: { verb: 'get', namespace: 'other' } } });
    assert.equal(elsewhere.body.message, 'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace');

    const rules = await t.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { kind: 'SelfSubjectRulesReview', spec: {} });
    assert.deepEqual([rules.code, rules.body.message], [400, 'no namespace on request']);
  });

  it('discovery lists the reviews, create only', async () => {
    const r = await t.call('GET', '/apis/authorization.k8s.io/v1');
    assert.deepEqual(
      r.body.resources.map((x: any) => [x.name, x.namespaced, x.kind, x.verbs]),
      [
        ['selfsubjectaccessreviews', false, 'SelfSubjectAccessReview', ['create']],
        ['selfsubjectrulesreviews', false, 'SelfSubjectRulesReview', ['create']],
        ['subjectaccessreviews', false, 'SubjectAccessReview', ['create']],
        ['localsubjectaccessreviews', true, 'LocalSubjectAccessReview', ['create']],
      ],
    );
  });
});
