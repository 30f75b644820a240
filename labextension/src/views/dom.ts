/** Small DOM helpers that write only when the value differs (no needless mutations). */

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export function setText(node: Node, text: string): void {
  if (node.textContent === text) {
    return;
  }
  const only = node.firstChild;
  if (only instanceof Text && only === node.lastChild && text !== '') {
    only.data = text; // edit the text node in place rather than replacing it
  } else {
    node.textContent = text;
  }
}

/**
 * `node[key] = value`, only when it differs: an unchanged refresh then writes nothing to
 * the DOM (no attribute mutation for observers, no style recalculation).
 */
export function setProperty<T extends object, K extends keyof T>(node: T, key: K, value: T[K]): void {
  if (node[key] !== value) {
    node[key] = value;
  }
}

/** A required element under `root`, typed; throws when the template lacks it. */
export function find<T extends HTMLElement = HTMLElement>(root: ParentNode, selector: string): T {
  const node = root.querySelector<T>(selector);
  if (!node) {
    throw new Error(`labcontainer panel: no ${selector} in the template`);
  }
  return node;
}
