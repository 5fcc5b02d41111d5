import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

/** Longer than this and the database counts as slow: a health check answers within a second. */
const PING_TIMEOUT_MS = 800;
/**
 * A ping still unanswered after this long ends its connection (pg's read timeout, on the client's side:
 * statement_timeout never fires when the server or the network hangs). The next check connects anew
 * instead of queueing behind a query on a connection that may never answer again.
 */
const PING_GIVE_UP_MS = 2000;

/**
 * The health check's own connection: a pool busy with a surge of updates and jobs must not make the
 * check wait for a free connection (a load balancer would take a busy instance for a dead one).
 */
@Injectable()
export class HealthRepository implements OnModuleDestroy {
  private client?: Promise<Client>;
  /** The ping on the wire: checks that come while it is unanswered wait for it rather than queue another. */
  private pending?: Promise<'ok'>;

  constructor(private readonly dataSource: DataSource) {}

  /** 'ok' when the database answered in time, 'slow' when not yet; throws when it cannot be reached. */
  async ping(): Promise<'ok' | 'slow'> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), PING_TIMEOUT_MS)));
    this.pending ??= (async () => {
      const client = await this.connection();
      await client.query('SELECT 1');
      return 'ok' as const;
    })()
      .catch((error: Error) => {
        // Not awaited: ending a connection to a hung server waits for that server too.
        void this.drop();
        throw error;
      })
      .finally(() => (this.pending = undefined));
    const answer = this.pending;
    try {
      return await Promise.race([answer, slow]);
    } finally {
      clearTimeout(timer);
      answer.catch(() => undefined);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.drop();
  }

  private connection(): Promise<Client> {
    this.client ??= (async () => {
      const { url } = this.dataSource.options as { url?: string };
      const client = new Client({ connectionString: url, application_name: 'helpdesk-health', statement_timeout: 2000, connectionTimeoutMillis: 2000, query_timeout: PING_GIVE_UP_MS });
      // A connection the server ended is replaced at the next check.
      client.on('error', () => void this.drop());
      await client.connect();
      return client;
    })();
    return this.client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((c) => c.end()).catch(() => undefined);
  }
}
