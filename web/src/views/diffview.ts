/**
 * Diffs as the store explorer shows them: two texts as lines marked added
 * and removed (a key's history), and the confirmation of a store write
 * showing how the value changes (an edit in the key panel, a creation in
 * the "New key…" form).
 */
import { diffLines, diffStats, hunks } from '../diff.js';
import { h } from '../h.js';
import { confirmDialog } from '../ui.js';

/** The diff of two texts as lines marked added and removed, long unchanged runs folded. */
export function diffView(a: string, b: string, testid = 'diff'): HTMLElement {
  const lines = diffLines(a, b);
  const { added, removed } = diffStats(lines);
  const body = hunks(lines, 3).map((x) =>
    x.kind === 'skip'
      ? h('div', { class: 'diff-skip' }, `⋯ ${x.count} unchanged ${x.count === 1 ? 'line' : 'lines'}`)
      : h(
          'div',
          { class: `diff-line diff-${x.line.op}` },
          h('span', { class: 'diff-sign', 'aria-hidden': 'true' }, x.line.op === 'add' ? '+' : x.line.op === 'remove' ? '−' : ' '),
          x.line.op === 'equal' ? null : h('span', { class: 'sr-only' }, x.line.op === 'add' ? 'added: ' : 'removed: '),
          x.line.text,
        ),
  );
  return h(
    'div',
    { class: 'diff', 'data-testid': testid, 'data-added': added, 'data-removed': removed },
    h('p', { class: 'diff-stats' }, added + removed === 0 ? 'No differences.' : `${added} ${added === 1 ? 'line' : 'lines'} added, ${removed} removed.`),
    added + removed === 0 ? null : h('pre', { class: 'diff-lines' }, body),
  );
}

/** Asks to confirm writing `key`, its value shown going from `before` to `after` ('' before: a key to create). */
export function confirmWrite(key: string, before: string, after: string, create: boolean): Promise<boolean> {
  return confirmDialog({
    title: create ? 'Create this key?' : 'Write this key?',
    body: [
      h('p', null, create ? 'This creates ' : 'This writes ', h('code', null, key), ' in the store directly, past the API server’s validation and admission. ', create ? 'Its watchers see a creation.' : 'Its watchers see the change.'),
      diffView(before, after, 'confirm-diff'),
    ],
    confirm: create ? 'Create' : 'Write',
    danger: true,
  });
}
