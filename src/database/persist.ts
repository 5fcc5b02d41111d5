import type { Logger } from '@nestjs/common';
import { isInfrastructureError } from './infrastructure-error';

/** How long a write of what Telegram already did is retried before the job gives up on it (and its outcome becomes unknown). */
const PERSIST_FOR_MS = 120_000;

/**
 * Records the result of a send Telegram has already carried out. The send must not be repeated because
 * its bookkeeping failed, so a write that meets the infrastructure (the database restarting, a dropped
 * connection) is retried here, with back-off, instead of failing the job (whose retry would send again).
 * Other errors, and a database away for longer than two minutes, are thrown as usual.
 */
export async function persist<T>(write: () => Promise<T>, what: string, logger: Logger): Promise<T> {
  const deadline = Date.now() + PERSIST_FOR_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await write();
      if (attempt > 0) logger.log(`${what}: recorded after ${attempt} failed attempt(s); nothing was sent twice`);
      return result;
    } catch (error) {
      if (!isInfrastructureError(error) || Date.now() >= deadline) throw error;
      if (attempt === 0) logger.warn(`${what}: sent, but recording it failed (${(error as Error).message}); retrying the write, not the send`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
}
