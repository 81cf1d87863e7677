/**
 * CycleState: what plugins keep for the length of one pod's scheduling
 * cycle (PreFilter computes, Filter reads), by key. Preemption clones it to
 * try "what if these pods were gone" without touching the real one.
 */

/** State a plugin keeps in the cycle; clone() copies it for preemption's what-ifs. */
export interface StateData {
  clone(): StateData;
}

/** The state of one scheduling cycle; see the file comment. */
export class CycleState {
  readonly #data = new Map<string, StateData>();

  /** The state under `key`, or undefined. */
  read<T extends StateData>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  write(key: string, value: StateData): void {
    this.#data.set(key, value);
  }

  delete(key: string): void {
    this.#data.delete(key);
  }

  /** A copy whose values are clones. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.#data) c.write(k, v.clone());
    return c;
  }
}
