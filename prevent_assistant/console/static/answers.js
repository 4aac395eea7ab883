// The answer and clip edit form, live: as the person types, the preview is redrawn with the chat widget's
// own modules (served from the project's widget/ folder at /widget/), and the form is sent to
// /answers/check, which runs the same rules as `prevent-assistant validate` and answers with the word
// count, reading ease and source check in words, and any rule messages. Nothing is saved until the person
// presses the button. Without JavaScript the page shows the checks as they were when it was drawn.
import { ICONS, ID_PREFIX, appendRichText, h, icon, makeLink, speakerPrefix } from '/widget/dom.js';

const form = document.getElementById('answer-form');
const preview = document.getElementById('answer-preview');
const status = document.getElementById('checks-status');
const list = document.getElementById('check-messages');
const WAIT_MS = 250;
// A clip's chat message follows its title and link; the server works it out (first drawn in the page).
let chatText = preview.textContent.trim();

function field(name) {
  const element = form.elements.namedItem(name);
  return element ? element.value : '';
}

// A bot message as view.js draws one: the speaker prefix for screen readers, then the text with safe links.
function botMessage(text) {
  const node = h('div', { class: 'pa-msg pa-msg--bot' }, [speakerPrefix(preview.dataset.assistantLabel)]);
  if (text.trim()) {
    const bubble = h('p', { class: 'pa-bubble' });
    appendRichText(bubble, text);
    node.append(bubble);
  }
  return node;
}

// A clip card as view.js's renderClip draws one, from the form's fields.
function clipCard() {
  const titleId = `${ID_PREFIX}preview-clip`;
  const link = makeLink(preview.dataset.watchLabel, field('url').trim(), 'pa-clip__link');
  if (link) {
    link.prepend(icon(ICONS.play, 'pa-clip__icon'));
    link.setAttribute('aria-describedby', titleId);
  }
  const summary = field('summary');
  const article = h('article', { class: 'pa-clip', 'aria-labelledby': titleId }, [
    h('h3', { class: 'pa-clip__title', id: titleId, text: field('title') }),
    field('description') ? h('p', { class: 'pa-clip__description', text: field('description') }) : null,
    link,
    summary
      ? h('details', { class: 'pa-clip__summary' }, [
          h('summary', { text: preview.dataset.summaryLabel }),
          h('p', { text: summary }),
        ])
      : null,
  ]);
  return h('div', { class: 'pa-msg pa-msg--bot pa-msg--clip' }, [
    speakerPrefix(preview.dataset.assistantLabel),
    article,
  ]);
}

function drawPreview(text) {
  const nodes = [botMessage(text)];
  if (preview.dataset.kind === 'clip') nodes.push(clipCard());
  preview.replaceChildren(...nodes);
}

function showChecks(found) {
  if (found.figures) {
    document.getElementById('figure-words').textContent = found.figures.words;
    document.getElementById('figure-reading-ease').textContent = found.figures.reading_ease;
    document.getElementById('figure-source').textContent = found.figures.source;
  }
  const messages = found.messages || [];
  const wording = messages.length ? status.dataset.problems : status.dataset.allGood;
  if (status.textContent !== wording) status.textContent = wording; // spoken only when it changes
  list.replaceChildren(...messages.map((message) => h('li', { text: message })));
}

let latest = 0;
async function check() {
  const asked = ++latest;
  let answer;
  try {
    answer = await fetch(form.dataset.checkUrl, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
  } catch {
    return; // offline for a moment: the next key press tries again
  }
  if (answer.redirected && new URL(answer.url).pathname === '/login') {
    window.location.assign(answer.url); // the session has ended: show the sign-in page and say so
    return;
  }
  if (!answer.ok || asked !== latest) return;
  const found = await answer.json();
  if (asked !== latest) return;
  showChecks(found);
  if (preview.dataset.kind === 'clip') {
    chatText = found.chat_text;
    drawPreview(chatText);
  }
}

let timer;
function redraw() {
  drawPreview(preview.dataset.kind === 'clip' ? chatText : field('text'));
}

form.addEventListener('input', () => {
  // Typed before this module ran (it loads after the page): draw and check what is there now.
redraw();
check();
  window.clearTimeout(timer);
  timer = window.setTimeout(check, WAIT_MS);
});
// Typed before this module ran (it loads after the page): draw and check what is there now.
redraw();
check();
