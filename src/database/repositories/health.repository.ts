import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

/** Longer than this and the database counts as slow: a health check answers within a second. */
const PING_TIMEOUT_MS = 800;

/**
 * The health check's own connection: a pool busy with a surge of updates and jobs must not make the
 * check wait for a free connection (a load balancer would take a busy instance for a dead one).
 */
@Injectable()
export class HealthRepository implements OnModuleDestroy {
  private client?: Promise<Client>;

  constructor(private readonly dataSource: DataSource) {}

  /** 'ok' when the database answered in time, 'slow' when not yet; throws when it cannot be reached. */
  async ping(): Promise<'ok' | 'slow'> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), PING_TIMEOUT_MS)));
    const answer = (async () => {
      const client = await this.connection();
      await client.query('SELECT 1');
      return 'ok' as const;
    })().catch(async (error: Error) => {
      await this.drop();
      throw error;
    });
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
      const client = new Client({ connectionString: url, application_name: 'helpdesk-health', statement_timeout: 2000, connectionTimeoutMillis: 2000 });
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
