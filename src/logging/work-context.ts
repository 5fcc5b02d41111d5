import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the code running now is about: the Telegram update being handled, its chat, the ticket, the job.
 * Set where an update is handled (the inbox) and where a job runs (the job driver), and carried by
 * AsyncLocalStorage through everything they await, so every log line written meanwhile names them
 * without each call site passing them on.
 */
export interface WorkContext {
  updateId?: number;
  chat?: number;
  ticket?: number;
  job?: string;
  /** When the update reached the inbox (epoch ms): the start of the time to acknowledgement. */
  receivedAt?: number;
}

const storage = new AsyncLocalStorage<WorkContext>();

/** Runs `work` with `context` added to the current one. */
export function withWorkContext<T>(context: WorkContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, work);
}

export function currentWork(): WorkContext | undefined {
  return storage.getStore();
}

/**
 * The ticket the current update turned out to be about (known only once the database said so). It is
 * added to the running context itself, so the lines that follow, after COMMIT too, carry it.
 */
export function noteTicket(ticketId: number): void {
  const context = storage.getStore();
  if (context) context.ticket = ticketId;
}

/** The fields a log line carries: `update_id`, `chat`, `ticket`, `job` (those that are known). */
export function logBindings(): Record<string, number | string> {
  const context = storage.getStore();
  if (!context) return {};
  const bindings: Record<string, number | string> = {};
  if (context.updateId !== undefined) bindings.update_id = context.updateId;
  if (context.chat !== undefined) bindings.chat = context.chat;
  if (context.ticket !== undefined) bindings.ticket = context.ticket;
  if (context.job !== undefined) bindings.job = context.job;
  return bindings;
}

/** The context of a job from its payload: the ticket it works on, or the customer's chat. */
export function jobContext(name: string, data: unknown): WorkContext {
  const payload = (data ?? {}) as { ticketId?: unknown; customerId?: unknown };
  return {
    job: name,
    ...(typeof payload.ticketId === 'number' ? { ticket: payload.ticketId } : {}),
    ...(typeof payload.customerId === 'number' ? { chat: payload.customerId } : {}),
  };
}
