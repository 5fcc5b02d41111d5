/**
 * Every lock the app uses, in one place, so two kinds of work never share a key by accident.
 *
 * Advisory locks are session locks: each holds a connection for as long as it is held, so only the one
 * long-lived lock is one (polling leadership, a single connection per instance).
 * The budget lock is a transaction's (pg_advisory_xact_lock), held for a few milliseconds.
 */
export const LOCKS = {
  /** The one instance that polls Telegram (second key 0). */
  poll: 7302,
  /** Held while the schema migrations run, so instances started together migrate one after another. */
  migrations: 7303,
  /** Taken for a moment (a transaction's lock) by an instance raising its part of the shared Telegram budget. */
  budget: 7304,
} as const;

export type LockNamespace = (typeof LOCKS)[keyof typeof LOCKS];

/**
 * Per-ticket work that must not run twice at once, serialised by leases (`work_leases`, keyed by the
 * ticket id) that hold no connection while the work waits for Telegram.
 */
export const LEASES = {
  /** One `ticket.sync` per ticket at a time (topic, card, customer copies). */
  sync: 'ticket.sync',
  /** One `ticket.deliver` per ticket at a time (agent answers to the customer). */
  deliver: 'ticket.deliver',
} as const;

export type LeaseKind = (typeof LEASES)[keyof typeof LEASES];
