/**
 * The store's key space as a tree (WAI-ARIA tree pattern): each path segment
 * a node with the number of keys under it, loaded from
 * GET /ui/api/store/tree when first expanded. Keyboard: ↑/↓ move, → opens
 * or goes to the first child, ← closes or goes to the parent, Home/End,
 * Enter/Space opens a key or toggles a prefix, a letter jumps to the next
 * node starting with it. Live events flash the nodes on a changed key's path
 * and recount the loaded prefixes above a created or deleted key.
 */
import { get, query } from '../api.js';
import { h } from '../h.js';
import type { StoreEvent, TreeChild, TreeResponse } from '../types.js';

/** A node of the tree; the root (key '') has no element of its own. */
interface TNode {
  readonly key: string;
  readonly name: string;
  count: number;
  isKey: boolean;
  readonly level: number;
  readonly parent: TNode | undefined;
  children: TNode[];
  loaded: boolean;
  expanded: boolean;
  truncated: boolean;
  readonly li: HTMLLIElement | undefined;
  readonly group: HTMLUListElement;
  readonly countEl: HTMLElement | undefined;
}

/** What the tree tells its view. */
export interface TreeOptions {
  /** A key was chosen (click, Enter). */
  onOpen(key: string): void;
  /** A listing came with the store's revision. */
  onRevision(revision: number): void;
  /** A listing failed. */
  onError(e: unknown): void;
}

/** A key without its trailing slash. */
const norm = (k: string): string => (k.length > 1 && k.endsWith('/') ? k.slice(0, -1) : k);

/** The keys of the prefixes above `key`: /registry, /registry/pods, /registry/pods/default. */
export function ancestors(key: string): string[] {
  const parts = key.split('/');
  const out: string[] = [];
  for (let i = 2; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out.filter((k) => k !== '' && k !== key);
}

/** The key tree of the store explorer. */
export class KeyTree {
  readonly el: HTMLUListElement;
  private readonly root: TNode;
  private readonly byKey = new Map<string, TNode>();
  private readonly byLi = new WeakMap<Element, TNode>();
  private selected: string | undefined;
  private refreshTimer: number | undefined;
  private readonly pending = new Set<TNode>();

  constructor(private readonly opts: TreeOptions) {
    this.el = h('ul', { role: 'tree', class: 'tree', 'aria-label': 'Store keys', 'data-testid': 'store-tree', onkeydown: (e: KeyboardEvent) => this.onKey(e), onclick: (e: MouseEvent) => this.onClick(e) });
    this.root = { key: '', name: '/', count: 0, isKey: false, level: 0, parent: undefined, children: [], loaded: false, expanded: true, truncated: false, li: undefined, group: this.el, countEl: undefined };
  }

  /** Lists the top of the key space; rejects if the listing fails. */
  async load(): Promise<void> {
    await this.fill(this.root, true);
    // a key space under one prefix (/registry) opens at once
    const only = this.root.children.length === 1 ? this.root.children[0] : undefined;
    if (only && this.expandable(only)) await this.expand(only);
    this.ensureTabStop();
  }

  private prefixOf(n: TNode): string {
    return n === this.root ? '/' : `${n.key}/`;
  }

  private expandable(n: TNode): boolean {
    return !n.isKey || n.count > 1 || n.children.length > 0;
  }

  /** Lists `n`'s children and merges them in; rethrows if `raise`. */
  private async fill(n: TNode, raise = false): Promise<void> {
    n.li?.setAttribute('aria-busy', 'true');
    try {
      const r = await get<TreeResponse>(`/ui/api/store/tree${query({ prefix: this.prefixOf(n) })}`);
      this.opts.onRevision(r.revision);
      n.truncated = r.truncated === true;
      this.merge(n, r.children);
      n.loaded = true;
    } catch (e) {
      if (raise) throw e;
      this.opts.onError(e);
    } finally {
      n.li?.removeAttribute('aria-busy');
    }
  }

  private merge(parent: TNode, children: readonly TreeChild[]): void {
    const old = new Map(parent.children.map((c) => [c.key, c]));
    const next = children.map((c) => {
      const key = norm(c.key || this.prefixOf(parent) + c.name);
      const n = old.get(key);
      if (!n) return this.create(parent, key, c);
      old.delete(key);
      n.count = c.count;
      n.isKey = c.isKey;
      this.decorate(n);
      return n;
    });
    for (const gone of old.values()) this.remove(gone);
    parent.children = next;
    next.forEach((n, i) => {
      if (parent.group.children[i] !== n.li) parent.group.insertBefore(n.li!, parent.group.children[i] ?? null);
    });
    if (parent.truncated && parent.li) parent.li.title = 'counted from the first 10,000 keys only';
  }

  private create(parent: TNode, key: string, c: TreeChild): TNode {
    const name = c.name.replace(/\/$/, '') || key;
    const countEl = h('span', { class: 'tree-count' });
    const row = h('div', { class: 'tree-row' }, h('span', { class: 'twisty', 'aria-hidden': 'true' }), h('span', { class: 'tree-name' }, name), countEl);
    const group = h('ul', { role: 'group', hidden: true });
    const li = h('li', { role: 'treeitem', tabindex: '-1', 'aria-level': parent.level + 1, 'aria-selected': String(key === this.selected), 'data-testid': 'tree-node', 'data-key': key }, row, group);
    const n: TNode = { key, name, count: c.count, isKey: c.isKey, level: parent.level + 1, parent, children: [], loaded: false, expanded: false, truncated: false, li, group, countEl };
    this.byKey.set(key, n);
    this.byLi.set(li, n);
    this.decorate(n);
    return n;
  }

  /** Sets a node's count, label and expanded state on its element. */
  private decorate(n: TNode): void {
    if (!n.li) return;
    const exp = this.expandable(n);
    n.li.dataset.count = String(n.count);
    n.li.dataset.kind = n.isKey ? 'key' : 'prefix';
    if (exp) n.li.setAttribute('aria-expanded', String(n.expanded));
    else n.li.removeAttribute('aria-expanded');
    n.countEl!.textContent = exp ? String(n.count) : '';
    n.li.setAttribute('aria-label', exp ? `${n.name}, ${n.count} ${n.count === 1 ? 'key' : 'keys'}` : `${n.name} (key)`);
  }

  private remove(n: TNode): void {
    for (const c of n.children) this.remove(c);
    this.byKey.delete(n.key);
    this.pending.delete(n);
    const hadFocus = n.li?.contains(document.activeElement) ?? false;
    n.li?.remove();
    if (hadFocus && n.parent?.li) this.focus(n.parent);
  }

  private async expand(n: TNode): Promise<void> {
    if (!this.expandable(n)) return;
    if (!n.loaded) await this.fill(n);
    n.expanded = true;
    n.group.hidden = false;
    this.decorate(n);
  }

  private collapse(n: TNode): void {
    n.expanded = false;
    n.group.hidden = true;
    this.decorate(n);
  }

  private toggle(n: TNode): void {
    if (n.expanded) this.collapse(n);
    else void this.expand(n);
  }

  /** The nodes a user can see, in order. */
  private visible(): TNode[] {
    const out: TNode[] = [];
    const walk = (n: TNode): void => {
      for (const c of n.children) {
        out.push(c);
        if (c.expanded) walk(c);
      }
    };
    walk(this.root);
    return out;
  }

  private focus(n: TNode): void {
    for (const li of this.el.querySelectorAll('li[tabindex="0"]')) li.setAttribute('tabindex', '-1');
    n.li?.setAttribute('tabindex', '0');
    n.li?.focus();
  }

  /** Makes sure one node takes Tab (the selected one, or the first). */
  private ensureTabStop(): void {
    if (this.el.querySelector('li[tabindex="0"]')) return;
    const n = (this.selected && this.byKey.get(this.selected)) || this.root.children[0];
    n?.li?.setAttribute('tabindex', '0');
  }

  private activate(n: TNode): void {
    if (n.isKey) this.opts.onOpen(n.key);
    else this.toggle(n);
  }

  private onClick(e: MouseEvent): void {
    const li = (e.target as Element).closest('li[role="treeitem"]');
    const n = li ? this.byLi.get(li) : undefined;
    if (!n) return;
    e.stopPropagation();
    this.focus(n);
    if ((e.target as Element).closest('.twisty') && this.expandable(n)) this.toggle(n);
    else if (n.isKey && this.expandable(n)) {
      this.opts.onOpen(n.key);
      this.toggle(n);
    } else this.activate(n);
  }

  private onKey(e: KeyboardEvent): void {
    const li = (e.target as Element).closest('li[role="treeitem"]');
    const n = li ? this.byLi.get(li) : undefined;
    if (!n || e.altKey || e.ctrlKey || e.metaKey) return;
    const vis = this.visible();
    const i = vis.indexOf(n);
    const go = (m: TNode | undefined): void => {
      if (m) this.focus(m);
    };
    switch (e.key) {
      case 'ArrowDown':
        go(vis[i + 1]);
        break;
      case 'ArrowUp':
        go(vis[i - 1]);
        break;
      case 'ArrowRight':
        if (this.expandable(n) && !n.expanded) void this.expand(n);
        else if (n.expanded) go(n.children[0]);
        break;
      case 'ArrowLeft':
        if (n.expanded) this.collapse(n);
        else if (n.parent && n.parent !== this.root) go(n.parent);
        break;
      case 'Home':
        go(vis[0]);
        break;
      case 'End':
        go(vis[vis.length - 1]);
        break;
      case 'Enter':
      case ' ':
        this.activate(n);
        break;
      default: {
        if (e.key.length !== 1) return;
        const c = e.key.toLowerCase();
        const after = [...vis.slice(i + 1), ...vis.slice(0, i + 1)];
        const m = after.find((x) => x.name.toLowerCase().startsWith(c));
        if (!m) return;
        go(m);
      }
    }
    e.preventDefault();
  }

  /**
   * Marks `key` as the open key, opening the prefixes above it; focuses it if
   * `focus`. A prefix listed before the key (or a prefix on its way) was
   * created is listed again, so that a key just created shows at once.
   */
  async reveal(key: string, focus = false): Promise<void> {
    this.select(key);
    let parent = this.root;
    for (const k of [...ancestors(key), key]) {
      if (!this.byKey.has(k) && parent.loaded) await this.fill(parent);
      const n = this.byKey.get(k);
      if (!n || this.selected !== key) return;
      if (k !== key && !n.expanded) await this.expand(n);
      parent = n;
    }
    if (this.selected !== key) return; // another key was opened meanwhile
    this.select(key);
    const n = this.byKey.get(key);
    if (n?.li) {
      n.li.scrollIntoView({ block: 'nearest' });
      if (focus) this.focus(n);
    }
  }

  /** The prefix a new key is likeliest to go under: the current node's (the one taking Tab: focused last, or the open key) as `/registry/configmaps/default/`; a key's is its parent's. */
  currentPrefix(): string {
    const li = this.el.querySelector('li[tabindex="0"]');
    const n = li ? this.byLi.get(li) : undefined;
    if (!n) return '/';
    return n.isKey ? this.prefixOf(n.parent ?? this.root) : this.prefixOf(n);
  }

  /** Marks `key` as the open key. */
  select(key: string | undefined): void {
    if (this.selected) this.byKey.get(this.selected)?.li?.setAttribute('aria-selected', 'false');
    this.selected = key;
    const n = key ? this.byKey.get(key) : undefined;
    if (n?.li) {
      n.li.setAttribute('aria-selected', 'true');
      for (const li of this.el.querySelectorAll('li[tabindex="0"]')) if (li !== n.li) li.setAttribute('tabindex', '-1');
      n.li.setAttribute('tabindex', '0');
    }
  }

  /** A live event: flash the nodes on its path; recount above a created or deleted key. */
  onEvent(ev: StoreEvent): void {
    for (const k of [...ancestors(ev.key), ev.key]) {
      const row = this.byKey.get(k)?.li?.firstElementChild;
      if (!row) continue;
      row.classList.remove('flash');
      void (row as HTMLElement).offsetWidth; // restart the animation
      row.classList.add('flash');
    }
    if (ev.type === 'delete' || ev.version === 1) {
      for (const n of [this.root, ...ancestors(ev.key).map((k) => this.byKey.get(k))]) if (n?.loaded) this.pending.add(n);
      this.refreshTimer ??= window.setTimeout(() => {
        this.refreshTimer = undefined;
        const nodes = [...this.pending];
        this.pending.clear();
        for (const n of nodes) void this.fill(n);
      }, 700);
    }
  }

  /** Stops its timer. */
  destroy(): void {
    if (this.refreshTimer !== undefined) window.clearTimeout(this.refreshTimer);
  }
}
