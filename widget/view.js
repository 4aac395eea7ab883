// @ts-check
/**
 * Drawing the conversation in the log: the person's messages, the bot's replies with their quick
 * replies, clip cards, and notices that are not part of the conversation (offline, sending too fast,
 * a refusal). This is the page side of conversation.js's ConversationView.
 */

import { DELETE_PAYLOAD } from './conversation.js';
import { ICONS, ID_PREFIX, appendRichText, h, icon, makeLink, speakerPrefix } from './dom.js';

/**
 * @typedef {import('./config.js').WidgetConfig} WidgetConfig
 * @typedef {import('./ui.js').Ui} Ui
 * @typedef {import('./records.js').MessageRecord} MessageRecord
 * @typedef {import('./records.js').UserRecord} UserRecord
 * @typedef {import('./records.js').BotRecord} BotRecord
 * @typedef {import('./records.js').Clip} Clip
 * @typedef {import('./transport.js').Failure} Failure
 * @typedef {import('./conversation.js').ConversationView} ConversationView
 * @typedef {import('./conversation.js').SayOptions} SayOptions
 *
 * @typedef {Object} ViewActions  what a quick reply can do (widget.js provides them)
 * @property {(message: string, options: SayOptions) => void} say
 * @property {(opener: HTMLElement) => void} askToDelete  opens the "are you sure?" question
 * @property {(event: MouseEvent) => void} focusAfterChoice  where focus goes once a button is used up
 * @property {() => boolean} isExiting
 */

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

/**
 * @param {Ui} ui
 * @param {WidgetConfig} config
 * @param {ViewActions} actions
 * @returns {ConversationView}
 */
export function createView(ui, config, actions) {
  // Each record's element in the log, so a deletion can keep some of them.
  /** @type {WeakMap<MessageRecord, HTMLElement>} */
  const nodeOf = new WeakMap();

  /** @param {UserRecord} record */
  function renderUser(record) {
    return h('div', { class: 'pa-msg pa-msg--user' }, [
      speakerPrefix(config.youSaidLabel),
      h('p', { class: 'pa-bubble', text: record.text }),
    ]);
  }

  /**
   * A reply in another language carries its language, so screen readers switch voice; dir="auto" lets
   * right-to-left scripts (Urdu, Arabic) run the right way. The spoken speaker prefix stays English.
   * @param {BotRecord} record
   */
  function renderBot(record) {
    /** @type {Record<string, string>} */
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
        if (record.chosen !== null || actions.isExiting()) return;
        if (reply.payload === DELETE_PAYLOAD) {
          actions.askToDelete(button); // the same question as the panel's control: it cannot be undone
          return;
        }
        record.chosen = index;
        setGroupState(buttons, index);
        actions.focusAfterChoice(event);
        actions.say(reply.payload, {
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
   * Shows the start of a new batch of replies: the end of the log if it all fits, otherwise its
   * first message at the top, so a long answer is read from its beginning.
   * @param {HTMLElement | undefined} first
   */
  function revealNode(first) {
    if (!first) return;
    const offset = first.getBoundingClientRect().top - ui.log.getBoundingClientRect().top;
    ui.log.scrollTop = Math.max(0, ui.log.scrollTop + offset - 8); // the browser caps it at the end
  }

  return {
    show(record) {
      let node;
      if (record.from === 'user') node = renderUser(record);
      else if (record.from === 'bot') node = renderBot(record);
      else node = renderClip(record.clip);
      nodeOf.set(record, node);
      ui.log.append(node);
    },

    remove(record) {
      nodeOf.get(record)?.remove();
    },

    keepOnly(records) {
      const nodes = records.map((record) => nodeOf.get(record));
      ui.log.replaceChildren(...nodes.filter((node) => node !== undefined));
    },

    reveal(record) {
      revealNode(nodeOf.get(record));
    },

    /**
     * A bot-style message that is not part of the conversation (not stored): the offline message or
     * the "sending too fast" message, with their phone links, or a server's reason for refusing a
     * message, shown as plain text. It goes in the log, so screen readers announce it like a reply.
     */
    showNotice(failure) {
      const bubble = h('p', { class: 'pa-bubble' });
      let kind = 'pa-msg--offline';
      if (failure.kind === 'rejected') {
        bubble.textContent = failure.error;
        kind = 'pa-msg--error';
      } else if (failure.kind === 'limited') {
        appendRichText(bubble, failure.message || config.rateLimitedMessage);
        kind = 'pa-msg--limited';
      } else {
        appendRichText(bubble, config.offlineMessage);
      }
      const node = h('div', { class: `pa-msg pa-msg--bot ${kind}` }, [
        speakerPrefix(config.assistantSaidLabel),
        bubble,
      ]);
      ui.log.append(node);
      revealNode(node);
    },

    setWaiting(active) {
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
    },

    scrollToEnd() {
      ui.log.scrollTop = ui.log.scrollHeight;
    },
  };
}
