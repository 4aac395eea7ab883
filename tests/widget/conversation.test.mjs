// The conversation and its send queue (widget/conversation.js), with a fake page and a fake server.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Conversation, SendQueue } from '../../widget/conversation.js';

test('the queue runs the task after one that failed, in order', async () => {
  const errors = [];
  const ran = [];
  const queue = new SendQueue((error) => errors.push(error.message));
  queue.add(async () => ran.push(1));
  queue.add(async () => {
    throw new Error('rendering failed');
  });
  queue.add(() => {
    throw new Error('and again');
  });
  await queue.add(async () => ran.push(4));
  assert.deepEqual(ran, [1, 4]);
  assert.deepEqual(errors, ['rendering failed', 'and again']);
});

test('a reporter that throws does not stop the queue either', async () => {
  const queue = new SendQueue(() => {
    throw new Error('reporter broke');
  });
  queue.add(() => {
    throw new Error('task broke');
  });
  let ran = false;
  await queue.add(() => {
    ran = true;
  });
  assert.equal(ran, true);
});

/** A page that records what it was asked to show; rendering text containing BOOM throws. */
function fakeView() {
  const view = {
    log: [],
    notices: [],
    waiting: [],
    show(record) {
      if (record.text?.includes('BOOM')) throw new TypeError('cannot render');
      view.log.push(record);
    },
    remove(record) {
      view.log = view.log.filter((shown) => shown !== record);
    },
    keepOnly(records) {
      view.log = view.log.filter((shown) => records.includes(shown));
    },
    reveal() {},
    showNotice(failure) {
      view.notices.push(failure.kind);
    },
    setWaiting(active) {
      view.waiting.push(active);
    },
    scrollToEnd() {},
  };
  return view;
}

/** A conversation whose server answers each message from `answers` (a function of sender and message). */
function conversationWith(answers) {
  const view = fakeView();
  const events = { errors: [], changes: 0, forgotten: 0, sent: [] };
  let ids = 0;
  const conversation = new Conversation({
    send: async (sender, message) => {
      events.sent.push([sender, message]);
      return answers(sender, message);
    },
    view,
    newSenderId: () => `sender-${++ids}-abcdefgh`,
    onChange: () => events.changes++,
    onForget: () => events.forgotten++,
    onError: (error) => events.errors.push(error.name),
  });
  return { conversation, view, events };
}

const reply = (text) => ({ ok: true, replies: [{ text }] });
const texts = (view) => view.log.map((record) => record.text);

test('a reply that cannot be shown does not stop the replies after it', async () => {
  const { conversation, view, events } = conversationWith((_, message) =>
    message === 'first'
      ? { ok: true, replies: [{ text: 'BOOM' }, { text: 'rest of the first' }] }
      : reply(`re: ${message}`),
  );
  conversation.say('first', { display: 'first' });
  await conversation.say('second', { display: 'second' });
  assert.deepEqual(texts(view), ['first', 'second', 'rest of the first', 're: second']);
  assert.deepEqual(events.errors, ['TypeError']);
  assert.equal(conversation.pending, 0);
  assert.deepEqual(view.waiting, [true, false]); // the typing indicator went away
  assert.ok(!conversation.messages.some((record) => record.text === 'BOOM')); // not kept to break a restore
});

test('an error anywhere in a turn is reported and the next turn still runs', async () => {
  const { conversation, view, events } = conversationWith((_, message) => reply(`re: ${message}`));
  view.reveal = () => {
    throw new RangeError('layout broke');
  };
  conversation.say('one');
  await conversation.say('two');
  assert.deepEqual(texts(view), ['re: one', 're: two']);
  assert.deepEqual(events.errors, ['RangeError', 'RangeError']);
});

test('a send that throws counts as offline, and what the person wrote goes back', async () => {
  let restored = null;
  const { conversation, view, events } = conversationWith(() => {
    throw new Error('network layer broke');
  });
  await conversation.say('hello', { display: 'hello', onFail: () => (restored = 'hello') });
  assert.deepEqual(view.log, []); // the bubble is taken back out
  assert.deepEqual(view.notices, ['offline']);
  assert.equal(restored, 'hello');
  assert.deepEqual(events.errors, ['Error']);
  assert.deepEqual(conversation.messages, []);
});

test('a failure shows its notice and keeps the conversation as it was', async () => {
  const { conversation, view } = conversationWith((_, message) =>
    message === 'too fast' ? { ok: false, kind: 'limited', message: '' } : reply('answer'),
  );
  await conversation.say('question', { display: 'question' });
  await conversation.say('too fast', { display: 'too fast' });
  assert.deepEqual(texts(view), ['question', 'answer']);
  assert.deepEqual(view.notices, ['limited']);
});

test('a deletion the server confirms starts a new conversation, keeping messages sent after it', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const { conversation, view, events } = conversationWith(async (sender, message) => {
    if (message === '/delete_conversation') {
      await gate;
      return { ok: true, replies: [{ text: 'Deleted.' }, { custom: { conversation_deleted: true } }] };
    }
    return reply(`re: ${message}`);
  });
  await conversation.say('private', { display: 'private' });
  const oldSender = conversation.sender;
  const deleting = conversation.say('/delete_conversation');
  const after = conversation.say('new question', { display: 'new question' });
  release();
  await deleting;
  assert.deepEqual(texts(view), ['new question', 'Deleted.']);
  assert.equal(events.forgotten, 1);
  assert.notEqual(conversation.sender, oldSender);
  await after;
  assert.deepEqual(events.sent.at(-1), [conversation.sender, 'new question']); // sent under the new id
});

test('a reply that could not delete leaves everything as it was', async () => {
  const { conversation, view, events } = conversationWith((_, message) =>
    message === '/delete_conversation' ? reply('Sorry, I could not delete it.') : reply('answer'),
  );
  await conversation.say('question', { display: 'question' });
  const sender = conversation.sender;
  await conversation.say('/delete_conversation');
  assert.deepEqual(texts(view), ['question', 'answer', 'Sorry, I could not delete it.']);
  assert.equal(conversation.sender, sender);
  assert.equal(events.forgotten, 0);
});

test('after quick exit, replies still on their way are ignored', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const { conversation, view } = conversationWith(async () => {
    await gate;
    return reply('late answer');
  });
  const waiting = conversation.say('hello', { display: 'hello' });
  conversation.stop();
  release();
  await waiting;
  assert.deepEqual(texts(view), ['hello']); // only what was on screen before; the page is wiped by widget.js
  assert.deepEqual(conversation.messages, []);
});

test('a saved conversation is restored record by record, skipping what cannot be shown', () => {
  const { conversation, view } = conversationWith(() => reply(''));
  conversation.restore({
    sender: 'saved-sender-1',
    open: true,
    messages: [
      { from: 'user', text: 'hi' },
      { from: 'bot', text: 'BOOM' },
      { from: 'nobody' },
      { from: 'bot', text: 'hello' },
    ],
  });
  assert.equal(conversation.sender, 'saved-sender-1');
  assert.deepEqual(texts(view), ['hi', 'hello']);
  assert.equal(conversation.messages.length, 2);
});
