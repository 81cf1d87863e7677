/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * events.k8s.io/v1 Events: the conversion to and from core/v1 (both ways,
 * nothing lost), Kubernetes' validation of the newer API (as Status answers
 * with its messages), and one storage behind both APIs, as kubectl sees it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import type { KubeObject } from './api/meta.js';
import { fromCore, toCore } from './registry/events/conversion.js';
import { eventsV1, goTime } from './registry/events/events.js';

const pod = { kind: 'Pod', namespace: 'default', name: 'web-1', uid: '4b1e', apiVersion: 'v1', resourceVersion: '812' };

/** An event as client-go's events.k8s.io recorder writes it, after a repeat made it a series. */
const v1Event = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web-1.17c1d4f6c0a1b2c3', namespace: 'default' },
  eventTime: '2030-01-01T10:00:00.123456Z',
  series: { count: 3, lastObservedTime: '2030-01-01T10:05:00.500000Z' },
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-cp-1',
  action: 'Scheduling',
  reason: 'FailedScheduling',
  regarding: pod,
  related: { kind: 'Node', name: 'n1', apiVersion: 'v1' },
  note: '0/3 nodes are available',
  type: 'Warning',
  deprecatedSource: {},
  deprecatedFirstTimestamp: null,
  deprecatedLastTimestamp: null,
};

/** The same event as core/v1 shows it. */
const coreEvent = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-1.17c1d4f6c0a1b2c3', namespace: 'default' },
  involvedObject: pod,
  reason: 'FailedScheduling',
  message: '0/3 nodes are available',
  source: {},
  firstTimestamp: null,
  lastTimestamp: null,
  type: 'Warning',
  eventTime: '2030-01-01T10:00:00.123456Z',
  series: { count: 3, lastObservedTime: '2030-01-01T10:05:00.500000Z' },
  action: 'Scheduling',
  related: { kind: 'Node', name: 'n1', apiVersion: 'v1' },
  reportingComponent: 'default-scheduler',
  reportingInstance: 'default-scheduler-cp-1',
};

describe('events.k8s.io/v1: conversion to and from core/v1', () => {
  it('maps every field, both ways, losing nothing', () => {
    assert.deepEqual(toCore(structuredClone(v1Event)), coreEvent);
    assert.deepEqual(fromCore(structuredClone(coreEvent)), v1Event);
  });

  it('an old-style core/v1 event (source, first and last timestamps, count) reads with the deprecated fields', () => {
    const kubelet = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.a', namespace: 'default' },
      involvedObject: { ...pod, fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      message: 'pulled',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2030-01-01T10:00:00Z',
      lastTimestamp: '2030-01-01T10:05:00Z',
      count: 4,
      type: 'Normal',
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
    };
    const v1 = fromCore(structuredClone(kubelet));
    assert.deepEqual(v1, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: kubelet.metadata,
      eventTime: null,
      reason: 'Pulled',
      regarding: kubelet.involvedObject,
      note: 'pulled',
      type: 'Normal',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedFirstTimestamp: '2030-01-01T10:00:00Z',
      deprecatedLastTimestamp: '2030-01-01T10:05:00Z',
      deprecatedCount: 4,
    });
    assert.deepEqual(toCore(v1), kubelet);
  });

  it('defaults write the event as a read gives it back; the Table is core/v1\'s, a series\' count and last observation first', () => {
    const body = eventsV1.schema.parse({ metadata: { name: 'e' }, eventTime: '2030-01-01T10:00:00.000000Z', regarding: { kind: 'Node', name: 'n1', uid: '' } }) as KubeObject;
    eventsV1.defaults(body);
    assert.deepEqual(body, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e' },
      eventTime: '2030-01-01T10:00:00.000000Z',
      regarding: { kind: 'Node', name: 'n1' },
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    });
    const cells = eventsV1.printer.cells(structuredClone(v1Event) as KubeObject, new Date('2030-01-01T10:06:00Z'));
    assert.deepEqual(cells, ['59s', 'Warning', 'FailedScheduling', 'pod/web-1', '', 'default-scheduler, default-scheduler-cp-1', '0/3 nodes are available', '5m59s', 3, 'web-1.17c1d4f6c0a1b2c3']);
  });

  it('prints times as Go does', () => {
    assert.equal(goTime(null), '0001-01-01 00:00:00 +0000 UTC');
    assert.equal(goTime('2030-01-01T10:00:00Z'), '2030-01-01 10:00:00 +0000 UTC');
    assert.equal(goTime('2030-01-01T10:00:00.120000Z'), '2030-01-01 10:00:00.12 +0000 UTC');
    assert.equal(goTime('2030-01-01T12:00:00.5+02:00'), '2030-01-01 10:00:00.5 +0000 UTC');
  });
});

describe('events.k8s.io/v1: validation (ValidateEventCreate and ValidateEventUpdate for the newer API)', () => {
  const messages = (obj: object, old?: object) => {
    const body = eventsV1.schema.parse(obj) as KubeObject;
    eventsV1.defaults(body);
    let prev: KubeObject | undefined;
    if (old) {
      prev = eventsV1.schema.parse(old) as KubeObject;
      eventsV1.defaults(prev);
    }
    return eventsV1.validate(body, prev).map((e) => e.message);
  };
  const good = { ...v1Event, metadata: { name: 'e1', namespace: 'default' } };
  const cases: [string, object, string[]][] = [
    ['an event as the recorder writes it', good, []],
    [
      'a bare event: no eventTime, type or reporter (without an eventTime, the legacy checks ask for no reporter)',
      { metadata: { name: 'e1', namespace: 'default' } },
      ['eventTime: Required value', 'type: Invalid value: "": has invalid value: '],
    ],
    [
      'an eventTime without reporter, instance, action or reason',
      { metadata: { name: 'e1', namespace: 'default' }, eventTime: '2030-01-01T10:00:00.000000Z', type: 'Normal', regarding: pod },
      [
        'reportingController: Required value',
        'reportingController: Invalid value: "": name part must be non-empty',
        "reportingController: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'reportingInstance: Required value',
        'action: Required value',
        'reason: Required value',
      ],
    ],
    [
      'the deprecated fields set, and a series of one',
      { ...good, deprecatedSource: { component: 'kubelet' }, deprecatedFirstTimestamp: '2030-01-01T10:00:00Z', deprecatedLastTimestamp: '2030-01-01T10:00:00Z', deprecatedCount: 2, series: { count: 1 } },
      [
        'series.count: Invalid value: "": should be at least 2',
        'series.lastObservedTime: Required value',
        'firstTimestamp: Invalid value: "": needs to be unset',
        'lastTimestamp: Invalid value: "": needs to be unset',
        'count: Invalid value: "": needs to be unset',
        'source: Invalid value: "": needs to be unset',
      ],
    ],
    ['a note too long', { ...good, note: 'x'.repeat(1025) }, ['message: Invalid value: "": can have at most 1024 characters']],
    ['a type of its own', { ...good, type: 'Odd' }, ['type: Invalid value: "": has invalid value: Odd']],
  ];
  for (const [name, body, want] of cases) it(name, () => assert.deepEqual(messages(body), want));

  it('an update may change the series and metadata only; others are shown as Go prints them', () => {
    assert.deepEqual(messages({ ...good, series: { count: 9, lastObservedTime: '2030-01-01T11:00:00.000000Z' }, metadata: { ...good.metadata, labels: { a: 'b' } } }, good), []);
    assert.deepEqual(
      messages(
        { ...good, note: 'other', regarding: { kind: 'Pod', namespace: 'default', name: 'web-2' }, related: null, eventTime: '2030-01-01T10:00:01.5Z', deprecatedCount: 0, series: { count: 1, lastObservedTime: '2030-01-01T11:00:00Z' } },
        good,
      ),
      [
        'series.count: Invalid value: "": should be at least 2',
        'involvedObject: Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"default", Name:"web-2", UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable',
        'message: Invalid value: "other": field is immutable',
        'eventTime: Invalid value: 2030-01-01 10:00:01.5 +0000 UTC: field is immutable',
        'related: Invalid value: "null": field is immutable',
      ],
    );
  });
});

describe('events.k8s.io/v1 on the API server: one storage behind both APIs', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    await t?.stop();
  });
  const call = (...args: Parameters<TestApi['call']>) => t.call(...args);
  const V1 = '/apis/events.k8s.io/v1/namespaces/default/events';
  const CORE = '/api/v1/namespaces/default/events';
  const strip = (o: any) => {
    const { uid, creationTimestamp, resourceVersion, managedFields, ...meta } = o.metadata;
    assert.ok(uid && creationTimestamp && resourceVersion && managedFields);
    return { ...o, metadata: meta };
  };

  it('an Event created through either API is read, listed, selected and watched through both', async () => {
    const before = (await call('GET', CORE)).body.metadata.resourceVersion;
    const created = await call('POST', V1, v1Event);
    assert.equal(created.code, 201, JSON.stringify(created.body));
    assert.deepEqual(strip(created.body), v1Event);
    assert.deepEqual(strip((await call('GET', `${V1}/${v1Event.metadata.name}`)).body), v1Event);
    const asCore = await call('GET', `${CORE}/${v1Event.metadata.name}`);
    assert.deepEqual(strip(asCore.body), coreEvent);
    assert.equal(asCore.body.metadata.resourceVersion, created.body.metadata.resourceVersion);

    // the kubelet's kind of event, through core/v1
    const kubelet = {
      metadata: { name: 'web-1.pulled' },
      involvedObject: { ...pod, fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      message: 'Successfully pulled image "nginx:1.27"',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2030-01-01T10:00:00Z',
      lastTimestamp: '2030-01-01T10:05:00Z',
      count: 2,
      type: 'Normal',
    };
    assert.equal((await call('POST', CORE, kubelet)).code, 201);
    const asV1 = await call('GET', `${V1}/web-1.pulled`);
    assert.deepEqual(strip(asV1.body), {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web-1.pulled', namespace: 'default' },
      eventTime: null,
      reason: 'Pulled',
      regarding: kubelet.involvedObject,
      note: kubelet.message,
      type: 'Normal',
      deprecatedSource: kubelet.source,
      deprecatedFirstTimestamp: kubelet.firstTimestamp,
      deprecatedLastTimestamp: kubelet.lastTimestamp,
      deprecatedCount: 2,
    });

    const names = (r: { body: any }) => r.body.items.map((e: any) => e.metadata.name).sort();
    const list = await call('GET', V1);
    assert.equal(list.body.kind, 'EventList');
    assert.equal(list.body.apiVersion, 'events.k8s.io/v1');
    assert.deepEqual(names(list), ['web-1.17c1d4f6c0a1b2c3', 'web-1.pulled']);
    assert.deepEqual(names(await call('GET', CORE)), ['web-1.17c1d4f6c0a1b2c3', 'web-1.pulled']);
    // events.k8s.io's field selectors (Kubernetes' field label conversion for the version)
    assert.deepEqual(names(await call('GET', `${V1}?fieldSelector=reportingController%3Ddefault-scheduler`)), ['web-1.17c1d4f6c0a1b2c3']);
    assert.deepEqual(names(await call('GET', `${V1}?fieldSelector=regarding.name%3Dweb-1,source%3Dkubelet`)), ['web-1.pulled']);
    const unknown = await call('GET', `${V1}?fieldSelector=involvedObject.name%3Dweb-1`);
    assert.equal(unknown.code, 400);

    // a watch of events.k8s.io replays the core/v1 write in its own form
    const r = await fetch(`${t.base}${V1}?watch=true&resourceVersion=${before}&timeoutSeconds=1`);
    const events = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: any });
    assert.deepEqual(
      events.map((e) => [e.type, e.object.apiVersion, e.object.metadata.name, e.object.note]),
      [
        ['ADDED', 'events.k8s.io/v1', 'web-1.17c1d4f6c0a1b2c3', '0/3 nodes are available'],
        ['ADDED', 'events.k8s.io/v1', 'web-1.pulled', 'Successfully pulled image "nginx:1.27"'],
      ],
    );

    // deleted through one API, gone from the other
    assert.equal((await call('DELETE', `${V1}/web-1.pulled`)).code, 200);
    assert.equal((await call('GET', `${CORE}/web-1.pulled`)).code, 404);
    const gone = await call('GET', `${V1}/web-1.pulled`);
    assert.deepEqual([gone.code, gone.body.message, gone.body.details], [404, 'events.events.k8s.io "web-1.pulled" not found', { name: 'web-1.pulled', group: 'events.k8s.io', kind: 'events' }]);
  });

  it('refuses what Kubernetes refuses, as a Status with its messages; core/v1 still takes an old-style event', async () => {
    const bad = await call('POST', V1, { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'Web.1' }, regarding: pod, note: 'hi', deprecatedCount: 1 });
    assert.deepEqual(bad.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Event.events.k8s.io "Web.1" is invalid: [metadata.name: Invalid value: "Web.1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), eventTime: Required value, type: Invalid value: "": has invalid value: , count: Invalid value: "": needs to be unset]`,
      reason: 'Invalid',
      details: {
        name: 'Web.1',
        group: 'events.k8s.io',
        kind: 'Event',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "Web.1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
            field: 'metadata.name',
          },
          { reason: 'FieldValueRequired', message: 'Required value', field: 'eventTime' },
          { reason: 'FieldValueInvalid', message: 'Invalid value: "": has invalid value: ', field: 'type' },
          { reason: 'FieldValueInvalid', message: 'Invalid value: "": needs to be unset', field: 'count' },
        ],
      },
      code: 422,
    });
    const noReporter = await call('POST', V1, { metadata: { name: 'e2' }, eventTime: '2030-01-01T10:00:00.000000Z', type: 'Normal', reason: 'R', regarding: pod });
    assert.equal(noReporter.code, 422);
    assert.match(noReporter.body.message, /^Event\.events\.k8s\.io "e2" is invalid: \[reportingController: Required value, .*reportingInstance: Required value, action: Required value\]$/);
    // the same event without the deprecated count is what core/v1 takes without an eventTime
    assert.equal((await call('POST', CORE, { metadata: { name: 'Web.1' }, involvedObject: pod, message: 'hi' })).code, 201);

    // updates: the series may change, the note may not
    const series = await call('PATCH', `${V1}/${v1Event.metadata.name}`, { series: { count: 4, lastObservedTime: '2030-01-01T10:06:00.000000Z' } }, 'application/strategic-merge-patch+json');
    assert.equal(series.code, 200, JSON.stringify(series.body));
    assert.deepEqual((await call('GET', `${CORE}/${v1Event.metadata.name}`)).body.series, { count: 4, lastObservedTime: '2030-01-01T10:06:00.000000Z' });
    const note = await call('PATCH', `${V1}/${v1Event.metadata.name}`, { note: 'changed' }, 'application/merge-patch+json');
    assert.deepEqual([note.code, note.body.message], [422, `Event.events.k8s.io "${v1Event.metadata.name}" is invalid: message: Invalid value: "changed": field is immutable`]);
  });

  it('kubectl discovers the resource, and gets events through either API with the series count', async () => {
    const res = await t.kubectl('api-resources', '--api-group=events.k8s.io', '--no-headers');
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^events\s+ev\s+events\.k8s\.io\/v1\s+true\s+Event$/m);
    const v1 = await t.kubectl('get', 'events.v1.events.k8s.io', '-o', 'wide');
    assert.equal(v1.status, 0, v1.stderr);
    const rows = v1.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
    assert.deepEqual(rows[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    const scheduler = rows.find((r) => r.at(-1) === 'web-1.17c1d4f6c0a1b2c3')!;
    assert.deepEqual([...scheduler.slice(1, 4), ...scheduler.slice(4, 6), scheduler.at(-2)], ['Warning', 'FailedScheduling', 'pod/web-1', 'default-scheduler, default-scheduler-cp-1', '0/3 nodes are available', '4']);
    const core = await t.kubectl('get', 'events');
    assert.equal(core.status, 0, core.stderr);
    assert.match(core.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
    assert.match(core.stdout, /\s+Warning\s+FailedScheduling\s+pod\/web-1\s+0\/3 nodes are available\n/);
    const note = await t.kubectl('get', 'events.events.k8s.io', 'web-1.17c1d4f6c0a1b2c3', '-o', 'jsonpath={.note} {.series.count} {.regarding.name}');
    assert.equal(note.stdout, '0/3 nodes are available 4 web-1');
  });
});
