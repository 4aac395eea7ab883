/*
 * Prevent assistant: the website chat widget.
 *
 * Embed with two lines (and a <noscript> fallback with the support line between them: see README.md):
 *   <div id="prevent-assistant"></div>
 *   <script src=".../webhooks/widget/static/widget.js" defer></script>
 *
 * The server puts `window.PreventWidgetConfig = {...};` in front of this file, built from
 * content/widget.yml. Every word a person sees comes from there: this file holds no wording of its own,
 * so staff can change the words without touching code.
 *
 * Ground rules, because the people using this may be anxious, on a shared computer or using a screen
 * reader:
 *   - Text from the person or the bot is only ever put in the page as text (textContent / text nodes),
 *     never parsed as HTML. Links are built element by element, and only for http:, https: and tel:.
 *   - Nothing is stored except in this tab's sessionStorage, and nothing at all when the person ticks
 *     "don't keep". Quick exit wipes it and leaves the page (replacing it in the history).
 *   - Works under a strict Content-Security-Policy: no inline styles, only classes from widget.css.
 *   - Deleting the conversation asks first, inside the panel, and clears this browser's copy only once
 *     the server says it has deleted its own.
 *
 * Plain ES2020, no dependencies, no build step.
 */
(() => {
  'use strict';

  // document.currentScript is only set while this file first runs, so it is read here, up front.
  const OWN_SCRIPT = document.currentScript;

  const MOUNT_ID = 'prevent-assistant';
  const ID_PREFIX = 'prevent-assistant-';
  /** The one sessionStorage key this widget uses (also cleared from localStorage on quick exit). */
  const STORAGE_KEY = 'prevent-assistant';
  const STORAGE_VERSION = 1;
  const REQUEST_TIMEOUT_MS = 10000;
  const DOUBLE_ESCAPE_MS = 1500;
  const MAX_INPUT_CHARS = 1000;
  const MAX_STORED_MESSAGES = 200;
  const MAX_TEXT_CHARS = 10000;
  // Same rule as the server: a random id, never anything personal.
  const SENDER_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
  const LINK_SCHEMES = new Set(['http:', 'https:', 'tel:']);
  // An ISO 639-1 (or 639-2) code as the server tags replies in another language: nothing else becomes lang.
  const LANG_PATTERN = /^[a-z]{2,3}$/;
  // Sent to delete the conversation; an intent name rather than wording, so it lives here, not in the
  // content file. The about-the-assistant reply offers a quick reply with the same payload.
  const DELETE_PAYLOAD = '/delete_conversation';
  // The pages the channel serves beside the widget (prevent_assistant/widget_channel.py).
  const PRIVACY_PATH = '/privacy';
  const ACCESSIBILITY_PATH = '/accessibility';
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /* ------------------------------------------------------------------------------------------------ */
  /* Configuration                                                                                    */
  /* ------------------------------------------------------------------------------------------------ */

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
   * @property {string} deleteLabel       the panel's "Delete this conversation" control
   * @property {string} deleteConfirmText the question asked before deleting
   * @property {string} deleteConfirmLabel
   * @property {string} deleteCancelLabel
   * @property {string} privacyLabel
   * @property {string} accessibilityLabel
   * @property {string} newTabLabel       optional: screen-reader note on links that open a new tab
   */

  /**
   * Reads the server-provided wording. Missing keys become '' rather than a made-up default, so the
   * content file stays the single source of every word.
   * @param {unknown} raw
   * @returns {WidgetConfig | null}
   */
  function readConfig(raw) {
    if (!raw || typeof raw !== 'object') return null;
    const text = (key) => (typeof raw[key] === 'string' ? raw[key].trim() : '');
    return Object.freeze({
      title: text('title'),
      subtitle: text('subtitle'),
      launcherLabel: text('launcher_label'),
      inputLabel: text('input_label'),
      inputPlaceholder: text('input_placeholder'),
      sendLabel: text('send_label'),
      closeLabel: text('close_label'),
      typingLabel: text('typing_label'),
      keepLabel: text('keep_label'),
      quickExitLabel: text('quick_exit_label'),
      quickExitUrl: text('quick_exit_url'),
      watchClipLabel: text('watch_clip_label'),
      summaryLabel: text('summary_label'),
      offlineMessage: text('offline_message'),
      rateLimitedMessage: text('rate_limited_message'),
      startMessage: text('start_message'),
      youSaidLabel: text('you_said_label'),
      assistantSaidLabel: text('assistant_said_label'),
      deleteLabel: text('delete_label'),
      deleteConfirmText: text('delete_confirm_text'),
      deleteConfirmLabel: text('delete_confirm_label'),
      deleteCancelLabel: text('delete_cancel_label'),
      privacyLabel: text('privacy_label'),
      accessibilityLabel: text('accessibility_label'),
      newTabLabel: text('new_tab_label'),
    });
  }

  /**
   * The server base URL (e.g. http://127.0.0.1:5005/webhooks/widget), from this script's own address,
   * so the same file works on the demo page and embedded on another site.
   * @param {HTMLScriptElement | null} script
   * @returns {string | null}
   */
  function findBaseUrl(script) {
    const candidates = [script, document.querySelector('script[src*="/static/widget.js"]')];
    for (const candidate of candidates) {
      if (!candidate || !candidate.src) continue;
      try {
        const url = new URL(candidate.src, document.baseURI);
        url.search = '';
        url.hash = '';
        if (/\/static\/widget\.js$/.test(url.pathname)) {
          return url.href.replace(/\/static\/widget\.js$/, '');
        }
      } catch {
        // Not a usable address: try the next candidate.
      }
    }
    return null;
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Small DOM helpers (text only, never HTML)                                                        */
  /* ------------------------------------------------------------------------------------------------ */

  /**
   * Creates an element. `text` sets textContent; every other key becomes an attribute. A style
   * attribute is refused because the page's CSP forbids it: looks go in widget.css.
   * @param {string} tag
   * @param {Record<string, string | undefined>} [attributes]
   * @param {Array<Node | string | null | undefined | false>} [children]
   * @returns {HTMLElement}
   */
  function h(tag, attributes = {}, children = []) {
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
  function icon(pathData, className) {
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

  const ICONS = {
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
    close: 'M6 6l12 12M18 6L6 18',
    play: 'M8 5v14l11-7z',
  };

  /**
   * A visually hidden prefix so screen-reader users can tell who said what without seeing the layout.
   * Only rendered when the content file provides the words.
   * @param {string} words
   * @returns {HTMLElement | null}
   */
  function speakerPrefix(words) {
    return words ? h('span', { class: 'pa-vh', text: `${words} ` }) : null;
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Safe links in bot text                                                                           */
  /* ------------------------------------------------------------------------------------------------ */

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
   * The URL if it parses and uses an allowed scheme, else null (so javascript:, data: etc. stay text).
   * @param {string} raw
   * @returns {URL | null}
   */
  function safeUrl(raw) {
    let url;
    try {
      url = new URL(raw);
    } catch {
      return null;
    }
    if (!LINK_SCHEMES.has(url.protocol)) return null;
    if (url.protocol === 'tel:' && !/^\+?[0-9()\s.-]{3,20}$/.test(decodeURIComponent(url.pathname))) {
      return null;
    }
    return url;
  }

  /**
   * An <a> for an allowed URL, or null. Web links open in a new tab so the conversation is not lost.
   * @param {string} label
   * @param {string} rawUrl
   * @param {string} [className]
   * @returns {HTMLAnchorElement | null}
   */
  function makeLink(label, rawUrl, className = 'pa-link') {
    const url = safeUrl(rawUrl);
    if (!url) return null;
    const link = /** @type {HTMLAnchorElement} */ (h('a', { class: className, href: url.href }));
    link.textContent = label;
    if (url.protocol !== 'tel:') {
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    }
    return link;
  }

  /**
   * Drops punctuation that ends a sentence rather than the URL ("see https://x.uk/a." → no dot).
   * @param {string} url
   * @returns {string}
   */
  function trimUrl(url) {
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
  function ukTelHref(written) {
    return `tel:+44${written.replace(/\s/g, '').slice(1)}`;
  }

  /**
   * Appends bot text to `parent` as text nodes and safe links only.
   * @param {HTMLElement} parent
   * @param {string} text
   */
  function appendRichText(parent, text) {
    let last = 0;
    for (const match of text.matchAll(TOKEN_PATTERN)) {
      const start = /** @type {number} */ (match.index);
      const [whole, mdLabel, mdUrl, bareUrl, phone, emergency] = match;
      if (start > last) parent.append(text.slice(last, start));
      let link = null;
      let rest = '';
      if (mdLabel !== undefined) {
        link = makeLink(mdLabel, mdUrl);
      } else if (bareUrl !== undefined) {
        const trimmed = trimUrl(bareUrl);
        link = makeLink(trimmed, trimmed);
        rest = whole.slice(trimmed.length);
      } else if (phone !== undefined) {
        link = makeLink(phone, ukTelHref(phone));
      } else if (emergency !== undefined) {
        link = makeLink(emergency, 'tel:999');
      }
      // Anything that is not a safe link is shown exactly as written.
      if (link) parent.append(link, rest);
      else parent.append(whole);
      last = start + whole.length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Message records (what is stored: data, never HTML)                                               */
  /* ------------------------------------------------------------------------------------------------ */

  /**
   * @typedef {{title: string, payload: string}} QuickReply
   * @typedef {{title: string, url: string, description: string, summary: string}} Clip
   * @typedef {{from: 'user', text: string}} UserRecord
   * @typedef {{from: 'bot', text: string, buttons: QuickReply[], chosen: number | null, lang: string | null}} BotRecord
   * @typedef {{from: 'clip', clip: Clip}} ClipRecord
   * @typedef {UserRecord | BotRecord | ClipRecord} MessageRecord
   */

  /** @param {unknown} value @returns {string} */
  function asText(value) {
    return typeof value === 'string' ? value.slice(0, MAX_TEXT_CHARS) : '';
  }

  /** @param {unknown} raw @returns {QuickReply[]} */
  function normaliseButtons(raw) {
    if (!Array.isArray(raw)) return [];
    return raw
      .map((b) => ({ title: asText(b && b.title).trim(), payload: asText(b && b.payload) }))
      .filter((b) => b.title && b.payload);
  }

  /** @param {unknown} raw @returns {Clip | null} */
  function normaliseClip(raw) {
    if (!raw || typeof raw !== 'object') return null;
    const clip = {
      title: asText(raw.title).trim(),
      url: asText(raw.url).trim(),
      description: asText(raw.description).trim(),
      summary: asText(raw.summary).trim(),
    };
    return clip.title ? clip : null;
  }

  /**
   * A language code fit for a lang attribute, or null: the value comes from the network.
   * @param {unknown} raw
   * @returns {string | null}
   */
  function normaliseLang(raw) {
    return typeof raw === 'string' && LANG_PATTERN.test(raw) ? raw : null;
  }

  /**
   * A message's custom payload, or an empty object.
   * @param {unknown} message
   * @returns {Record<string, unknown>}
   */
  function customOf(message) {
    const custom = message && typeof message === 'object' ? message.custom : null;
    return custom && typeof custom === 'object' ? custom : {};
  }

  /**
   * Turns the server's replies to one message into records. A message may carry text (with buttons) and
   * a custom payload; a handoff payload adds nothing because its reference is already in the text.
   * Rasa sends a custom payload as a message of its own straight after the text it was uttered with, so
   * a `language` tag belongs to the bot text just before it (or in the same message).
   * @param {unknown[]} replies
   * @returns {MessageRecord[]}
   */
  function recordsFromServer(replies) {
    /** @type {MessageRecord[]} */
    const records = [];
    for (const message of replies) {
      if (!message || typeof message !== 'object') continue;
      const text = asText(message.text);
      const buttons = normaliseButtons(message.buttons);
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
  function conversationDeleted(replies) {
    return replies.some((message) => customOf(message).conversation_deleted === true);
  }

  /**
   * Re-validates a record read back from storage (it could have been edited or be from an old version).
   * @param {unknown} raw
   * @returns {MessageRecord | null}
   */
  function recordFromStorage(raw) {
    if (!raw || typeof raw !== 'object') return null;
    if (raw.from === 'user') {
      const text = asText(raw.text);
      return text ? { from: 'user', text } : null;
    }
    if (raw.from === 'bot') {
      const buttons = normaliseButtons(raw.buttons);
      const chosen =
        Number.isInteger(raw.chosen) && raw.chosen >= 0 && raw.chosen < buttons.length ? raw.chosen : null;
      return { from: 'bot', text: asText(raw.text), buttons, chosen, lang: normaliseLang(raw.lang) };
    }
    if (raw.from === 'clip') {
      const clip = normaliseClip(raw.clip);
      return clip ? { from: 'clip', clip } : null;
    }
    return null;
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Storage: this tab only, and only with the person's consent (the default can be switched off)     */
  /* ------------------------------------------------------------------------------------------------ */

  /**
   * A storage area, or null where the browser refuses access (privacy modes throw on mere access).
   * @param {'sessionStorage' | 'localStorage'} name
   * @returns {Storage | null}
   */
  function storageArea(name) {
    try {
      return window[name];
    } catch {
      return null;
    }
  }

  const storage = {
    /** @returns {unknown} */
    read() {
      try {
        const raw = storageArea('sessionStorage')?.getItem(STORAGE_KEY);
        return raw ? JSON.parse(raw) : null;
      } catch {
        return null;
      }
    },
    /** @param {object} data */
    write(data) {
      try {
        storageArea('sessionStorage')?.setItem(STORAGE_KEY, JSON.stringify(data));
      } catch {
        // Full or refused: the conversation simply isn't kept, which is the safe failure.
      }
    },
    clear() {
      for (const name of /** @type {const} */ (['sessionStorage', 'localStorage'])) {
        try {
          storageArea(name)?.removeItem(STORAGE_KEY);
        } catch {
          // Nothing we can do; there is nothing of ours there to remove.
        }
      }
    },
  };

  /**
   * A random sender id. Random on purpose: it must never be derived from anything about the person.
   * @returns {string}
   */
  function newSenderId() {
    const cryptoApi = window.crypto;
    if (cryptoApi && typeof cryptoApi.randomUUID === 'function') return cryptoApi.randomUUID();
    const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Talking to the server                                                                            */
  /* ------------------------------------------------------------------------------------------------ */

  /**
   * @typedef {{ok: true, replies: unknown[]} | {ok: false, kind: 'offline'} | {ok: false, kind: 'rejected', error: string} | {ok: false, kind: 'limited', message: string}} SendResult
   */

  /**
   * POSTs one message. Never throws: every failure becomes a result the UI can explain.
   * 5xx, network failure and the 10 s timeout all mean "cannot reach"; a 4xx carries the server's reason,
   * and a 429 (sending too fast) also words for the person, which are shown instead.
   * @param {string} url
   * @param {string} sender
   * @param {string} message
   * @param {Set<AbortController>} inFlight  so quick exit can cancel requests
   * @returns {Promise<SendResult>}
   */
  async function postMessage(url, sender, message, inFlight) {
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sender, message }),
        signal: controller.signal,
        cache: 'no-store',
        credentials: 'omit', // the bot needs no cookies, so none of the host site's are sent
      });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      if (response.ok) {
        return Array.isArray(body) ? { ok: true, replies: body } : { ok: false, kind: 'offline' };
      }
      if (response.status === 429) {
        const message = body && typeof body.message === 'string' ? body.message : '';
        return { ok: false, kind: 'limited', message };
      }
      if (response.status >= 400 && response.status < 500 && body && typeof body.error === 'string') {
        return { ok: false, kind: 'rejected', error: body.error };
      }
      return { ok: false, kind: 'offline' };
    } catch {
      return { ok: false, kind: 'offline' };
    } finally {
      window.clearTimeout(timer);
      inFlight.delete(controller);
    }
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Building the interface                                                                           */
  /* ------------------------------------------------------------------------------------------------ */

  /**
   * Splits the launcher wording so small screens can show just its first sentence. The accessible
   * name stays the whole label, and the visible words are always its beginning (WCAG 2.5.3).
   * @param {string} label
   * @returns {[string, string]}
   */
  function splitLauncherLabel(label) {
    const match = /^(.+?[?.!:])(\s+\S.*)$/s.exec(label);
    return match ? [match[1], match[2]] : [label, ''];
  }

  /**
   * A footer link to one of the pages served beside the widget. It opens in a new tab, so the
   * conversation stays where it was; screen readers are told so when the content file has the words.
   * @param {string} label
   * @param {string} url
   * @param {WidgetConfig} config
   * @returns {HTMLAnchorElement | null}
   */
  function footerLink(label, url, config) {
    const link = label ? makeLink(label, url, 'pa-footer__link') : null;
    if (link && config.newTabLabel) {
      link.append(h('span', { class: 'pa-vh', text: ` ${config.newTabLabel}` }));
    }
    return link;
  }

  /**
   * The panel's footer: the delete control, the question it asks before deleting (hidden until then),
   * and the links to the privacy notice and accessibility statement. Two rows, because the three do not
   * fit on one line of a 28rem panel, and the delete control belongs with the question it opens.
   * @param {WidgetConfig} config
   * @param {string} baseUrl
   */
  function buildFooter(config, baseUrl) {
    const ids = { confirm: `${ID_PREFIX}confirm`, confirmText: `${ID_PREFIX}confirm-text` };
    // A disclosure button: it shows the question, which is what aria-expanded tells screen readers.
    const deleteButton = h('button', {
      type: 'button',
      class: 'pa-footer__delete',
      'aria-expanded': 'false',
      'aria-controls': ids.confirm,
      text: config.deleteLabel,
    });
    const confirmDelete = h('button', {
      type: 'button',
      class: 'pa-confirm__button pa-confirm__button--delete',
      text: config.deleteConfirmLabel,
    });
    const confirmCancel = h('button', {
      type: 'button',
      class: 'pa-confirm__button pa-confirm__button--cancel',
      text: config.deleteCancelLabel,
    });
    // A group named by the question, so moving focus into it reads the question out with the button.
    const confirm = h(
      'div',
      { class: 'pa-confirm', id: ids.confirm, role: 'group', 'aria-labelledby': ids.confirmText },
      [
        h('p', { class: 'pa-confirm__text', id: ids.confirmText, text: config.deleteConfirmText }),
        h('div', { class: 'pa-confirm__actions' }, [confirmDelete, confirmCancel]),
      ],
    );
    confirm.hidden = true;
    // The question sits right under the control that asked it, before the links.
    const footer = h('div', { class: 'pa-footer' }, [
      h('div', { class: 'pa-footer__row' }, [deleteButton]),
      confirm,
      h('div', { class: 'pa-footer__row pa-footer__row--links' }, [
        footerLink(config.privacyLabel, `${baseUrl}${PRIVACY_PATH}`, config),
        footerLink(config.accessibilityLabel, `${baseUrl}${ACCESSIBILITY_PATH}`, config),
      ]),
    ]);
    return { footer, deleteButton, confirm, confirmDelete, confirmCancel };
  }

  /**
   * @param {HTMLElement} root
   * @param {WidgetConfig} config
   * @param {string} baseUrl
   */
  function buildUi(root, config, baseUrl) {
    const ids = {
      panel: `${ID_PREFIX}panel`,
      title: `${ID_PREFIX}title`,
      subtitle: `${ID_PREFIX}subtitle`,
      input: `${ID_PREFIX}input`,
      keep: `${ID_PREFIX}keep`,
    };

    const [launcherShort, launcherRest] = splitLauncherLabel(config.launcherLabel);
    const launcher = h(
      'button',
      {
        type: 'button',
        class: 'pa-launcher',
        'aria-label': config.launcherLabel,
        'aria-haspopup': 'dialog',
        'aria-controls': ids.panel,
        'aria-expanded': 'false',
      },
      [
        icon(ICONS.chat, 'pa-launcher__icon'),
        h('span', { class: 'pa-launcher__text' }, [
          h('span', { class: 'pa-launcher__short', text: launcherShort }),
          launcherRest ? h('span', { class: 'pa-launcher__rest', text: launcherRest }) : null,
        ]),
      ],
    );
    const barQuickExit = h('button', {
      type: 'button',
      class: 'pa-quick-exit pa-quick-exit--bar',
      text: config.quickExitLabel,
    });
    const bar = h('div', { class: 'pa-bar' }, [barQuickExit, launcher]);

    const panelQuickExit = h('button', {
      type: 'button',
      class: 'pa-quick-exit pa-quick-exit--panel',
      text: config.quickExitLabel,
    });
    const close = h('button', { type: 'button', class: 'pa-close', 'aria-label': config.closeLabel }, [
      icon(ICONS.close, 'pa-close__icon'),
    ]);
    const header = h('div', { class: 'pa-header' }, [
      h('div', { class: 'pa-header__actions' }, [panelQuickExit, close]),
      h('h2', { class: 'pa-title', id: ids.title, text: config.title }),
      config.subtitle ? h('p', { class: 'pa-subtitle', id: ids.subtitle, text: config.subtitle }) : null,
    ]);

    // tabindex lets keyboard users scroll the conversation; role="log" announces additions politely.
    const log = h('div', {
      class: 'pa-log',
      role: 'log',
      'aria-live': 'polite',
      'aria-labelledby': ids.title,
      tabindex: '0',
    });
    // A status region that stays in the page and is filled while waiting, because screen readers
    // announce changes to an existing live region far more reliably than a newly inserted one.
    const typing = h('div', { class: 'pa-typing', role: 'status' });

    const input = /** @type {HTMLTextAreaElement} */ (
      h('textarea', {
        class: 'pa-input',
        id: ids.input,
        rows: '2',
        maxlength: String(MAX_INPUT_CHARS),
        placeholder: config.inputPlaceholder || undefined,
        autocomplete: 'off',
        enterkeyhint: 'send',
      })
    );
    const send = h('button', { type: 'button', class: 'pa-send', text: config.sendLabel });
    const keep = /** @type {HTMLInputElement} */ (
      h('input', { type: 'checkbox', class: 'pa-keep__box', id: ids.keep })
    );
    // No <form>: a form that somehow submitted would put the message in the address bar and history.
    const compose = h('div', { class: 'pa-compose' }, [
      h('label', { class: 'pa-label', for: ids.input, text: config.inputLabel }),
      h('div', { class: 'pa-compose__row' }, [input, send]),
      h('div', { class: 'pa-keep' }, [keep, h('label', { class: 'pa-keep__label', for: ids.keep, text: config.keepLabel })]),
    ]);

    const { footer, ...footerControls } = buildFooter(config, baseUrl);
    const panel = h(
      'div',
      {
        class: 'pa-panel',
        id: ids.panel,
        role: 'dialog',
        'aria-modal': 'false',
        'aria-labelledby': ids.title,
        'aria-describedby': config.subtitle ? ids.subtitle : undefined,
      },
      [header, log, typing, compose, footer],
    );
    panel.hidden = true;

    root.classList.add('pa-root');
    root.replaceChildren(bar, panel);
    const ui = { bar, launcher, barQuickExit, panel, panelQuickExit, close, log, typing, input, send, keep };
    return { ...ui, ...footerControls };
  }

  /**
   * Adds the widget's stylesheet once. Until it has loaded the widget stays hidden, so the page never
   * flashes unstyled controls; after a few seconds it is shown anyway, because usable beats pretty.
   * @param {HTMLElement} root
   * @param {string} baseUrl
   */
  function loadStylesheet(root, baseUrl) {
    const href = `${baseUrl}/static/widget.css`;
    const existing = Array.from(document.querySelectorAll('link[rel="stylesheet"]')).find(
      (link) => /** @type {HTMLLinkElement} */ (link).href === href,
    );
    if (existing) return;
    const link = /** @type {HTMLLinkElement} */ (h('link', { rel: 'stylesheet', href }));
    const reveal = () => {
      root.hidden = false;
    };
    root.hidden = true;
    link.addEventListener('load', reveal, { once: true });
    link.addEventListener('error', reveal, { once: true });
    window.setTimeout(reveal, 3000);
    document.head.append(link);
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* The widget                                                                                       */
  /* ------------------------------------------------------------------------------------------------ */

  /**
   * @param {HTMLElement} root
   * @param {WidgetConfig} config
   * @param {string} baseUrl
   */
  function startWidget(root, config, baseUrl) {
    const ui = buildUi(root, config, baseUrl);
    const webhookUrl = `${baseUrl}/webhook`;
    const exitUrl = safeUrl(config.quickExitUrl)?.protocol.startsWith('http')
      ? config.quickExitUrl
      : 'about:blank';
    const coarsePointer = window.matchMedia ? window.matchMedia('(pointer: coarse)') : null;

    /** @type {{sender: string, open: boolean, messages: MessageRecord[]}} */
    const state = { sender: newSenderId(), open: false, messages: [] };
    let dontKeep = false;
    let exiting = false;
    let greetingSent = false;
    let pending = 0;
    let lastEscapeAt = -Infinity;
    /** @type {Promise<void>} */
    let queue = Promise.resolve(); // messages go one at a time so replies arrive in order
    /** @type {Set<AbortController>} */
    const inFlight = new Set();
    // Each record's element in the log, so a deletion can keep some of them.
    /** @type {WeakMap<MessageRecord, HTMLElement>} */
    const nodeOf = new WeakMap();
    // The person's messages still waiting for their replies: they outlive a deletion sent before them.
    /** @type {Set<MessageRecord>} */
    const awaiting = new Set();
    // Where focus goes back to when the delete question is cancelled.
    /** @type {HTMLElement | null} */
    let confirmOpener = null;

    /* --- storage --- */

    function persist() {
      if (exiting || dontKeep) return;
      if (state.messages.length > MAX_STORED_MESSAGES) {
        state.messages.splice(0, state.messages.length - MAX_STORED_MESSAGES);
      }
      storage.write({ v: STORAGE_VERSION, sender: state.sender, open: state.open, messages: state.messages });
    }

    /** @returns {boolean} whether a stored conversation was restored */
    function restore() {
      const saved = storage.read();
      if (!saved || typeof saved !== 'object' || saved.v !== STORAGE_VERSION) return false;
      if (typeof saved.sender !== 'string' || !SENDER_PATTERN.test(saved.sender)) return false;
      state.sender = saved.sender;
      const records = Array.isArray(saved.messages) ? saved.messages : [];
      for (const raw of records.slice(-MAX_STORED_MESSAGES)) {
        const record = recordFromStorage(raw);
        if (record) addRecord(record);
      }
      if (saved.open === true) openPanel({ moveFocus: false });
      return true;
    }

    /* --- rendering --- */

    /**
     * Renders a record at the end of the log and keeps it in the state.
     * @param {MessageRecord} record
     * @returns {HTMLElement}
     */
    function addRecord(record) {
      state.messages.push(record);
      let node;
      if (record.from === 'user') node = renderUser(record);
      else if (record.from === 'bot') node = renderBot(record);
      else node = renderClip(record.clip);
      nodeOf.set(record, node);
      ui.log.append(node);
      return node;
    }

    /**
     * @param {MessageRecord} record
     * @param {HTMLElement} node
     */
    function removeRecord(record, node) {
      const index = state.messages.indexOf(record);
      if (index >= 0) state.messages.splice(index, 1);
      node.remove();
    }

    /** @param {UserRecord} record */
    function renderUser(record) {
      return h('div', { class: 'pa-msg pa-msg--user' }, [
        speakerPrefix(config.youSaidLabel),
        h('p', { class: 'pa-bubble', text: record.text }),
      ]);
    }

    /**
     * A reply in another language carries its language, so screen readers switch voice; dir="auto" lets
     * right-to-left scripts (Urdu, Arabic) run the right way. The "Assistant:" prefix stays English.
     * @param {BotRecord} record
     */
    function renderBot(record) {
      const language = record.lang ? { lang: record.lang, dir: 'auto' } : {};
      const node = h('div', { class: 'pa-msg pa-msg--bot' }, [speakerPrefix(config.assistantSaidLabel)]);
      if (record.text.trim()) {
        const bubble = h('p', { class: 'pa-bubble', ...language });
        appendRichText(bubble, record.text);
        node.append(bubble);
      }
      if (record.buttons.length) {
        const replies = renderQuickReplies(record);
        for (const [name, value] of Object.entries(language)) replies.setAttribute(name, value);
        node.append(replies);
      }
      return node;
    }

    /**
     * One button per quick reply. Using one sends its payload, shows its title as the person's words,
     * and disables the group so the same choice isn't sent twice.
     * @param {BotRecord} record
     */
    function renderQuickReplies(record) {
      const group = h('div', { class: 'pa-quick-replies' });
      const buttons = record.buttons.map((reply, index) => {
        const button = /** @type {HTMLButtonElement} */ (
          h('button', { type: 'button', class: 'pa-quick-reply', text: reply.title })
        );
        button.addEventListener('click', (event) => {
          if (record.chosen !== null || exiting) return;
          if (reply.payload === DELETE_PAYLOAD) {
            openConfirm(button); // the same question as the panel's control: deleting cannot be undone
            return;
          }
          record.chosen = index;
          setGroupState(buttons, index);
          // The pressed button is now disabled and would drop focus to the page: hand it to the message
          // box instead, except on touch screens where that would pop up the keyboard uninvited.
          if (event.detail === 0 || !coarsePointer?.matches) ui.input.focus();
          converse(reply.payload, {
            display: reply.title,
            onFail: () => {
              record.chosen = null;
              setGroupState(buttons, null);
            },
          });
        });
        return button;
      });
      setGroupState(buttons, record.chosen);
      group.append(...buttons);
      return group;
    }

    /**
     * @param {HTMLButtonElement[]} buttons
     * @param {number | null} chosen
     */
    function setGroupState(buttons, chosen) {
      buttons.forEach((button, index) => {
        button.disabled = chosen !== null;
        button.classList.toggle('pa-quick-reply--chosen', index === chosen);
      });
    }

    /** @param {Clip} clip */
    function renderClip(clip) {
      const titleId = `${ID_PREFIX}clip-${Math.random().toString(36).slice(2, 10)}`;
      const link = makeLink(config.watchClipLabel, clip.url, 'pa-clip__link');
      if (link) {
        link.prepend(icon(ICONS.play, 'pa-clip__icon'));
        // Every card's link has the same words; the title tells them apart for screen readers.
        link.setAttribute('aria-describedby', titleId);
      }
      const article = h('article', { class: 'pa-clip', 'aria-labelledby': titleId }, [
        h('h3', { class: 'pa-clip__title', id: titleId, text: clip.title }),
        clip.description ? h('p', { class: 'pa-clip__description', text: clip.description }) : null,
        link,
        clip.summary
          ? h('details', { class: 'pa-clip__summary' }, [
              h('summary', { text: config.summaryLabel }),
              h('p', { text: clip.summary }),
            ])
          : null,
      ]);
      return h('div', { class: 'pa-msg pa-msg--bot pa-msg--clip' }, [
        speakerPrefix(config.assistantSaidLabel),
        article,
      ]);
    }

    /**
     * A bot-style message that is not part of the conversation (not stored): the offline message or
     * the "sending too fast" message, with their phone links, or a server's reason for refusing a
     * message, shown as plain text. It goes in the log, so screen readers announce it like a reply.
     * @param {SendResult} result
     */
    function renderNotice(result) {
      const bubble = h('p', { class: 'pa-bubble' });
      let kind = 'pa-msg--offline';
      if (result.ok === false && result.kind === 'rejected') {
        bubble.textContent = result.error;
        kind = 'pa-msg--error';
      } else if (result.ok === false && result.kind === 'limited') {
        appendRichText(bubble, result.message || config.rateLimitedMessage);
        kind = 'pa-msg--limited';
      } else {
        appendRichText(bubble, config.offlineMessage);
      }
      const node = h('div', { class: `pa-msg pa-msg--bot ${kind}` }, [
        speakerPrefix(config.assistantSaidLabel),
        bubble,
      ]);
      ui.log.append(node);
      return node;
    }

    function scrollToEnd() {
      ui.log.scrollTop = ui.log.scrollHeight;
    }

    /**
     * Shows the start of a new batch of replies: the end of the log if it all fits, otherwise its
     * first message at the top, so a long answer is read from its beginning.
     * @param {HTMLElement | undefined} first
     */
    function reveal(first) {
      if (!first) return;
      const offset = first.getBoundingClientRect().top - ui.log.getBoundingClientRect().top;
      ui.log.scrollTop = Math.max(0, ui.log.scrollTop + offset - 8); // the browser caps it at the end
    }

    /** @param {number} change */
    function setPending(change) {
      pending = Math.max(0, pending + change);
      const active = pending > 0;
      if (active === ui.typing.classList.contains('pa-typing--active')) return;
      ui.typing.classList.toggle('pa-typing--active', active);
      if (active) {
        const dots = h('span', { class: 'pa-typing__dots', 'aria-hidden': 'true' }, [
          h('span'),
          h('span'),
          h('span'),
        ]);
        ui.typing.replaceChildren(dots, h('span', { class: 'pa-typing__text', text: config.typingLabel }));
      } else {
        ui.typing.replaceChildren();
      }
    }

    /* --- conversation --- */

    /**
     * Sends a message to the bot. `display` is what the person's bubble shows (null: send silently,
     * as for the greeting). On failure the bubble is taken back out and `onFail` restores what the
     * person had, so nothing they typed or chose is lost.
     * @param {string} message
     * @param {{display?: string | null, onFail?: () => void}} [options]
     */
    function converse(message, { display = null, onFail = () => {} } = {}) {
      /** @type {{record: UserRecord, node: HTMLElement} | null} */
      let mine = null;
      if (display !== null) {
        const record = /** @type {UserRecord} */ ({ from: 'user', text: display });
        mine = { record, node: addRecord(record) };
        awaiting.add(record);
        persist();
      }
      setPending(+1);
      scrollToEnd(); // after the indicator appears, as it takes room from the log
      queue = queue.then(async () => {
        // The sender is read now, not when queued: a deletion answered in the meantime changed it.
        const result = await postMessage(webhookUrl, state.sender, message, inFlight);
        if (exiting) return;
        setPending(-1);
        if (mine) awaiting.delete(mine.record);
        if (result.ok) {
          if (conversationDeleted(result.replies)) forgetConversation();
          const nodes = recordsFromServer(result.replies).map(addRecord);
          reveal(nodes[0]);
        } else {
          if (mine) removeRecord(mine.record, mine.node);
          reveal(renderNotice(result));
          onFail();
        }
        persist();
      });
    }

    /**
     * The server has deleted the conversation (its reply said so): forget this browser's copy too, on
     * screen and in storage, and carry on under a new sender id, so nothing sent from now on joins what
     * was deleted. Messages the person sent after asking to delete are still waiting; they belong to the
     * new conversation and stay.
     */
    function forgetConversation() {
      const kept = state.messages.filter((record) => awaiting.has(record));
      closeConfirm();
      storage.clear();
      state.sender = newSenderId();
      state.messages = kept;
      const nodes = kept.map((record) => nodeOf.get(record));
      ui.log.replaceChildren(...nodes.filter((node) => node !== undefined));
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
     * What happens next depends on the reply (see converse and forgetConversation).
     * @param {MouseEvent} event
     */
    function confirmDeletion(event) {
      if (exiting) return;
      closeConfirm();
      // The Delete button is now hidden and would drop focus to the page. As with quick replies, the
      // message box gets it, except on touch screens where that would pop up the keyboard uninvited.
      if (event.detail === 0 || !coarsePointer?.matches) ui.input.focus();
      else ui.deleteButton.focus();
      converse(DELETE_PAYLOAD);
    }

    /** @param {string} text */
    function restoreInput(text) {
      const current = ui.input.value;
      ui.input.value = current.trim() ? `${current}\n${text}` : text;
    }

    function submitTyped() {
      const text = ui.input.value.trim();
      if (!text || exiting) return;
      ui.input.value = '';
      converse(text, { display: text, onFail: () => restoreInput(text) });
    }

    function sendGreetingIfNew() {
      if (greetingSent || state.messages.length > 0 || !config.startMessage) return;
      greetingSent = true;
      converse(config.startMessage, {
        onFail: () => {
          greetingSent = false; // try again next time the panel opens
        },
      });
    }

    /* --- opening and closing --- */

    /** @param {{moveFocus?: boolean}} [options] */
    function openPanel({ moveFocus = true } = {}) {
      state.open = true;
      ui.panel.hidden = false;
      ui.bar.hidden = true;
      ui.launcher.setAttribute('aria-expanded', 'true');
      scrollToEnd();
      if (moveFocus) ui.input.focus();
      persist();
      sendGreetingIfNew();
    }

    function closePanel() {
      closeConfirm();
      state.open = false;
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
      inFlight.forEach((controller) => controller.abort());
      storage.clear();
      state.messages = [];
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
      if (state.open && focusIsOurs) closePanel();
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

    restore();
  }

  /* ------------------------------------------------------------------------------------------------ */
  /* Start                                                                                            */
  /* ------------------------------------------------------------------------------------------------ */

  function mount() {
    const config = readConfig(window.PreventWidgetConfig);
    const baseUrl = findBaseUrl(OWN_SCRIPT);
    if (!config || !baseUrl) {
      // For the site's developers only: the server adds the config line when it serves this file.
      console.error('prevent-assistant: missing PreventWidgetConfig or script address; not started');
      return;
    }
    let root = document.getElementById(MOUNT_ID);
    if (!root) {
      root = h('div', { id: MOUNT_ID });
      document.body.append(root);
    }
    if (root.dataset.paMounted) return; // the script was included twice
    root.dataset.paMounted = 'true';
    loadStylesheet(root, baseUrl);
    startWidget(root, config, baseUrl);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', mount, { once: true });
  } else {
    mount();
  }
})();
