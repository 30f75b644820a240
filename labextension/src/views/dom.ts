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

export function setClassName(node: Element, className: string): void {
  if (node.className !== className) {
    node.className = className;
  }
}

export function setTitle(node: HTMLElement, title: string): void {
  if (node.title !== title) {
    node.title = title;
  }
}

export function setDisabled(node: HTMLButtonElement, disabled: boolean): void {
  if (node.disabled !== disabled) {
    node.disabled = disabled;
  }
}

export function setHidden(node: HTMLElement, hidden: boolean): void {
  if (node.hidden !== hidden) {
    node.hidden = hidden;
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
