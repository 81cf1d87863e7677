import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CELLS, diffArrays, diffLines, diffStats, hunks, splitLines, type DiffLine } from './diff.js';

/** The diff as `diff`-like lines: ' x', '-x', '+x'. */
const show = (lines: readonly DiffLine[]): string[] => lines.map((l) => `${l.op === 'equal' ? ' ' : l.op === 'add' ? '+' : '-'}${l.text}`);

/** The old and new texts a diff says it was made from. */
const sides = (lines: readonly DiffLine[]): [string[], string[]] => [lines.filter((l) => l.op !== 'add').map((l) => l.text), lines.filter((l) => l.op !== 'remove').map((l) => l.text)];

describe('diffLines', () => {
  it('splits lines, a final newline making no empty last line', () => {
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
    assert.deepEqual(splitLines('a\n\nb'), ['a', '', 'b']);
  });

  it('finds nothing to change in equal texts', () => {
    const d = diffLines('a\nb\nc\n', 'a\nb\nc\n');
    assert.deepEqual(show(d), [' a', ' b', ' c']);
    assert.deepEqual(diffStats(d), { added: 0, removed: 0 });
  });

  it('diffs against an empty text', () => {
    assert.deepEqual(show(diffLines('', 'a\nb')), ['+a', '+b']);
    assert.deepEqual(show(diffLines('a\nb', '')), ['-a', '-b']);
    assert.deepEqual(diffLines('', ''), []);
  });

  it('keeps the longest common subsequence and marks a changed line as removed then added', () => {
    const a = '{\n  "phase": "Pending",\n  "nodeName": "",\n  "ip": null\n}';
    const b = '{\n  "phase": "Running",\n  "nodeName": "",\n  "ip": "10.0.0.1",\n  "ready": true\n}';
    assert.deepEqual(show(diffLines(a, b)), [
      ' {',
      '-  "phase": "Pending",',
      '+  "phase": "Running",',
      '   "nodeName": "",',
      '-  "ip": null',
      '+  "ip": "10.0.0.1",',
      '+  "ready": true',
      ' }',
    ]);
  });

  it('numbers the lines of both sides', () => {
    const d = diffLines('x\na\ny', 'x\nb\ny');
    assert.deepEqual(
      d.map((l) => [l.op, l.aLine, l.bLine]),
      [
        ['equal', 1, 1],
        ['remove', 2, undefined],
        ['add', undefined, 2],
        ['equal', 3, 3],
      ],
    );
  });

  it('finds a minimal diff (the LCS) on the classic example', () => {
    const d = diffArrays([...'ABCABBA'], [...'CBABAC']);
    const kept = d.filter((l) => l.op === 'equal').length;
    assert.equal(kept, 4, 'the LCS of ABCABBA and CBABAC has length 4');
    assert.deepEqual(diffStats(d), { added: 2, removed: 3 });
  });

  it('always reproduces both sides, in order (random texts)', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: rand(12) }, () => 'abcd'[rand(4)]!);
      const b = Array.from({ length: rand(12) }, () => 'abcd'[rand(4)]!);
      const d = diffArrays(a, b);
      assert.deepEqual(sides(d), [a, b]);
      // the kept lines are a common subsequence no shorter than a brute-force LCS
      assert.equal(d.filter((l) => l.op === 'equal').length, lcsLength(a, b), `${a.join('')} vs ${b.join('')}`);
    }
  });

  it('shows a middle too large to compare as removed then added, still reproducing both sides', () => {
    const n = Math.ceil(Math.sqrt(MAX_CELLS)) + 2;
    const a = ['head', ...Array.from({ length: n }, (_, i) => `a${i}`), 'tail'];
    const b = ['head', ...Array.from({ length: n }, (_, i) => `b${i}`), 'tail'];
    const d = diffArrays(a, b);
    assert.deepEqual(sides(d), [a, b]);
    assert.deepEqual(diffStats(d), { added: n, removed: n });
  });
});

describe('hunks', () => {
  const lines = (n: number, changedAt: number[]): DiffLine[] =>
    Array.from({ length: n }, (_, i) => (changedAt.includes(i) ? { op: 'add' as const, text: `+${i}` } : { op: 'equal' as const, text: `${i}` }));

  it('folds unchanged runs, keeping the context around changes', () => {
    const h = hunks(lines(20, [10]), 3);
    assert.deepEqual(
      h.map((x) => (x.kind === 'skip' ? `…${x.count}` : x.line.text)),
      ['…7', '7', '8', '9', '+10', '11', '12', '13', '…6'],
    );
  });

  it('does not fold a single line', () => {
    const h = hunks(lines(9, [0, 8]), 3);
    assert.deepEqual(
      h.map((x) => (x.kind === 'skip' ? `…${x.count}` : x.line.text)),
      ['+0', '1', '2', '3', '4', '5', '6', '7', '+8'],
    );
  });

  it('folds everything when nothing changed', () => {
    assert.deepEqual(hunks(lines(5, []), 3), [{ kind: 'skip', count: 5 }]);
  });
});

/** The LCS length by the textbook recursion table. */
function lcsLength(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
  return t[a.length]![b.length]!;
}
