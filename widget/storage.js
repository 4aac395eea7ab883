// @ts-check
/**
 * What the widget keeps in the browser: this tab's sessionStorage only, under one key, and nothing at all
 * when the person ticks "don't keep". Quick exit wipes it (from localStorage too, in case an older
 * version or a host page put something there).
 *
 * The storage areas are passed in, so `node --test` can use a Map-backed fake
 * (tests/widget/storage.test.mjs); in the browser they are window.sessionStorage and localStorage.
 */

/** The one key this widget uses. */
export const STORAGE_KEY = 'prevent-assistant';
const STORAGE_VERSION = 1;
export const MAX_STORED_MESSAGES = 200;
// Same rule as the server: a random id, never anything personal.
const SENDER_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * @typedef {Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>} StorageArea
 * @typedef {'sessionStorage' | 'localStorage'} AreaName
 * @typedef {(name: AreaName) => StorageArea | null | undefined} AreaLookup
 * @typedef {{sender: string, open: boolean, messages: unknown[]}} Snapshot  what is saved; messages are
 *   re-checked by records.recordFromStorage when read back
 */

/**
 * A storage area of this window, or null where the browser refuses access (privacy modes throw on
 * mere access).
 * @type {AreaLookup}
 */
function browserArea(name) {
  try {
    return globalThis.window?.[name] ?? null;
  } catch {
    return null;
  }
}

/**
 * The widget's store. Never throws: storage that is full, refused or edited by hand means the
 * conversation simply isn't kept or isn't restored, which is the safe failure.
 * @param {AreaLookup} [area]
 */
export function createStorage(area = browserArea) {
  /** @param {AreaName} name @returns {StorageArea | null} */
  const reach = (name) => {
    try {
      return area(name) ?? null;
    } catch {
      return null;
    }
  };
  return {
    /**
     * The saved conversation, or null when there is none, it is unreadable or from another version.
     * @returns {Snapshot | null}
     */
    read() {
      let saved;
      try {
        const raw = reach('sessionStorage')?.getItem(STORAGE_KEY);
        saved = raw ? JSON.parse(raw) : null;
      } catch {
        return null;
      }
      if (!saved || typeof saved !== 'object' || saved.v !== STORAGE_VERSION) return null;
      if (typeof saved.sender !== 'string' || !SENDER_PATTERN.test(saved.sender)) return null;
      const messages = Array.isArray(saved.messages) ? saved.messages.slice(-MAX_STORED_MESSAGES) : [];
      return { sender: saved.sender, open: saved.open === true, messages };
    },
    /**
     * Saves the conversation, its last MAX_STORED_MESSAGES messages only.
     * @param {Snapshot} snapshot
     */
    write({ sender, open, messages }) {
      const data = { v: STORAGE_VERSION, sender, open, messages: messages.slice(-MAX_STORED_MESSAGES) };
      try {
        reach('sessionStorage')?.setItem(STORAGE_KEY, JSON.stringify(data));
      } catch {
        // Full or refused: the conversation isn't kept.
      }
    },
    /** Removes the widget's key from both areas. */
    clear() {
      for (const name of /** @type {const} */ (['sessionStorage', 'localStorage'])) {
        try {
          reach(name)?.removeItem(STORAGE_KEY);
        } catch {
          // Nothing we can do; there is nothing of ours there to remove.
        }
      }
    },
  };
}

/** @typedef {ReturnType<typeof createStorage>} WidgetStorage */

/**
 * A random sender id. Random on purpose: it must never be derived from anything about the person.
 * @param {Crypto} [cryptoApi]
 * @returns {string}
 */
export function newSenderId(cryptoApi = globalThis.crypto) {
  if (typeof cryptoApi.randomUUID === 'function') return cryptoApi.randomUUID();
  const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
