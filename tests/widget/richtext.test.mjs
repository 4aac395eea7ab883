// Safe links in bot text (widget/richtext.js): only http, https and tel become links, and nothing the
// bot or the network sends can make the widget throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { richTextParts, safeUrl, trimUrl, ukTelHref } from '../../widget/richtext.js';

/** The words a person would see, links included. */
const shown = (parts) => parts.map((part) => (typeof part === 'string' ? part : part.label)).join('');
const links = (parts) => parts.filter((part) => typeof part !== 'string');

test('a malformed tel: link is unsafe, not an exception', () => {
  assert.equal(safeUrl('tel:%E0%A4%A'), null);
  const text = 'Call [the line](tel:%E0%A4%A) now';
  const parts = richTextParts(text);
  assert.deepEqual(links(parts), []);
  assert.equal(shown(parts), text); // shown exactly as written
});

test('only http, https and tel addresses become links', () => {
  const unsafe = ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://x.example/a', 'tel:call-me', 'x'];
  for (const raw of unsafe) {
    assert.equal(safeUrl(raw), null, raw);
  }
  assert.equal(safeUrl('https://www.gov.uk/prevent')?.href, 'https://www.gov.uk/prevent');
  assert.equal(safeUrl('tel:+448000113764')?.protocol, 'tel:');
  const parts = richTextParts('[click](javascript:alert(1)) and [gov](https://www.gov.uk)');
  assert.deepEqual(links(parts), [{ label: 'gov', href: 'https://www.gov.uk/', newTab: true }]);
});

test('phone numbers and 999 become tel: links that stay in the tab', () => {
  const parts = richTextParts('Call 0800 011 3764, or 999 in an emergency. Not 19990 or 999.5.');
  assert.deepEqual(links(parts), [
    { label: '0800 011 3764', href: 'tel:+448000113764', newTab: false },
    { label: '999', href: 'tel:999', newTab: false },
  ]);
  assert.equal(shown(parts), 'Call 0800 011 3764, or 999 in an emergency. Not 19990 or 999.5.');
  assert.equal(ukTelHref('0800 011 3764'), 'tel:+448000113764');
});

test("a bare URL keeps the sentence's full stop out of the link", () => {
  const parts = richTextParts('See https://www.gov.uk/prevent. Then ask.');
  const url = 'https://www.gov.uk/prevent';
  assert.deepEqual(links(parts), [{ label: url, href: url, newTab: true }]);
  assert.equal(shown(parts), 'See https://www.gov.uk/prevent. Then ask.');
  assert.equal(trimUrl('https://en.wikipedia.org/wiki/A_(b))'), 'https://en.wikipedia.org/wiki/A_(b)');
});

test('markup stays text', () => {
  const text = '<img src=x onerror=alert(1)> [x](https://a.example)';
  const parts = richTextParts(text);
  assert.equal(parts[0], '<img src=x onerror=alert(1)> ');
  assert.equal(links(parts).length, 1);
});
