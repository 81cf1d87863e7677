/**
 * A binary heap whose items are also found by key (kube-scheduler's
 * internal heap): push replaces an item with the same key, and an item can
 * be read, updated or removed by key in O(log n). The order is `less`.
 */

/** A keyed heap; see the file comment. invariant: #index.get(keyOf(#items[i])) === i for every i. */
export class KeyedHeap<T> {
  readonly #items: T[] = [];
  readonly #index = new Map<string, number>();

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly less: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i];
  }

  /** The least item, left in place. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `item`, or replaces the item with its key (and moves it to its new place). */
  push(item: T): void {
    const key = this.keyOf(item);
    const i = this.#index.get(key);
    if (i !== undefined) {
      this.#items[i] = item;
      this.#fix(i);
      return;
    }
    this.#items.push(item);
    this.#index.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  /** Removes and returns the least item. */
  pop(): T | undefined {
    if (this.#items.length === 0) return undefined;
    return this.#removeAt(0);
  }

  /** Removes the item with `key`; undefined when there is none. */
  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#removeAt(i);
  }

  /** The items, in no particular order. */
  values(): readonly T[] {
    return this.#items;
  }

  #removeAt(i: number): T {
    const items = this.#items;
    const item = items[i]!;
    const last = items.pop()!;
    this.#index.delete(this.keyOf(item));
    if (i < items.length) {
      items[i] = last;
      this.#index.set(this.keyOf(last), i);
      this.#fix(i);
    }
    return item;
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i]!;
    const b = items[j]!;
    items[i] = b;
    items[j] = a;
    this.#index.set(this.keyOf(b), i);
    this.#index.set(this.keyOf(a), j);
  }

  /** Moves item i up while it is less than its parent; whether it moved. */
  #up(i: number): boolean {
    const start = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.#items[i]!, this.#items[p]!)) break;
      this.#swap(i, p);
      i = p;
    }
    return i !== start;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.less(this.#items[r]!, this.#items[l]!) ? r : l;
      if (!this.less(this.#items[c]!, this.#items[i]!)) return;
      this.#swap(i, c);
      i = c;
    }
  }
}
