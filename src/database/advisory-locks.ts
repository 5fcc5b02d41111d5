/**
 * Every PostgreSQL advisory-lock namespace the app uses, in one place, so two kinds of work never share
 * a key by accident. The second key of a lock is the ticket id (or 0 for app-wide locks).
 */
export const LOCKS = {
  /** One `ticket.sync` per ticket at a time (topic, card, customer copies). */
  sync: 7301,
  /** The one instance that polls Telegram. */
  poll: 7302,
  /** One `ticket.deliver` per ticket at a time (agent answers to the customer). */
  deliver: 7303,
} as const;

export type LockNamespace = (typeof LOCKS)[keyof typeof LOCKS];
