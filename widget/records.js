// @ts-check
/**
 * The conversation as data: what the server's replies become, and what is stored in the browser.
 *
 * Records hold text, never HTML; the DOM is built from them by view.js. Everything here comes from the
 * network or from storage someone could have edited, so every field is checked and given a type before
 * it is used. Pure logic: tests/widget/records.test.mjs runs it under `node --test`.
 */

const MAX_TEXT_CHARS = 10000;
// An ISO 639-1 (or 639-2) code as the server tags replies in another language: nothing else becomes lang.
const LANG_PATTERN = /^[a-z]{2,3}$/;

/**
 * @typedef {{title: string, payload: string}} QuickReply
 * @typedef {{title: string, url: string, description: string, summary: string}} Clip
 * @typedef {{from: 'user', text: string}} UserRecord
 * @typedef {{from: 'bot', text: string, buttons: QuickReply[], chosen: number | null, lang: string | null}}
 *   BotRecord
 * @typedef {{from: 'clip', clip: Clip}} ClipRecord
 * @typedef {UserRecord | BotRecord | ClipRecord} MessageRecord
 */

/**
 * A value's fields, or an empty object when it is not an object: reading a field of network data
 * can then never throw.
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
function fieldsOf(value) {
  return value && typeof value === 'object' ? /** @type {Record<string, unknown>} */ (value) : {};
}

/** @param {unknown} value @returns {string} */
function asText(value) {
  return typeof value === 'string' ? value.slice(0, MAX_TEXT_CHARS) : '';
}

/** @param {unknown} raw @returns {QuickReply[]} */
function normaliseButtons(raw) {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((button) => fieldsOf(button))
    .map((button) => ({ title: asText(button.title).trim(), payload: asText(button.payload) }))
    .filter((button) => button.title && button.payload);
}

/** @param {unknown} raw @returns {Clip | null} */
function normaliseClip(raw) {
  const fields = fieldsOf(raw);
  const clip = {
    title: asText(fields.title).trim(),
    url: asText(fields.url).trim(),
    description: asText(fields.description).trim(),
    summary: asText(fields.summary).trim(),
  };
  return clip.title ? clip : null;
}

/**
 * A language code fit for a lang attribute, or null: the value comes from the network.
 * @param {unknown} raw
 * @returns {string | null}
 */
export function normaliseLang(raw) {
  return typeof raw === 'string' && LANG_PATTERN.test(raw) ? raw : null;
}

/**
 * A message's custom payload, or an empty object.
 * @param {unknown} message
 * @returns {Record<string, unknown>}
 */
function customOf(message) {
  return fieldsOf(fieldsOf(message).custom);
}

/**
 * Turns the server's replies to one message into records. A message may carry text (with buttons) and
 * a custom payload; a handoff payload adds nothing because its reference is already in the text.
 * Rasa sends a custom payload as a message of its own straight after the text it was uttered with, so
 * a `language` tag belongs to the bot text just before it (or in the same message).
 * @param {unknown[]} replies
 * @returns {MessageRecord[]}
 */
export function recordsFromServer(replies) {
  /** @type {MessageRecord[]} */
  const records = [];
  for (const message of replies) {
    if (!message || typeof message !== 'object') continue;
    const fields = fieldsOf(message);
    const text = asText(fields.text);
    const buttons = normaliseButtons(fields.buttons);
    if (text.trim() || buttons.length) {
      records.push({ from: 'bot', text, buttons, chosen: null, lang: null });
    }
    const custom = customOf(message);
    const clip = normaliseClip(custom.clip);
    if (clip) records.push({ from: 'clip', clip });
    const lang = normaliseLang(custom.language);
    const last = records[records.length - 1];
    if (lang && last && last.from === 'bot') last.lang = lang;
  }
  return records;
}

/**
 * Whether the server says it deleted this conversation. Only this flag clears anything: a reply
 * without it (the server could not delete) leaves the conversation as it was.
 * @param {unknown[]} replies
 * @returns {boolean}
 */
export function conversationDeleted(replies) {
  return replies.some((message) => customOf(message).conversation_deleted === true);
}

/**
 * Re-validates a record read back from storage (it could have been edited or be from an old version).
 * @param {unknown} raw
 * @returns {MessageRecord | null}
 */
export function recordFromStorage(raw) {
  const fields = fieldsOf(raw);
  if (fields.from === 'user') {
    const text = asText(fields.text);
    return text ? { from: 'user', text } : null;
  }
  if (fields.from === 'bot') {
    const buttons = normaliseButtons(fields.buttons);
    const chosen = fields.chosen;
    const valid = typeof chosen === 'number' && Number.isInteger(chosen) && chosen < buttons.length;
    return {
      from: 'bot',
      text: asText(fields.text),
      buttons,
      chosen: valid && chosen >= 0 ? chosen : null,
      lang: normaliseLang(fields.lang),
    };
  }
  if (fields.from === 'clip') {
    const clip = normaliseClip(fields.clip);
    return clip ? { from: 'clip', clip } : null;
  }
  return null;
}
