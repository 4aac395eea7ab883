// @ts-check
/**
 * Where the widget's server is, and the words it shows.
 *
 * Every word a person sees comes from content/widget.yml, which the server sends as JSON
 * (static/wording.json): this code holds no wording of its own, so staff can change the words without
 * touching code. Pure logic: tests/widget/config.test.mjs runs it under `node --test`.
 */

/** The file beside the modules that carries the wording. */
export const WORDING_FILE = 'wording.json';
const ENTRY_PATH = /\/static\/widget\.js$/;

/**
 * @typedef {Object} WidgetConfig
 * @property {string} title
 * @property {string} subtitle
 * @property {string} launcherLabel
 * @property {string} inputLabel
 * @property {string} inputPlaceholder
 * @property {string} sendLabel
 * @property {string} closeLabel
 * @property {string} typingLabel
 * @property {string} keepLabel
 * @property {string} quickExitLabel
 * @property {string} quickExitUrl
 * @property {string} watchClipLabel
 * @property {string} summaryLabel
 * @property {string} offlineMessage
 * @property {string} rateLimitedMessage used if a 429 arrives without the server's own words
 * @property {string} startMessage
 * @property {string} youSaidLabel      optional: screen-reader prefix for the person's messages
 * @property {string} assistantSaidLabel optional: screen-reader prefix for the assistant's messages
 * @property {string} deleteLabel       the panel's control that deletes the conversation
 * @property {string} deleteConfirmText the question asked before deleting
 * @property {string} deleteConfirmLabel
 * @property {string} deleteCancelLabel
 * @property {string} privacyLabel
 * @property {string} accessibilityLabel
 * @property {string} newTabLabel       optional: screen-reader note on links that open a new tab
 */

/** Each field of WidgetConfig and its key in content/widget.yml. */
const KEYS = /** @type {const} */ ({
  title: 'title',
  subtitle: 'subtitle',
  launcherLabel: 'launcher_label',
  inputLabel: 'input_label',
  inputPlaceholder: 'input_placeholder',
  sendLabel: 'send_label',
  closeLabel: 'close_label',
  typingLabel: 'typing_label',
  keepLabel: 'keep_label',
  quickExitLabel: 'quick_exit_label',
  quickExitUrl: 'quick_exit_url',
  watchClipLabel: 'watch_clip_label',
  summaryLabel: 'summary_label',
  offlineMessage: 'offline_message',
  rateLimitedMessage: 'rate_limited_message',
  startMessage: 'start_message',
  youSaidLabel: 'you_said_label',
  assistantSaidLabel: 'assistant_said_label',
  deleteLabel: 'delete_label',
  deleteConfirmText: 'delete_confirm_text',
  deleteConfirmLabel: 'delete_confirm_label',
  deleteCancelLabel: 'delete_cancel_label',
  privacyLabel: 'privacy_label',
  accessibilityLabel: 'accessibility_label',
  newTabLabel: 'new_tab_label',
});

/**
 * Reads the server's wording. Missing keys become '' rather than a made-up default, so the content
 * file stays the single source of every word.
 * @param {unknown} raw
 * @returns {WidgetConfig | null}
 */
export function readConfig(raw) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const fields = /** @type {Record<string, unknown>} */ (raw);
  const config = /** @type {Record<string, string>} */ ({});
  for (const [field, key] of Object.entries(KEYS)) {
    const value = fields[key];
    config[field] = typeof value === 'string' ? value.trim() : '';
  }
  return Object.freeze(/** @type {WidgetConfig} */ (/** @type {unknown} */ (config)));
}

/**
 * The server base URL (e.g. http://127.0.0.1:5005/webhooks/widget) from the entry module's own address
 * (import.meta.url), so the same file works on the demo page and embedded on another site.
 * @param {string} moduleUrl
 * @returns {string | null}
 */
export function baseUrlOf(moduleUrl) {
  let url;
  try {
    url = new URL(moduleUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  url.search = '';
  url.hash = '';
  return ENTRY_PATH.test(url.pathname) ? url.href.replace(ENTRY_PATH, '') : null;
}
