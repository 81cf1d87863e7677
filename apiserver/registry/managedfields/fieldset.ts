/**
 * Sets of field paths, as structured-merge-diff keeps them and as
 * `metadata.managedFields[*].fieldsV1` serializes them.
 *
 * A path is a list of path elements, each in its fieldsV1 form:
 * - `f:<name>`: a field of an object (`f:metadata`, `f:app`);
 * - `k:<json>`: an element of a list keyed by merge keys, the JSON object of
 *   its keys with the keys sorted (`k:{"name":"nginx"}`);
 * - `v:<json>`: a member of a set of primitives (`v:"kubernetes"`);
 * - `i:<n>`: an element by index (read from clients, never produced here).
 *
 * A set is a tree: each node has members (paths that end there) and
 * children (paths that go on). In fieldsV1, a member with children is
 * written with a `.` key: `{"f:labels":{".":{},"f:app":{}}}`.
 */

/** One element of a path, in its fieldsV1 form (see the file comment). */
export type PathElement = string;

/** A path: the elements from the object's root. */
export type Path = readonly PathElement[];

/** The JSON tree of `fieldsV1`. */
export interface FieldsV1 {
  [element: string]: FieldsV1;
}

const ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Orders path elements as structured-merge-diff does: field names, then keys, values and indexes, each by its text. */
export function compareElements(a: PathElement, b: PathElement): number {
  const d = (ORDER[a[0]!] ?? 9) - (ORDER[b[0]!] ?? 9);
  if (d !== 0) return d;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A set of paths; see the file comment. Mutable: the operations that return a set return a new one. */
export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  /** A set of the given paths. */
  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds `path` (an empty path is no member: the root is never one). */
  insert(path: Path): this {
    if (path.length === 0) return this;
    const node = path.slice(0, -1).reduce<FieldSet>((n, pe) => n.child(pe), this);
    node.members.add(path.at(-1)!);
    return this;
  }

  /** The child node of `pe`, created when missing. */
  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  /** Whether `path` is a member. */
  has(path: Path): boolean {
    if (path.length === 0) return false;
    const node = path.slice(0, -1).reduce<FieldSet | undefined>((n, pe) => n?.children.get(pe), this);
    return node?.members.has(path.at(-1)!) ?? false;
  }

  /** Whether the set has no member at any depth. */
  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** The members of both. */
  union(other: FieldSet): FieldSet {
    const out = this.clone();
    for (const m of other.members) out.members.add(m);
    for (const [pe, c] of other.children) out.children.set(pe, (out.children.get(pe) ?? new FieldSet()).union(c));
    return out;
  }

  /** The members of this set that `other` does not have (a member's children stay unless `other` has them). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      const d = o ? c.difference(o) : c.clone();
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  /** The members both have. */
  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.empty()) out.children.set(pe, i);
    }
    return out;
  }

  /** This set without the paths under `prefix` (and `prefix` itself). */
  without(prefix: Path): FieldSet {
    const out = this.clone();
    if (prefix.length === 0) return new FieldSet();
    let node: FieldSet | undefined = out;
    for (const pe of prefix.slice(0, -1)) node = node?.children.get(pe);
    node?.members.delete(prefix.at(-1)!);
    node?.children.delete(prefix.at(-1)!);
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.clone());
    return out;
  }

  /** Every member path, in structured-merge-diff's order (a member before its children). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    const elements = [...new Set([...this.members, ...this.children.keys()])].sort(compareElements);
    for (const pe of elements) {
      const p = [...prefix, pe];
      if (this.members.has(pe)) out.push(p);
      const c = this.children.get(pe);
      if (c) out.push(...c.paths(p));
    }
    return out;
  }

  /** The set as fieldsV1 (elements in order, `.` first where a member has children). */
  toJSON(): FieldsV1 {
    const out: FieldsV1 = {};
    const elements = [...new Set([...this.members, ...this.children.keys()])].sort(compareElements);
    for (const pe of elements) {
      const c = this.children.get(pe);
      const sub = c && !c.empty() ? c.toJSON() : undefined;
      if (sub === undefined) {
        if (this.members.has(pe)) out[pe] = {};
      } else {
        out[pe] = this.members.has(pe) ? { '.': {}, ...sub } : sub;
      }
    }
    return out;
  }

  /** A set from fieldsV1; throws FieldsV1Error when `v` is not a valid fieldsV1 tree. */
  static fromJSON(v: unknown): FieldSet {
    const out = new FieldSet();
    if (!isTree(v)) throw new FieldsV1Error('fieldsV1 must be an object');
    for (const [pe, sub] of Object.entries(v)) {
      if (pe === '.') continue;
      checkElement(pe);
      if (!isTree(sub)) throw new FieldsV1Error(`fieldsV1 at ${pe} must be an object`);
      const keys = Object.keys(sub);
      if (keys.length === 0 || keys.includes('.')) out.members.add(pe);
      const child = FieldSet.fromJSON(sub);
      if (!child.empty()) out.children.set(pe, child);
    }
    return out;
  }
}

/** fieldsV1 that does not decode. */
export class FieldsV1Error extends Error {
  override name = 'FieldsV1Error';
}

function isTree(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkElement(pe: string): void {
  const kind = pe.slice(0, 2);
  const rest = pe.slice(2);
  if (kind === 'f:') return;
  if (kind === 'i:' && /^\d+$/.test(rest)) return;
  if (kind === 'k:' || kind === 'v:') {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (kind === 'v:' || isTree(parsed)) return;
    } catch {
      // falls through
    }
  }
  throw new FieldsV1Error(`invalid path element ${JSON.stringify(pe)}`);
}

/** A path as structured-merge-diff prints it in conflicts: `.data.key`, `.spec.containers[name="nginx"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: Path): string {
  return path.map(elementString).join('');
}

function elementString(pe: PathElement): string {
  const rest = pe.slice(2);
  switch (pe.slice(0, 2)) {
    case 'f:':
      return `.${rest}`;
    case 'i:':
      return `[${rest}]`;
    case 'v:':
      return `[=${valueString(JSON.parse(rest))}]`;
    default: {
      const keys = JSON.parse(rest) as Record<string, unknown>;
      return `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${valueString(v)}`)
        .join(',')}]`;
    }
  }
}

/** A value as Go's structured-merge-diff prints it: strings quoted, numbers and booleans bare, others as JSON. */
function valueString(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}
