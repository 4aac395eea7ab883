// @ts-check
/**
 * Prevent assistant: the website chat widget. The entry module: it finds its server from its own
 * address, fetches the wording, builds the interface and wires the controls to the conversation.
 *
 * Embed (see docs/widget.md; a <noscript> fallback with the support line goes beside it):
 *   <div id="prevent-assistant"></div>
 *   <script type="module" src=".../webhooks/widget/static/widget.js"></script>
 *
 * Ground rules, because the people using this may be anxious, on a shared computer or using a screen
 * reader:
 *   - Text from the person or the bot is only ever put in the page as text, never parsed as HTML, and
 *     links are made only for http:, https: and tel: (richtext.js, dom.js).
 *   - Nothing is stored except in this tab's sessionStorage, and nothing at all when the person ticks
 *     "don't keep". Quick exit wipes it and leaves the page, replacing it in the history (storage.js).
 *   - Works under a strict Content-Security-Policy: no inline script or style, only classes from
 *     widget.css.
 *   - Deleting the conversation asks first, inside the panel, and clears this browser's copy only once
 *     the server says it has deleted its own (conversation.js).
 *
 * Plain ES2022 modules, no dependencies, no build step: the browser runs these files as they are.
 */

import { WORDING_FILE, baseUrlOf, readConfig } from './config.js';
import { Conversation, DELETE_PAYLOAD } from './conversation.js';
import { h } from './dom.js';
import { safeUrl } from './richtext.js';
import { createStorage, newSenderId } from './storage.js';
import { fetchWording, postMessage } from './transport.js';
import { buildUi, loadStylesheet } from './ui.js';
import { createView } from './view.js';

const MOUNT_ID = 'prevent-assistant';
const DOUBLE_ESCAPE_MS = 1500;

/** @typedef {import('./config.js').WidgetConfig} WidgetConfig */

/**
 * For the site's developers: what went wrong, by its kind only. An error's message could quote what
 * the person wrote, and nothing they write belongs in a console another person may open.
 * @param {unknown} error
 */
function report(error) {
  const kind = error instanceof Error ? error.name : typeof error;
  console.error(`prevent-assistant: a step failed (${kind}); the conversation carries on`);
}

/**
 * @param {HTMLElement} root
 * @param {WidgetConfig} config
 * @param {string} baseUrl
 */
function startWidget(root, config, baseUrl) {
  const ui = buildUi(root, config, baseUrl);
  const storage = createStorage();
  const webhookUrl = `${baseUrl}/webhook`;
  const exitIsWeb = safeUrl(config.quickExitUrl)?.protocol.startsWith('http');
  const exitUrl = exitIsWeb ? config.quickExitUrl : 'about:blank';
  const coarsePointer = window.matchMedia ? window.matchMedia('(pointer: coarse)') : null;
  /** @type {Set<AbortController>} */
  const inFlight = new Set();
  let open = false;
  let dontKeep = false;
  let exiting = false;
  let greetingSent = false;
  let lastEscapeAt = -Infinity;
  // Where focus goes back to when the delete question is cancelled.
  /** @type {HTMLElement | null} */
  let confirmOpener = null;

  /**
   * Once a button is used up (disabled or hidden) focus would drop to the page: the message box gets
   * it, except on touch screens where that would pop up the keyboard uninvited.
   * @param {MouseEvent} event
   * @param {HTMLElement | null} [otherwise]
   */
  function focusAfterChoice(event, otherwise = null) {
    if (event.detail === 0 || !coarsePointer?.matches) ui.input.focus();
    else otherwise?.focus();
  }

  const view = createView(ui, config, {
    say: (message, options) => conversation.say(message, options),
    askToDelete: (opener) => openConfirm(opener),
    focusAfterChoice: (event) => focusAfterChoice(event),
    isExiting: () => exiting,
  });
  const conversation = new Conversation({
    send: (sender, message) => postMessage(webhookUrl, sender, message, { inFlight }),
    view,
    newSenderId,
    onChange: persist,
    onForget: () => {
      closeConfirm();
      storage.clear();
    },
    onError: report,
  });

  function persist() {
    if (exiting || dontKeep) return;
    storage.write({ sender: conversation.sender, open, messages: conversation.messages });
  }

  /* --- deleting the conversation --- */

  /**
   * Shows the "are you sure?" question in the panel and puts focus on Cancel, the harmless choice;
   * the question names the group, so screen readers read it out as focus arrives.
   * @param {HTMLElement} opener the control that asked, which gets focus back on Cancel
   */
  function openConfirm(opener) {
    confirmOpener = opener;
    ui.confirm.hidden = false;
    ui.deleteButton.setAttribute('aria-expanded', 'true');
    ui.confirmCancel.focus();
  }

  /** @param {{restoreFocus?: boolean}} [options] */
  function closeConfirm({ restoreFocus = false } = {}) {
    if (ui.confirm.hidden) return;
    ui.confirm.hidden = true;
    ui.deleteButton.setAttribute('aria-expanded', 'false');
    const opener = confirmOpener;
    confirmOpener = null;
    if (!restoreFocus) return;
    const usable = opener && opener.isConnected && !(/** @type {HTMLButtonElement} */ (opener).disabled);
    (usable ? opener : ui.deleteButton).focus();
  }

  /**
   * Asks the server to delete the conversation, through the same queue as every message so it is
   * handled after anything already sent. No bubble: the person pressed a button, they did not type it.
   * @param {MouseEvent} event
   */
  function confirmDeletion(event) {
    if (exiting) return;
    closeConfirm();
    focusAfterChoice(event, ui.deleteButton); // the Delete button is now hidden
    conversation.say(DELETE_PAYLOAD);
  }

  /* --- sending --- */

  /** @param {string} text */
  function restoreInput(text) {
    const current = ui.input.value;
    ui.input.value = current.trim() ? `${current}\n${text}` : text;
  }

  function submitTyped() {
    const text = ui.input.value.trim();
    if (!text || exiting) return;
    ui.input.value = '';
    conversation.say(text, { display: text, onFail: () => restoreInput(text) });
  }

  function sendGreetingIfNew() {
    if (greetingSent || conversation.messages.length > 0 || !config.startMessage) return;
    greetingSent = true;
    conversation.say(config.startMessage, {
      onFail: () => {
        greetingSent = false; // try again next time the panel opens
      },
    });
  }

  /* --- opening and closing --- */

  /** @param {{moveFocus?: boolean}} [options] */
  function openPanel({ moveFocus = true } = {}) {
    open = true;
    ui.panel.hidden = false;
    ui.bar.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'true');
    view.scrollToEnd();
    if (moveFocus) ui.input.focus();
    persist();
    sendGreetingIfNew();
  }

  function closePanel() {
    closeConfirm();
    open = false;
    ui.panel.hidden = true;
    ui.bar.hidden = false;
    ui.launcher.setAttribute('aria-expanded', 'false');
    ui.launcher.focus();
    persist();
  }

  /* --- quick exit --- */

  function quickExit() {
    if (exiting) return;
    exiting = true;
    conversation.stop();
    inFlight.forEach((controller) => controller.abort());
    storage.clear();
    ui.input.value = '';
    ui.log.replaceChildren();
    root.replaceChildren();
    // replace(), not assign(): this page drops out of the back-button history.
    window.location.replace(exitUrl);
  }

  /**
   * Escape twice within 1.5 s anywhere on the page leaves; once closes the panel when focus is in
   * the widget (or nowhere), so it never fights with the host page's own Escape handling.
   * @param {KeyboardEvent} event
   */
  function onKeydown(event) {
    if (event.key !== 'Escape' || event.isComposing) return;
    const now = Date.now();
    if (now - lastEscapeAt <= DOUBLE_ESCAPE_MS) {
      quickExit();
      return;
    }
    lastEscapeAt = now;
    const active = document.activeElement;
    if (!ui.confirm.hidden && active && ui.confirm.contains(active)) {
      closeConfirm({ restoreFocus: true }); // Escape in the question means "no", not "close the chat"
      return;
    }
    const focusIsOurs = !active || active === document.body || root.contains(active);
    if (open && focusIsOurs) closePanel();
  }

  /* --- wiring --- */

  ui.launcher.addEventListener('click', () => openPanel());
  ui.close.addEventListener('click', closePanel);
  ui.barQuickExit.addEventListener('click', quickExit);
  ui.panelQuickExit.addEventListener('click', quickExit);
  ui.send.addEventListener('click', () => {
    submitTyped();
    ui.input.focus();
  });
  ui.input.addEventListener('keydown', (event) => {
    // Enter sends; Shift+Enter is a new line; never mid-composition (IME input for other scripts).
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    submitTyped();
  });
  ui.deleteButton.addEventListener('click', () => {
    if (ui.confirm.hidden) openConfirm(ui.deleteButton);
    else closeConfirm({ restoreFocus: true });
  });
  ui.confirmCancel.addEventListener('click', () => closeConfirm({ restoreFocus: true }));
  ui.confirmDelete.addEventListener('click', confirmDeletion);
  ui.keep.addEventListener('change', () => {
    dontKeep = ui.keep.checked;
    if (dontKeep) storage.clear();
    else persist();
  });
  window.addEventListener('keydown', onKeydown, true);

  const saved = storage.read();
  if (saved) {
    conversation.restore(saved);
    if (saved.open) openPanel({ moveFocus: false });
  }
}

async function mount() {
  let root = document.getElementById(MOUNT_ID);
  if (!root) {
    root = h('div', { id: MOUNT_ID });
    document.body.append(root);
  }
  if (root.dataset.paMounted) return; // started already (a second copy of the script at another URL)
  root.dataset.paMounted = 'true';
  const baseUrl = baseUrlOf(import.meta.url);
  const config = baseUrl ? readConfig(await fetchWording(`${baseUrl}/static/${WORDING_FILE}`)) : null;
  if (!config || !baseUrl) {
    // For the site's developers only: the script must be served as .../static/widget.js, beside its
    // wording, by the assistant's server (whose allow-list must name this site).
    console.error('prevent-assistant: no wording or no usable script address; not started');
    return;
  }
  loadStylesheet(root, baseUrl);
  startWidget(root, config, baseUrl);
}

// Module scripts run after the document is parsed; waiting still matters when this is imported later.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => void mount(), { once: true });
} else {
  void mount();
}
