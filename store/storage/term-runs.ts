/**
 * The terms of a contiguous run of entries, stored as (first index, term)
 * pairs, one per term change: a few numbers however long the log is.
 * invariant: #starts and #terms are both strictly ascending and equally long.
 */
export class TermRuns {
  #starts: number[] = [];
  #terms: number[] = [];

  /** The term of entry i; the caller checks that i is held. */
  at(i: number): number {
    let hi = this.#starts.length - 1;
    if (i >= this.#starts[hi]!) return this.#terms[hi]!; // the common case: a recent entry
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.#terms[lo]!;
  }

  /** Records entry `index` (one past the last held) with `term` (>= the last term). */
  push(index: number, term: number): void {
    if (this.#terms[this.#terms.length - 1] !== term) {
      this.#starts.push(index);
      this.#terms.push(term);
    }
  }

  /** Forgets entries at and after `index`. */
  truncateFrom(index: number): void {
    let n = this.#starts.length;
    while (n > 0 && this.#starts[n - 1]! >= index) n--;
    this.#starts.length = n;
    this.#terms.length = n;
  }

  /** Forgets entries before `index`, which must be held. */
  dropBefore(index: number): void {
    let k = 0;
    while (k + 1 < this.#starts.length && this.#starts[k + 1]! <= index) k++;
    this.#starts = this.#starts.slice(k);
    this.#terms = this.#terms.slice(k);
    this.#starts[0] = index;
  }
}
