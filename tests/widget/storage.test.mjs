// What the widget keeps in the browser (widget/storage.js), with Map-backed storage areas.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_STORED_MESSAGES, STORAGE_KEY, createStorage, newSenderId } from '../../widget/storage.js';

function fakeArea() {
  const items = new Map();
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

function fakeAreas() {
  const areas = { sessionStorage: fakeArea(), localStorage: fakeArea() };
  return { areas, storage: createStorage((name) => areas[name]) };
}

test('a conversation saved is read back, in this tab only', () => {
  const { areas, storage } = fakeAreas();
  storage.write({ sender: 'abcdefgh-1234', open: true, messages: [{ from: 'user', text: 'hi' }] });
  const saved = { sender: 'abcdefgh-1234', open: true, messages: [{ from: 'user', text: 'hi' }] };
  assert.deepEqual(storage.read(), saved);
  assert.equal(areas.localStorage.items.size, 0);
  assert.deepEqual([...areas.sessionStorage.items.keys()], [STORAGE_KEY]);
});

test('only the last messages are kept', () => {
  const { storage } = fakeAreas();
  const count = MAX_STORED_MESSAGES + 5;
  const messages = Array.from({ length: count }, (_, n) => ({ from: 'user', text: `m${n}` }));
  storage.write({ sender: 'abcdefgh', open: false, messages });
  const saved = storage.read();
  assert.equal(saved.messages.length, MAX_STORED_MESSAGES);
  assert.equal(saved.messages[0].text, 'm5');
});

test('an unusable saved conversation reads as none', () => {
  const { areas, storage } = fakeAreas();
  const unusable = [
    '{not json',
    '{"v": 2, "sender": "abcdefgh"}',
    '{"v": 1, "sender": "me"}',
    '{"v": 1, "sender": "a b c d e f g"}',
  ];
  for (const raw of unusable) {
    areas.sessionStorage.setItem(STORAGE_KEY, raw);
    assert.equal(storage.read(), null, raw);
  }
});

test('clear removes the key from both areas', () => {
  const { areas, storage } = fakeAreas();
  areas.sessionStorage.setItem(STORAGE_KEY, '{}');
  areas.localStorage.setItem(STORAGE_KEY, '{}');
  areas.localStorage.setItem('host-page', 'theirs');
  storage.clear();
  assert.equal(areas.sessionStorage.items.size, 0);
  assert.deepEqual([...areas.localStorage.items.keys()], ['host-page']);
});

test('refused or full storage never throws', () => {
  const refusing = createStorage(() => {
    throw new Error('SecurityError');
  });
  assert.equal(refusing.read(), null);
  refusing.write({ sender: 'abcdefgh', open: false, messages: [] });
  refusing.clear();
  const full = createStorage(() => ({
    getItem: () => null,
    setItem: () => {
      throw new Error('QuotaExceededError');
    },
    removeItem: () => {},
  }));
  full.write({ sender: 'abcdefgh', open: false, messages: [] });
  assert.equal(full.read(), null);
});

test('sender ids are random and of the form the server accepts', () => {
  const ids = new Set(Array.from({ length: 50 }, () => newSenderId()));
  assert.equal(ids.size, 50);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{8,64}$/);
  const noUuid = { getRandomValues: (bytes) => globalThis.crypto.getRandomValues(bytes) };
  assert.match(newSenderId(noUuid), /^[0-9a-f]{32}$/);
});
