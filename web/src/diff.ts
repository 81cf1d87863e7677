/**
 * A line diff of two texts (two pretty-printed values of a key): the longest
 * common subsequence of their lines, after the common head and tail are set
 * aside, gives the lines kept; the rest are removed from `a` or added in `b`.
 * `hunks` then folds long runs of unchanged lines, as `diff -u` does.
 * Pure: no DOM (unit tested under Node).
 */

/** One line of a diff: kept, removed from the old text, or added in the new one. */
export interface DiffLine {
  readonly op: 'equal' | 'remove' | 'add';
  readonly text: string;
  /** Its line number (1-based) in the old text; unset for an added line. */
  readonly aLine?: number;
  /** Its line number (1-based) in the new text; unset for a removed line. */
  readonly bLine?: number;
}

/**
 * The middle part (after the common head and tail) is compared line by line
 * in an n×m table: past this many cells, it is shown as removed then added
 * rather than spending the memory.
 */
export const MAX_CELLS = 4_000_000;

/** The lines of `s`; a final newline does not make an empty last line. */
export function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The line diff turning `a` into `b`: every line of both, in order, removals before additions where they meet. */
export function diffLines(a: string, b: string): DiffLine[] {
  return diffArrays(splitLines(a), splitLines(b));
}

/** The diff of two arrays of lines. */
export function diffArrays(a: readonly string[], b: readonly string[]): DiffLine[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;

  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'equal', text: a[i]!, aLine: i + 1, bLine: i + 1 });
  middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail), head, out);
  for (let k = tail; k > 0; k--) {
    const i = a.length - k;
    const j = b.length - k;
    out.push({ op: 'equal', text: a[i]!, aLine: i + 1, bLine: j + 1 });
  }
  return out;
}

/** Appends the diff of `a` and `b` (which start at line `offset` of their texts, 0-based) to `out`. */
function middle(a: readonly string[], b: readonly string[], offset: number, out: DiffLine[]): void {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_CELLS) {
    for (let i = 0; i < n; i++) out.push({ op: 'remove', text: a[i]!, aLine: offset + i + 1 });
    for (let j = 0; j < m; j++) out.push({ op: 'add', text: b[j]!, bLine: offset + j + 1 });
    return;
  }
  // lcs[i*(m+1)+j]: the length of the LCS of a[i..] and b[j..]
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: 'equal', text: a[i]!, aLine: offset + i + 1, bLine: offset + j + 1 });
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
      out.push({ op: 'remove', text: a[i]!, aLine: offset + i + 1 });
      i++;
    } else {
      out.push({ op: 'add', text: b[j]!, bLine: offset + j + 1 });
      j++;
    }
  }
}

/** A piece of a folded diff: a line, or a run of unchanged lines left out. */
export type Hunk = { readonly kind: 'line'; readonly line: DiffLine } | { readonly kind: 'skip'; readonly count: number };

/** `lines` with unchanged runs longer than 2×`context` (+1) folded to `skip`s, keeping `context` lines around each change. */
export function hunks(lines: readonly DiffLine[], context = 3): Hunk[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op === 'equal') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: Hunk[] = [];
  let skipped = 0;
  const flush = (next: number): void => {
    // a fold of a single line hides nothing worth hiding: show it
    if (skipped === 1) out.push({ kind: 'line', line: lines[next - 1]! });
    else if (skipped > 1) out.push({ kind: 'skip', count: skipped });
    skipped = 0;
  };
  lines.forEach((line, i) => {
    if (keep[i]) {
      flush(i);
      out.push({ kind: 'line', line });
    } else skipped++;
  });
  flush(lines.length);
  return out;
}

/** How many lines `lines` adds and removes. */
export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.op === 'add') added++;
    else if (l.op === 'remove') removed++;
  }
  return { added, removed };
}
