import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { events } from './events.js';

function created(body: object): KubeObject {
  const obj = events.schema.parse(body);
  events.defaults(obj);
  return obj;
}

const messages = (body: object) => events.validate(created(body)).map((e) => e.message);
const meta = (namespace = 'default') => ({ name: 'web-1.17c1d4f6c0a1b2c3', namespace });

describe('events: defaults', () => {
  it('writes out what Go always writes', () => {
    assert.deepEqual(created({ metadata: meta(), reason: 'Started' }), {
      metadata: meta(),
      reason: 'Started',
      involvedObject: {},
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
    });
  });
});

describe('events: validation', () => {
  const pod = { kind: 'Pod', namespace: 'default', name: 'web-1' };
  const newStyle = { eventTime: '2024-05-01T10:00:00.000000Z', reportingComponent: 'kubeling.io/scheduler', reportingInstance: 'scheduler-1', action: 'Binding', reason: 'Scheduled' };
  const cases: [string, object, string[]][] = [
    ['an old-style event about an object in its namespace', { metadata: meta(), involvedObject: pod, reason: 'Pulled' }, []],
    ['an object in another namespace', { metadata: meta('kube-system'), involvedObject: pod }, ['involvedObject.namespace: Invalid value: "default": does not match event.namespace']],
    ['a cluster-scoped object, in default', { metadata: meta(), involvedObject: { kind: 'Node', name: 'n1' } }, []],
    ['a cluster-scoped object, elsewhere', { metadata: meta('web') }, ['involvedObject.namespace: Invalid value: "": does not match event.namespace']],
    ['a new-style event with all it needs', { metadata: meta(), involvedObject: pod, ...newStyle }, []],
    [
      'a new-style event without reporter, instance, action or reason',
      { metadata: meta(), involvedObject: pod, eventTime: '2024-05-01T10:00:00.000000Z' },
      [
        'reportingController: Required value',
        'reportingController: Invalid value: "": name part must be non-empty',
        "reportingController: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'reportingInstance: Required value',
        'action: Required value',
        'reason: Required value',
      ],
    ],
    ['a note too long', { metadata: meta(), involvedObject: pod, ...newStyle, message: 'x'.repeat(1025) }, ['message: Invalid value: "": can have at most 1024 characters']],
    ['a name with a slash', { metadata: { name: 'a/b', namespace: 'default' } }, ['metadata.name: Invalid value: "a/b": may not contain \'/\'']],
    ['a name with capitals (v1 events only need a URL-safe name)', { metadata: { name: 'Web.1', namespace: 'default' } }, []],
  ];
  for (const [name, body, want] of cases) it(name, () => assert.deepEqual(messages(body), want));
});

describe('events: strategy', () => {
  it('an event as client-go records it keeps every field, and selects by its fields', () => {
    const manifest = parseYaml(`
apiVersion: v1
kind: Event
metadata: {name: web-1.17c1d4f6c0a1b2c3, namespace: default}
involvedObject: {kind: Pod, namespace: default, name: web-1, uid: 4b1e, apiVersion: v1, resourceVersion: "812", fieldPath: "spec.containers{web}"}
reason: Pulled
message: Successfully pulled image "nginx:1.27"
source: {component: kubelet, host: worker-1}
firstTimestamp: "2024-05-01T10:00:00Z"
lastTimestamp: "2024-05-01T10:05:00Z"
count: 3
type: Normal
eventTime: null
series: {count: 3, lastObservedTime: "2024-05-01T10:05:00.000000Z"}
action: Pulling
related: {kind: Node, name: worker-1}
reportingComponent: kubelet
reportingInstance: worker-1
`) as object;
    const parsed = events.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    events.defaults(parsed);
    assert.deepEqual(parsed, manifest);
    assert.deepEqual(events.validate(parsed), []);
    assert.deepEqual(events.fields(parsed), {
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'default',
      'involvedObject.name': 'web-1',
      'involvedObject.uid': '4b1e',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '812',
      'involvedObject.fieldPath': 'spec.containers{web}',
      reason: 'Pulled',
      reportingComponent: 'kubelet',
      source: 'kubelet',
      type: 'Normal',
    });
  });
});
