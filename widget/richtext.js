// @ts-check
/**
 * Safe links in the bot's text, as data: which parts of a reply are plain text and which become links.
 *
 * Pure logic, no DOM, so `node --test` checks it directly (tests/widget/richtext.test.mjs); dom.js turns
 * the parts into text nodes and <a> elements. Only http:, https: and tel: ever become links: anything
 * else (javascript:, data:, a malformed address) is shown exactly as written.
 */

const LINK_SCHEMES = new Set(['http:', 'https:', 'tel:']);
// What a phone number in a tel: link may hold once decoded: digits, a leading +, spaces and separators.
const TEL_NUMBER = /^\+?[0-9()\s.-]{3,20}$/;

// One pass over the text, earliest match first, so a URL or markdown link is never re-scanned for
// phone numbers. Groups: 1-2 markdown [label](url), 3 bare http(s) URL, 4 UK phone number, 5 "999".
const TOKEN_PATTERN = new RegExp(
  [
    String.raw`\[([^\[\]\n]{1,300})\]\(([^()\s]{1,2048})\)`,
    String.raw`(https?:\/\/[^\s<>"'\x60\[\]{}|\\^]+)`,
    // 0 then 9-10 more digits, single spaces allowed between them: 0800 011 3764, 0800 789 321.
    String.raw`((?<![\w+])0(?: ?\d){9,10}(?!\w))`,
    String.raw`((?<![\w.,])999(?![\w]|[.,]\d))`,
  ].join('|'),
  'gi',
);

/**
 * A link as data: the words shown, the address, and whether it opens in a new tab (web links do, so
 * the conversation is not lost; tel: links don't, they hand over to the phone).
 * @typedef {{label: string, href: string, newTab: boolean}} LinkPart
 * @typedef {string | LinkPart} RichTextPart
 */

/**
 * The text of a tel: link's number, or null when its %-escapes are malformed (`tel:%E0%A4%A`), which
 * decodeURIComponent reports by throwing: such an address is simply not a safe link.
 * @param {string} pathname
 * @returns {string | null}
 */
function decodedNumber(pathname) {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

/**
 * The URL if it parses and uses an allowed scheme (and, for tel:, holds a phone number), else null.
 * Never throws, whatever the bot or the network sends.
 * @param {string} raw
 * @returns {URL | null}
 */
export function safeUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!LINK_SCHEMES.has(url.protocol)) return null;
  if (url.protocol === 'tel:' && !TEL_NUMBER.test(decodedNumber(url.pathname) ?? '')) return null;
  return url;
}

/**
 * A link part for an allowed URL, or null.
 * @param {string} label
 * @param {string} rawUrl
 * @returns {LinkPart | null}
 */
export function linkPart(label, rawUrl) {
  const url = safeUrl(rawUrl);
  return url ? { label, href: url.href, newTab: url.protocol !== 'tel:' } : null;
}

/**
 * Drops punctuation that ends a sentence rather than the URL ("see https://x.uk/a." → no dot).
 * @param {string} url
 * @returns {string}
 */
export function trimUrl(url) {
  let out = url;
  while (/[.,;:!?)]$/.test(out)) {
    if (out.endsWith(')') && out.split('(').length > out.split(')').length - 1) break;
    out = out.slice(0, -1);
  }
  return out;
}

/**
 * tel: address for a UK number as written: "0800 011 3764" → "tel:+448000113764".
 * @param {string} written
 * @returns {string}
 */
export function ukTelHref(written) {
  return `tel:+44${written.replace(/\s/g, '').slice(1)}`;
}

/**
 * Splits bot text into plain text and safe links, in order. Joining the parts' words gives back the
 * text exactly as written, less only a markdown link's brackets and address.
 * @param {string} text
 * @returns {RichTextPart[]}
 */
export function richTextParts(text) {
  /** @type {RichTextPart[]} */
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN_PATTERN)) {
    const start = /** @type {number} */ (match.index);
    const [whole, mdLabel, mdUrl, bareUrl, phone, emergency] = match;
    if (start > last) parts.push(text.slice(last, start));
    /** @type {LinkPart | null} */
    let link = null;
    let rest = '';
    if (mdLabel !== undefined) {
      link = linkPart(mdLabel, mdUrl);
    } else if (bareUrl !== undefined) {
      const trimmed = trimUrl(bareUrl);
      link = linkPart(trimmed, trimmed);
      rest = whole.slice(trimmed.length);
    } else if (phone !== undefined) {
      link = linkPart(phone, ukTelHref(phone));
    } else if (emergency !== undefined) {
      link = linkPart(emergency, 'tel:999');
    }
    // Anything that is not a safe link is shown exactly as written.
    if (link) parts.push(link, ...(rest ? [rest] : []));
    else parts.push(whole);
    last = start + whole.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
