import { Injectable } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LOCKS } from '../../database/locks';
import type { Claims, Member } from '../budget-shares';

/** A chat held after a 429, and for how much longer. */
export interface ChatHold {
  chatId: number;
  ms: number;
}

export interface BudgetView {
  /** The other instances' rows (those of the last two minutes: older ones can no longer count). */
  members: Member[];
  holds: ChatHold[];
}

const MEMBERS = `
  SELECT coalesce(json_agg(json_build_object(
           'id', instance_id, 'ageMs', EXTRACT(EPOCH FROM (now() - seen_at)) * 1000, 'left', "left",
           'caps', caps, 'used', used, 'peers', peers)), '[]') AS members
    FROM telegram_budget_members
   WHERE instance_id <> $1 AND seen_at > now() - interval '2 minutes'`;

/**
 * `telegram_budget_members` and `telegram_chat_holds`: the shared Telegram budget (see SharedBudget).
 * On a connection of its own, as the health check's: a pool busy with a surge must not delay a heartbeat
 * (an instance that misses them stops sending). Every statement here is short; none waits for Telegram.
 */
@Injectable()
export class BudgetRepository {
  private client?: Promise<Client>;
  /** One thing at a time on the connection: a hold written meanwhile must not land inside a raise's transaction. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes this instance's heartbeat (its caps, what it has in its windows, the peers it saw) and reads
   * the others' rows and the chats held now, in one statement. Rows and holds long past are deleted.
   */
  async heartbeat(me: string, caps: Claims, used: Claims, peers: string[]): Promise<BudgetView> {
    const [row] = await this.query<{ members: Member[]; holds: ChatHold[] }>(
      `WITH beat AS (
         INSERT INTO telegram_budget_members (instance_id, seen_at, "left", caps, used, peers)
         VALUES ($1, now(), false, $2, $3, $4::uuid[])
         ON CONFLICT (instance_id) DO UPDATE
           SET seen_at = now(), "left" = false, caps = EXCLUDED.caps, used = EXCLUDED.used, peers = EXCLUDED.peers
       ), gone AS (
         DELETE FROM telegram_budget_members WHERE seen_at < now() - interval '10 minutes'
       ), expired AS (
         DELETE FROM telegram_chat_holds WHERE until < now() - interval '1 minute'
       ), others AS (${MEMBERS})
       SELECT others.members,
              (SELECT coalesce(json_agg(json_build_object('chatId', chat_id, 'ms', EXTRACT(EPOCH FROM (until - now())) * 1000)), '[]')
                 FROM telegram_chat_holds WHERE until > now()) AS holds
         FROM others`,
      [me, JSON.stringify(caps), JSON.stringify(used), peers],
    );
    return { members: row.members, holds: row.holds };
  }

  /**
   * Raises this instance's caps to what `decide` makes of the others' rows as they are now, while no
   * other instance raises its own (a transaction's advisory lock, held for a few milliseconds): two
   * instances never both take the same free part of a limit. Returns the caps written.
   */
  raise(me: string, decide: (others: Member[]) => Claims): Promise<Claims> {
    return this.exclusive(async () => {
      const client = await this.connection();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCKS.budget]);
        const [row] = (await client.query<{ members: Member[] }>(MEMBERS, [me])).rows;
        const caps = decide(row.members);
        await client.query(`UPDATE telegram_budget_members SET caps = $2 WHERE instance_id = $1`, [me, JSON.stringify(caps)]);
        await client.query('COMMIT');
        return caps;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        await this.drop();
        throw error;
      }
    });
  }

  /** Telegram answered 429 for this chat: every instance holds it until then. */
  async hold(chatId: number, seconds: number): Promise<void> {
    await this.query(
      `INSERT INTO telegram_chat_holds (chat_id, until) VALUES ($1, now() + make_interval(secs => $2))
       ON CONFLICT (chat_id) DO UPDATE SET until = GREATEST(telegram_chat_holds.until, EXCLUDED.until)`,
      [chatId, seconds],
    );
  }

  /** This instance stopped sending: it holds nothing more, only what it sent still counts. */
  async leave(me: string, used: Claims): Promise<void> {
    await this.query(
      `UPDATE telegram_budget_members SET seen_at = now(), "left" = true, caps = $2, used = $3 WHERE instance_id = $1`,
      [me, JSON.stringify({ global: 0, groups: {} }), JSON.stringify(used)],
    );
  }

  /** Ends the connection at once (a statement still running fails). */
  async close(): Promise<void> {
    await this.drop();
  }

  private query<T>(text: string, values: unknown[]): Promise<T[]> {
    return this.exclusive(async () => {
      const client = await this.connection();
      try {
        return (await client.query(text, values)).rows as T[];
      } catch (error) {
        await this.drop();
        throw error;
      }
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private connection(): Promise<Client> {
    this.client ??= (async () => {
      const { url } = this.dataSource.options as { url?: string };
      const client = new Client({
        connectionString: url,
        application_name: 'helpdesk-budget',
        connectionTimeoutMillis: 2000,
        statement_timeout: 2000,
        lock_timeout: 1000,
        idle_in_transaction_session_timeout: 5000,
        query_timeout: 2500,
      });
      // A connection the server ended is replaced at the next heartbeat.
      client.on('error', () => void this.drop());
      await client.connect();
      return client;
    })().catch((error: Error) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((c) => c.end()).catch(() => undefined);
  }
}
