// @ts-check
/**
 * Talking to the server: fetching the wording, and posting one message with a timeout.
 *
 * Nothing here touches the page, and nothing throws: every failure becomes a result the conversation
 * can explain to the person. tests/widget/transport.test.mjs runs it against a real local HTTP server.
 */

export const REQUEST_TIMEOUT_MS = 10000;

/**
 * @typedef {{ok: true, replies: unknown[]}} Delivered
 * @typedef {{ok: false, kind: 'offline'}} Offline  cannot reach: network failure, timeout, 5xx, odd answer
 * @typedef {{ok: false, kind: 'rejected', error: string}} Rejected  a 4xx with the server's reason
 * @typedef {{ok: false, kind: 'limited', message: string}} Limited  a 429, with the server's words if any
 * @typedef {Offline | Rejected | Limited} Failure
 * @typedef {Delivered | Failure} SendResult
 */

/**
 * A response's JSON body, or null when there is none.
 * @param {Response} response
 * @returns {Promise<unknown>}
 */
async function jsonOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * A string field of a JSON body, or ''.
 * @param {unknown} body
 * @param {string} key
 * @returns {string}
 */
function stringField(body, key) {
  const value = body && typeof body === 'object' ? /** @type {Record<string, unknown>} */ (body)[key] : null;
  return typeof value === 'string' ? value : '';
}

/**
 * POSTs one message. 5xx, network failure and the timeout all mean "cannot reach"; a 4xx carries the
 * server's reason, and a 429 (sending too fast) also words for the person, which are shown instead.
 * @param {string} url
 * @param {string} sender
 * @param {string} message
 * @param {{inFlight?: Set<AbortController>, timeoutMs?: number}} [options] inFlight lets quick exit
 *   cancel requests
 * @returns {Promise<SendResult>}
 */
export async function postMessage(url, sender, message, options = {}) {
  const { inFlight = new Set(), timeoutMs = REQUEST_TIMEOUT_MS } = options;
  const controller = new AbortController();
  inFlight.add(controller);
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender, message }),
      signal: controller.signal,
      cache: 'no-store',
      credentials: 'omit', // the bot needs no cookies, so none of the host site's are sent
    });
    const body = await jsonOf(response);
    if (response.ok) {
      return Array.isArray(body) ? { ok: true, replies: body } : { ok: false, kind: 'offline' };
    }
    if (response.status === 429) return { ok: false, kind: 'limited', message: stringField(body, 'message') };
    const error = stringField(body, 'error');
    if (response.status >= 400 && response.status < 500 && error) {
      return { ok: false, kind: 'rejected', error };
    }
    return { ok: false, kind: 'offline' };
  } catch {
    return { ok: false, kind: 'offline' };
  } finally {
    clearTimeout(timer);
    inFlight.delete(controller);
  }
}

/**
 * The widget's wording (content/widget.yml, served as JSON beside the modules), or null when it cannot
 * be had. Fetched, not prepended to the script, so the script is the same file on every site.
 * @param {string} url
 * @param {number} [timeoutMs]
 * @returns {Promise<unknown>}
 */
export async function fetchWording(url, timeoutMs = REQUEST_TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal, credentials: 'omit' });
    return response.ok ? await jsonOf(response) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
