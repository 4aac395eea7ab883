// @ts-check
/**
 * Small DOM helpers, text only: nothing here ever parses HTML. Text from the person or the bot goes in
 * as text nodes (textContent / append of strings), and links are built element by element, only for
 * the safe addresses richtext.js lets through. No style attributes either: the host page's CSP may
 * forbid them, so looks go in widget.css.
 */

import { linkPart, richTextParts } from './richtext.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Prefix of every id the widget gives an element, so none clashes with the host page's. */
export const ID_PREFIX = 'prevent-assistant-';

/** Paths of the widget's icons (24 × 24). */
export const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  close: 'M6 6l12 12M18 6L6 18',
  play: 'M8 5v14l11-7z',
};

/**
 * Creates an element. `text` sets textContent; every other key becomes an attribute. A style
 * attribute is refused because the page's CSP forbids it.
 * @param {string} tag
 * @param {Record<string, string | undefined>} [attributes]
 * @param {Array<Node | string | null | undefined | false>} [children]
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (name === 'text') node.textContent = value;
    else if (name === 'style') throw new Error('prevent-assistant: use a class, not a style attribute');
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child) node.append(child); // strings become text nodes: append never parses HTML
  }
  return node;
}

/**
 * A decorative inline SVG icon, hidden from assistive technology (the control carries the name).
 * @param {string} pathData
 * @param {string} className
 * @returns {SVGSVGElement}
 */
export function icon(pathData, className) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', `pa-icon ${className}`);
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', pathData);
  svg.append(path);
  return svg;
}

/**
 * A visually hidden prefix so screen-reader users can tell who said what without seeing the layout.
 * Only rendered when the content file provides the words.
 * @param {string} words
 * @returns {HTMLElement | null}
 */
export function speakerPrefix(words) {
  return words ? h('span', { class: 'pa-vh', text: `${words} ` }) : null;
}

/**
 * An <a> for a link part. Web links open in a new tab so the conversation is not lost.
 * @param {import('./richtext.js').LinkPart} part
 * @param {string} [className]
 * @returns {HTMLAnchorElement}
 */
function anchor(part, className = 'pa-link') {
  const link = /** @type {HTMLAnchorElement} */ (h('a', { class: className, href: part.href }));
  link.textContent = part.label;
  if (part.newTab) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
  return link;
}

/**
 * An <a> for an allowed URL, or null.
 * @param {string} label
 * @param {string} rawUrl
 * @param {string} [className]
 * @returns {HTMLAnchorElement | null}
 */
export function makeLink(label, rawUrl, className) {
  const part = linkPart(label, rawUrl);
  return part ? anchor(part, className) : null;
}

/**
 * Appends bot text to `parent` as text nodes and safe links only.
 * @param {HTMLElement} parent
 * @param {string} text
 */
export function appendRichText(parent, text) {
  for (const part of richTextParts(text)) {
    parent.append(typeof part === 'string' ? part : anchor(part));
  }
}
