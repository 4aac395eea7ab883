// The conversation as data (widget/records.js): replies and stored records are checked field by field.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { conversationDeleted, recordFromStorage, recordsFromServer } from '../../widget/records.js';

test('replies become bot and clip records, and a language tag joins the text before it', () => {
  const records = recordsFromServer([
    { text: 'Hello', buttons: [{ title: ' Yes ', payload: '/affirm' }, { title: '', payload: '/x' }, 'x'] },
    { custom: { clip: { title: 'A clip', url: 'https://v.example/1', extra: 1 } } },
    { text: 'Helo' },
    { custom: { language: 'cy' } },
    { custom: { language: '<script>' } },
    null,
    42,
  ]);
  assert.deepEqual(records, [
    { from: 'bot', text: 'Hello', buttons: [{ title: 'Yes', payload: '/affirm' }], chosen: null, lang: null },
    { from: 'clip', clip: { title: 'A clip', url: 'https://v.example/1', description: '', summary: '' } },
    { from: 'bot', text: 'Helo', buttons: [], chosen: null, lang: 'cy' },
  ]);
});

test('only the explicit flag says the conversation was deleted', () => {
  assert.equal(conversationDeleted([{ text: 'Deleted.' }, { custom: { conversation_deleted: true } }]), true);
  const notDeleted = [{ text: 'Could not delete.' }, { custom: { conversation_deleted: 'yes' } }];
  assert.equal(conversationDeleted(notDeleted), false);
});

test('stored records are re-checked: edited or old ones are dropped or mended', () => {
  assert.deepEqual(recordFromStorage({ from: 'user', text: 'hi' }), { from: 'user', text: 'hi' });
  assert.equal(recordFromStorage({ from: 'user', text: '' }), null);
  assert.equal(recordFromStorage({ from: 'admin', text: 'x' }), null);
  assert.equal(recordFromStorage('a string'), null);
  const buttons = [{ title: 'Yes', payload: '/y' }];
  const bot = recordFromStorage({ from: 'bot', text: 'Q?', buttons, chosen: 3, lang: 'x y' });
  assert.deepEqual(bot, { from: 'bot', text: 'Q?', buttons, chosen: null, lang: null });
  assert.equal(recordFromStorage({ from: 'bot', text: 'Q?', buttons, chosen: 0 }).chosen, 0);
  assert.equal(recordFromStorage({ from: 'clip', clip: { url: 'https://x' } }), null);
});

test('very long text is cut, not refused', () => {
  const [record] = recordsFromServer([{ text: 'a'.repeat(20000) }]);
  assert.equal(record.text.length, 10000);
});
