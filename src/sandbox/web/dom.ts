type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | EventListener> & { class?: string };

/** A small element builder: h('button', { class: 'x', onclick: f }, 'label'). Strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** An element whose inner HTML was built by format.ts (escaped). */
export function html<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, safeHtml: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = cls;
  el.innerHTML = safeHtml;
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Keeps a scrolled list pinned to its end when it was at the end before a change. */
export function keepAtBottom(list: HTMLElement, change: () => void): void {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  change();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

const ICONS = {
  attach:
    'M16.5 6.5v10.2a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v10.4a1.5 1.5 0 0 1-3 0V7h-1.5v9.2a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.9a6 6 0 0 0 12 0V6.5z',
  reply: 'M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z',
  close: 'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4l5.6 5.6L5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6z',
  file: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm-1 7V3.5L18.5 9z',
  lock: 'M17 9h-1V7a4 4 0 0 0-8 0v2H7a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-9a2 2 0 0 0-2-2zm-7-2a2 2 0 0 1 4 0v2h-4zm2 10.5a1.8 1.8 0 1 1 0-3.6 1.8 1.8 0 0 1 0 3.6z',
} as const;

/** A small inline icon (emoji fonts are not everywhere). */
export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
