/**
 * The columns of the smaller kinds: secrets, serviceaccounts, events
 * (core/v1), leases and priorityclasses. Counts are integers in the cells
 * as Kubernetes sends them, even where its column says string.
 */
import type { z } from 'zod';
import type { Event } from '../../api/core/event.js';
import type { Secret, ServiceAccount } from '../../api/core/secret.js';
import type { Lease } from '../../api/coordination/v1.js';
import type { KubeObject } from '../../api/meta.js';
import type { PriorityClass } from '../../api/scheduling/v1.js';
import { AGE, NAME, age, column, type Printer } from '../printer.js';

/** secrets: Name, Type, Data (the number of keys), Age. */
export const secretPrinter: Printer = {
  columns: [NAME, column('Type', 'string', 'The type of the secret.'), column('Data', 'string', 'The number of keys in data.'), AGE],
  cells(obj: KubeObject, now: Date): unknown[] {
    const s = obj as unknown as Secret;
    // stringData, if a stored secret had any, counts as data: Kubernetes merges it in on decoding
    const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
    return [s.metadata.name ?? '', s.type ?? '', keys.size, age(s.metadata.creationTimestamp, now)];
  },
};

/** serviceaccounts: Name, Secrets (how many it lists), Age. */
export const serviceAccountPrinter: Printer = {
  columns: [NAME, column('Secrets', 'string', 'The number of secrets the service account lists.'), AGE],
  cells(obj: KubeObject, now: Date): unknown[] {
    const sa = obj as unknown as ServiceAccount;
    return [sa.metadata.name ?? '', (sa.secrets ?? []).length, age(sa.metadata.creationTimestamp, now)];
  },
};

/** Who reported an event: the source component (or reporting controller), then `, host` (or reporting instance) when known. */
function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/**
 * events: Last Seen, Type, Reason, Object, Message; wide: Subobject and
 * Source (before Message), First Seen, Count, Name (after it). A series'
 * last observation and count stand for the event's own.
 */
export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'How long ago the event was last seen.'),
    column('Type', 'string', 'Normal or Warning.'),
    column('Reason', 'string', 'Why the event happened, in one word.'),
    column('Object', 'string', 'The object the event is about, as kind/name.'),
    column('Subobject', 'string', 'The part of the object the event is about (a field path).', 1),
    column('Source', 'string', 'The component that reported the event.', 1),
    column('Message', 'string', 'What happened, for a person to read.'),
    column('First Seen', 'string', 'How long ago the event was first seen.', 1),
    column('Count', 'string', 'How many times the event happened.', 1),
    { ...NAME, priority: 1 },
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ev = obj as unknown as Event;
    const first = ev.firstTimestamp ? age(ev.firstTimestamp, now) : age(ev.eventTime, now);
    let last = ev.lastTimestamp ? age(ev.lastTimestamp, now) : first;
    let count = ev.count ?? 0;
    if (ev.series) {
      last = age(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      // an event of the events.k8s.io API seen once has no count
      count = 1;
    }
    const involved = ev.involvedObject ?? {};
    const kind = (involved.kind ?? '').toLowerCase();
    return [
      last,
      ev.type ?? '',
      ev.reason ?? '',
      involved.name ? `${kind}/${involved.name}` : kind,
      involved.fieldPath ?? '',
      eventSource(ev),
      (ev.message ?? '').trim(),
      first,
      count,
      ev.metadata.name ?? '',
    ];
  },
};

/** leases: Name, Holder (the holder identity, empty when none), Age. */
export const leasePrinter: Printer = {
  columns: [NAME, column('Holder', 'string', 'The identity of the holder of the lease.'), AGE],
  cells(obj: KubeObject, now: Date): unknown[] {
    const lease = obj as unknown as z.infer<typeof Lease>;
    return [lease.metadata.name ?? '', lease.spec?.holderIdentity ?? '', age(lease.metadata.creationTimestamp, now)];
  },
};

/** priorityclasses: Name, Value, Global-Default, Age, PreemptionPolicy (all shown without `-o wide`, as v1.32's server fills them). */
export const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    column('Value', 'integer', 'The priority pods of this class get.'),
    column('Global-Default', 'boolean', 'Whether pods without a priority class get this one.'),
    AGE,
    column('PreemptionPolicy', 'string', 'Whether pods of this class may preempt lower-priority pods.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const pc = obj as unknown as PriorityClass;
    return [pc.metadata.name ?? '', pc.value ?? 0, pc.globalDefault ?? false, age(pc.metadata.creationTimestamp, now), pc.preemptionPolicy ?? ''];
  },
};
