// @ts-check
/**
 * Building the widget's interface: the launcher bar, the panel (header, log, typing status, message box)
 * and its footer. Only structure and the names screen readers hear; what happens on a click is wired up
 * in widget.js, and the messages in the log are drawn by view.js.
 */

import { ICONS, ID_PREFIX, h, icon, makeLink } from './dom.js';

const MAX_INPUT_CHARS = 1000;
// The pages the channel serves beside the widget (prevent_assistant/channels/widget.py).
const PRIVACY_PATH = '/privacy';
const ACCESSIBILITY_PATH = '/accessibility';

/** @typedef {import('./config.js').WidgetConfig} WidgetConfig */

/**
 * Splits the launcher wording so small screens can show just its first sentence. The accessible
 * name stays the whole label, and the visible words are always its beginning (WCAG 2.5.3).
 * @param {string} label
 * @returns {[string, string]}
 */
export function splitLauncherLabel(label) {
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
 * The launcher bar: the quick exit and the button that opens the panel.
 * @param {WidgetConfig} config
 * @param {string} panelId
 */
function buildBar(config, panelId) {
  const [launcherShort, launcherRest] = splitLauncherLabel(config.launcherLabel);
  const launcher = h(
    'button',
    {
      type: 'button',
      class: 'pa-launcher',
      'aria-label': config.launcherLabel,
      'aria-haspopup': 'dialog',
      'aria-controls': panelId,
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
  return { bar: h('div', { class: 'pa-bar' }, [barQuickExit, launcher]), launcher, barQuickExit };
}

/**
 * Builds the whole interface inside `root` and returns the elements the rest of the widget uses.
 * @param {HTMLElement} root
 * @param {WidgetConfig} config
 * @param {string} baseUrl
 */
export function buildUi(root, config, baseUrl) {
  const ids = {
    panel: `${ID_PREFIX}panel`,
    title: `${ID_PREFIX}title`,
    subtitle: `${ID_PREFIX}subtitle`,
    input: `${ID_PREFIX}input`,
    keep: `${ID_PREFIX}keep`,
  };
  const { bar, launcher, barQuickExit } = buildBar(config, ids.panel);

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
    h('div', { class: 'pa-keep' }, [
      keep,
      h('label', { class: 'pa-keep__label', for: ids.keep, text: config.keepLabel }),
    ]),
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

/** @typedef {ReturnType<typeof buildUi>} Ui */

/**
 * Adds the widget's stylesheet once. Until it has loaded the widget stays hidden, so the page never
 * flashes unstyled controls; after a few seconds it is shown anyway, because usable beats pretty.
 * @param {HTMLElement} root
 * @param {string} baseUrl
 */
export function loadStylesheet(root, baseUrl) {
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
  setTimeout(reveal, 3000);
  document.head.append(link);
}
