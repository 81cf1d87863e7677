/**
 * A tiny DOM helper in place of a framework: `h(tag, attrs, ...children)`
 * builds an element, `render(parent, ...children)` replaces a parent's
 * children and gives focus back to the element that had it (matched by its
 * `data-focus`), so that a live re-render does not throw a keyboard user out.
 *
 * Attributes: `class`; `style` as an object (set through the CSSOM, which
 * the page's Content-Security-Policy allows, unlike style attributes);
 * `on<event>` functions become listeners; `value`, `checked`, `disabled`,
 * `selected`, `hidden` and `open` are set as properties; `true` sets an empty
 * attribute; `false`, `null` and `undefined` leave it out.
 */

/** What may be a child: nodes, text, nothing, or arrays of these. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** An element's attributes, properties and listeners. */
export type Attrs = Record<string, unknown>;

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'indeterminate']);

/** An element `tag` with `attrs` and `children`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'style' && typeof v === 'object') {
      for (const [p, s] of Object.entries(v as Record<string, string>)) el.style.setProperty(p, s);
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    } else if (PROPS.has(k)) {
      (el as unknown as Record<string, unknown>)[k] = v;
    } else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...flatten(children));
  return el;
}

/** The nodes of `children`, arrays flattened and nothing left out. */
export function flatten(children: readonly Child[]): (Node | string)[] {
  const out: (Node | string)[] = [];
  const walk = (c: Child): void => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) for (const x of c as readonly Child[]) walk(x);
    else if (typeof c === 'number') out.push(String(c));
    else out.push(c as Node | string);
  };
  walk(children);
  return out;
}

/** Replaces `parent`'s children with `children`, keeping focus on the element with the same `data-focus` if one had it. */
export function render(parent: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && parent.contains(active) ? active.dataset.focus : undefined;
  parent.replaceChildren(...flatten(children));
  if (key !== undefined) {
    const again = parent.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`);
    again?.focus({ preventScroll: true });
  }
}

/** Calls `f` at most once per animation frame, however often it is asked for. */
export function batched(f: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      f();
    });
  };
}
