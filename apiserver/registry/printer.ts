/**
 * Server-side printing (Kubernetes' TableConvertor): the columns `kubectl
 * get` shows for a kind, and the cells of one object. A kind's printer sits
 * in its strategy; kinds without one get Kubernetes' default (Name, Created
 * At). The HTTP layer builds the meta.k8s.io Table from these.
 */
import type { KubeObject } from '../api/meta.js';

/** One column of a Table (metav1.TableColumnDefinition). */
export interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: string;
  readonly description: string;
  /** 0: always shown; 1 and more: only with `-o wide`. */
  readonly priority: number;
}

/** A kind's columns and how to fill them. */
export interface Printer {
  readonly columns: readonly Column[];
  /** The cells of one object, one per column; `now` is the time ages are measured to. */
  cells(obj: KubeObject, now: Date): unknown[];
}

/** The Name column every printer starts with. */
export const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
/** The Age column (a duration as kubectl shows it, computed by the server). */
export const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 };

/** A column of `type` (priority 0 unless given). */
export function column(name: string, type: Column['type'], description: string, priority = 0): Column {
  return { name, type, description, priority };
}

/** Kubernetes' default printer: the name and the creation time. */
export const DEFAULT_PRINTER: Printer = {
  columns: [NAME, { name: 'Created At', type: 'date', description: AGE.description, priority: 0 }],
  cells: (obj) => [obj.metadata.name ?? '', obj.metadata.creationTimestamp ?? ''],
};

/** The age of a timestamp at `now`, as kubectl prints ages: `45s`, `3m20s`, `5h`, `12d`, `2y3d`; `<unknown>` when unset. */
export function age(ts: string | null | undefined, now: Date): string {
  if (!ts) return '<unknown>';
  return humanDuration(now.getTime() - Date.parse(ts));
}

/** A duration in milliseconds, rounded down to the unit pair that reads best (Kubernetes' HumanDuration thresholds). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000); // towards zero, as Go truncates durations
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
