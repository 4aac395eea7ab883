// @ts-check
/**
 * The conversation: the messages so far, the sender id they go under, and the queue that sends them one
 * at a time so replies arrive in order.
 *
 * No DOM here: the page is reached through a ConversationView (view.js builds it) and the server through
 * a `send` function (transport.js), so `node --test` drives this module with fakes of both
 * (tests/widget/conversation.test.mjs). One rule above the others: a reply that cannot be shown, or any
 * other error in one turn, is reported and skipped; it never stops the turns after it.
 */

import { conversationDeleted, recordFromStorage, recordsFromServer } from './records.js';

// Sent to delete the conversation; an intent name rather than wording, so it lives here, not in the
// content file. The about-the-assistant reply offers a quick reply with the same payload.
export const DELETE_PAYLOAD = '/delete_conversation';

/**
 * @typedef {import('./records.js').MessageRecord} MessageRecord
 * @typedef {import('./records.js').UserRecord} UserRecord
 * @typedef {import('./transport.js').SendResult} SendResult
 * @typedef {import('./transport.js').Failure} Failure
 * @typedef {import('./storage.js').Snapshot} Snapshot
 *
 * @typedef {Object} ConversationView  what the conversation asks of the page
 * @property {(record: MessageRecord) => void} show  appends a record's message to the log (may throw)
 * @property {(record: MessageRecord) => void} remove  takes one back out
 * @property {(records: MessageRecord[]) => void} keepOnly  the log shows these records and nothing else
 * @property {(record: MessageRecord) => void} reveal  scrolls so a new batch of replies reads from its start
 * @property {(failure: Failure) => void} showNotice  why a message got no reply (not stored)
 * @property {(waiting: boolean) => void} setWaiting  the "assistant is typing" indicator
 * @property {() => void} scrollToEnd
 *
 * @typedef {Object} ConversationDeps
 * @property {(sender: string, message: string) => Promise<SendResult>} send
 * @property {ConversationView} view
 * @property {() => string} newSenderId
 * @property {() => void} onChange  the conversation changed: save it (if the person lets us)
 * @property {() => void} onForget  the server deleted the conversation: clear this device's copy
 * @property {(error: unknown) => void} onError  for the site's developers; never carries message text
 *
 * @typedef {{display?: string | null, onFail?: () => void}} SayOptions
 */

/**
 * Runs tasks one after another. A task that fails is handed to `onError` and the next task still runs:
 * chaining `queue = queue.then(task)` alone would leave the queue rejected after one failure, and every
 * later message would be dropped without a word.
 */
export class SendQueue {
  /** @param {(error: unknown) => void} onError */
  constructor(onError) {
    this.onError = onError;
    /** @type {Promise<void>} */
    this.tail = Promise.resolve();
  }

  /**
   * @param {() => Promise<void> | void} task
   * @returns {Promise<void>} settles (never rejects) when the task is done
   */
  add(task) {
    const run = this.tail.then(task).catch((error) => {
      try {
        this.onError(error);
      } catch {
        // A reporter that fails must not stop the queue either.
      }
    });
    this.tail = run;
    return run;
  }
}

export class Conversation {
  /** @param {ConversationDeps} deps */
  constructor(deps) {
    this.deps = deps;
    this.sender = deps.newSenderId();
    /** @type {MessageRecord[]} */
    this.messages = [];
    // The person's messages still waiting for their replies: they outlive a deletion sent before them.
    /** @type {Set<MessageRecord>} */
    this.awaiting = new Set();
    this.pending = 0;
    this.stopped = false;
    this.queue = new SendQueue(deps.onError);
  }

  /**
   * Shows a record and keeps it. A record the page cannot show is reported and left out, not kept, so
   * it cannot break the rest of its batch, a later turn, or the next restore from storage.
   * @param {MessageRecord} record
   * @returns {boolean} whether it was shown
   */
  add(record) {
    try {
      this.deps.view.show(record);
    } catch (error) {
      this.deps.onError(error);
      return false;
    }
    this.messages.push(record);
    return true;
  }

  /**
   * Picks up a saved conversation (storage.read() has checked its sender id; each record is checked here).
   * @param {Snapshot} snapshot
   */
  restore(snapshot) {
    this.sender = snapshot.sender;
    for (const raw of snapshot.messages) {
      const record = recordFromStorage(raw);
      if (record) this.add(record);
    }
  }

  /** @param {number} change */
  setPending(change) {
    const before = this.pending > 0;
    this.pending = Math.max(0, this.pending + change);
    if (before !== this.pending > 0) this.deps.view.setWaiting(this.pending > 0);
  }

  /**
   * Sends a message to the bot. `display` is what the person's bubble shows (null: send silently, as
   * for the greeting and a deletion). On failure the bubble is taken back out and `onFail` restores
   * what the person had, so nothing they typed or chose is lost.
   * @param {string} message
   * @param {SayOptions} [options]
   * @returns {Promise<void>} settles when the reply has been handled
   */
  say(message, { display = null, onFail = () => {} } = {}) {
    /** @type {UserRecord | null} */
    let mine = null;
    if (display !== null) {
      mine = { from: 'user', text: display };
      if (this.add(mine)) this.awaiting.add(mine);
      this.deps.onChange();
    }
    this.setPending(+1);
    this.deps.view.scrollToEnd(); // after the indicator appears, as it takes room from the log
    return this.queue.add(async () => {
      // The sender is read now, not when queued: a deletion answered in the meantime changed it.
      const result = await this.send(message);
      if (this.stopped) return;
      this.setPending(-1);
      if (mine) this.awaiting.delete(mine);
      if (result.ok) {
        if (conversationDeleted(result.replies)) this.forget();
        const shown = recordsFromServer(result.replies).filter((record) => this.add(record));
        if (shown.length) this.deps.view.reveal(shown[0]);
      } else {
        if (mine) this.takeBack(mine);
        this.deps.view.showNotice(result);
        onFail();
      }
      this.deps.onChange();
    });
  }

  /**
   * The server's answer to one message; a `send` that throws (it should not) counts as "cannot reach".
   * @param {string} message
   * @returns {Promise<SendResult>}
   */
  async send(message) {
    try {
      return await this.deps.send(this.sender, message);
    } catch (error) {
      this.deps.onError(error);
      return { ok: false, kind: 'offline' };
    }
  }

  /** @param {MessageRecord} record */
  takeBack(record) {
    const index = this.messages.indexOf(record);
    if (index >= 0) this.messages.splice(index, 1);
    this.deps.view.remove(record);
  }

  /**
   * The server has deleted the conversation (its reply said so): forget this browser's copy too, on
   * screen and in storage, and carry on under a new sender id, so nothing sent from now on joins what
   * was deleted. Messages the person sent after asking to delete are still waiting; they belong to the
   * new conversation and stay.
   */
  forget() {
    const kept = this.messages.filter((record) => this.awaiting.has(record));
    this.deps.onForget();
    this.sender = this.deps.newSenderId();
    this.messages = kept;
    this.deps.view.keepOnly(kept);
  }

  /** Quick exit: drop everything, and ignore any reply still on its way. */
  stop() {
    this.stopped = true;
    this.messages = [];
    this.awaiting.clear();
  }
}
