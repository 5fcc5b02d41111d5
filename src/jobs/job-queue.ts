import type { EntityManager } from 'typeorm';

/** Every durable job, by name, with its payload. */
export interface JobMap {
  /** Make the ticket's topic exist and copy its pending customer messages into it, in order. */
  'ticket.sync': { ticketId: number };
  /** Send the acknowledgement that could not be sent inline (Telegram down, a crash right after COMMIT). */
  'ticket.ack': { ticketId: number };
  /** Copy the agents' pending answers of a ticket to the customer, in order. */
  'ticket.deliver': { ticketId: number };
  /** The visible side of closing and reopening: the topic's state and title, notes, the customer's message. */
  'ticket.lifecycle': { ticketId: number; event: 'closed' | 'reopened' | 'kept-open' | 'rated' | 'commented'; by: 'customer' | 'agent' | 'auto'; agentName?: string };
  /** Mirror an edit to the copy on the other side. */
  'message.edit': { rowId: number; text?: string; caption?: string; entities?: unknown[] };
  /** The customer blocked or unblocked the bot: say so in the open ticket's topic. */
  'customer.reachability': { customerId: number; blocked: boolean };
  /** Ask the AI for the ticket's topic title, store it, and rename the topic if it already exists. */
  'ai.title': { ticketId: number };
  /** The AI's first answer (a draft for agents or an automatic answer); `waits` counts rounds spent waiting for the topic. */
  'ai.answer': { ticketId: number; waits?: number };
  /** The team's group work about a ticket: the card's assignee, a mention, the SLA reminder, a ready answer, a note. */
  'team.work': TeamWork;
}

export type TeamWork =
  | { kind: 'card'; ticketId: number }
  | { kind: 'mention'; ticketId: number }
  | { kind: 'sla'; ticketId: number }
  | { kind: 'ready'; ticketId: number; name: string; agentName: string }
  | { kind: 'note'; ticketId: number; key: string; vars: Record<string, string | number> };
export type JobName = keyof JobMap;
export const JOB_NAMES: readonly JobName[] = ['ticket.sync', 'ticket.ack', 'ticket.deliver', 'ticket.lifecycle', 'message.edit', 'customer.reachability', 'ai.title', 'ai.answer', 'team.work'];

export interface SendOptions {
  /**
   * Write the job in this transaction (the UnitOfWork passes it; services send through `Tx.send`). A job
   * sent without one is committed at once, and the driver wakes its workers itself.
   */
  tx?: EntityManager;
  startAfterSeconds?: number;
  /** A key and window within which a second identical job is not created. */
  singleton?: { key: string; seconds: number };
  /** Fetched before jobs of a lower priority (default 0) waiting in the same queue. */
  priority?: number;
}

/** A job a unit of work will write just before its COMMIT. */
export interface PendingJob {
  name: JobName;
  data: JobMap[JobName];
  options: Omit<SendOptions, 'tx'>;
}

export interface JobContext {
  id: string;
  retryCount: number;
  priority?: number;
}

/**
 * "Not yet, try later": a handler that throws an error with `deferForSeconds` (a JobDeferred, or a
 * Telegram error about missing access) has its job sent again to start after that many seconds; the
 * attempt does not count against the job's retries.
 */
export class JobDeferred extends Error {
  constructor(
    readonly deferForSeconds: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'JobDeferred';
  }
}

export function deferralOf(error: unknown): number | undefined {
  const seconds = (error as { deferForSeconds?: unknown } | null)?.deferForSeconds;
  return typeof seconds === 'number' && seconds > 0 ? seconds : undefined;
}

export type JobHandler<N extends JobName> = (data: JobMap[N], job: JobContext) => Promise<void>;

/** The port every module uses for durable work; pg-boss in the app, a synchronous driver in unit tests. */
export abstract class JobQueue {
  abstract send<N extends JobName>(name: N, data: JobMap[N], options?: SendOptions): Promise<void>;
  /** Writes several jobs in the transaction `tx` (one statement where the driver can); the UnitOfWork's jobs go this way. */
  async sendAll(jobs: PendingJob[], tx: EntityManager): Promise<void> {
    for (const job of jobs) await this.send(job.name, job.data as never, { ...job.options, tx });
  }
  /** Wakes this instance's workers of a queue at once instead of at their next poll; the UnitOfWork calls it after COMMIT. */
  abstract wake(name: JobName): void;
  /** Registers the handler; workers start when the application has bootstrapped. */
  abstract handle<N extends JobName>(name: N, handler: JobHandler<N>): void;
}
