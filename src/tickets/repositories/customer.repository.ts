import { Injectable } from '@nestjs/common';
import type { User } from 'telegraf/types';
import { DataSource, EntityManager } from 'typeorm';
import type { Language } from '../../config/app-config';
import { hydrate, returning } from '../../database/repositories/rows';
import { Customer, DraftMessage, IntakeStep } from '../customer.entity';

export type Sender = Pick<User, 'id' | 'first_name' | 'last_name' | 'username' | 'language_code'>;

/** `customers`: who writes to the bot, and where they stand in the intake dialogue. */
@Injectable()
export class CustomerRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(id: number, db: EntityManager = this.dataSource.manager): Promise<Customer | null> {
    return db.getRepository(Customer).findOneBy({ id });
  }

  /** Creates the customer or refreshes their Telegram profile; `language` is used only for a new customer. */
  async upsert(from: Sender, language: Language, db: EntityManager = this.dataSource.manager): Promise<Customer> {
    const rows: Record<string, unknown>[] = await db.query(
      `INSERT INTO customers (id, first_name, last_name, username, language_code, language)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
         username = EXCLUDED.username, language_code = EXCLUDED.language_code
       RETURNING *`,
      [from.id, from.first_name, from.last_name ?? null, from.username ?? null, from.language_code ?? null, language],
    );
    return hydrate(db, Customer, rows[0]);
  }

  /**
   * Locks the customer's row until the transaction ends: whatever opens or reopens one of their tickets
   * holds it (an upsert takes the same lock), so two of them never race on "one open ticket".
   */
  async lock(id: number, db: EntityManager): Promise<void> {
    await db.query(`SELECT 1 FROM customers WHERE id = $1 FOR UPDATE`, [id]);
  }

  async moveTo(id: number, step: IntakeStep, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE customers SET step = $2, updated_at = now() WHERE id = $1`, [id, step]);
  }

  /** The language is chosen; the category comes next. */
  async chooseLanguage(id: number, language: Language, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE customers SET language = $2, step = 'category', updated_at = now() WHERE id = $1`, [id, language]);
  }

  /** The category is chosen; the description (or the ticket, if a draft waits) comes next. */
  async chooseCategory(id: number, category: string, subcategory: string | null, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE customers SET category = $2, subcategory = $3, step = 'describe', updated_at = now() WHERE id = $1`, [
      id,
      category,
      subcategory,
    ]);
  }

  async saveDraft(id: number, draft: DraftMessage[], db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE customers SET draft = $2::jsonb, updated_at = now() WHERE id = $1`, [id, JSON.stringify(draft)]);
  }

  /** A ticket opened: the dialogue is done and the draft became its messages. */
  async finishIntake(id: number, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE customers SET step = 'idle', draft = '[]'::jsonb, draft_dropped = 0, updated_at = now() WHERE id = $1`, [id]);
  }

  /** A message that did not fit the full draft; returns how many were not kept so far. */
  async countDropped(id: number, db: EntityManager = this.dataSource.manager): Promise<number> {
    const [row] = await returning<{ draft_dropped: number }>(
      db,
      `UPDATE customers SET draft_dropped = draft_dropped + 1, updated_at = now() WHERE id = $1 RETURNING draft_dropped`,
      [id],
    );
    return row?.draft_dropped ?? 0;
  }

  /**
   * Claims the right to send the greeting (or the open-ticket reminder) now: true at most once per
   * `seconds`, however many /start a customer sends, and across instances.
   */
  claimGreeting(id: number, kind: 'greeting' | 'reminder', seconds: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    return this.claimEvery(id, kind === 'greeting' ? 'greeted_at' : 'reminded_at', seconds, db);
  }

  /** Claims the right to send the "choose a topic first" prompt now: true at most once per `seconds`. */
  claimPrompt(id: number, seconds: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    return this.claimEvery(id, 'prompted_at', seconds, db);
  }

  /** The "please slow down" notice, at most once per `seconds`. */
  claimSlowDown(id: number, seconds: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    return this.claimEvery(id, 'slowed_at', seconds, db);
  }

  private async claimEvery(id: number, column: 'greeted_at' | 'reminded_at' | 'prompted_at' | 'slowed_at', seconds: number, db: EntityManager): Promise<boolean> {
    const rows = await returning(
      db,
      `UPDATE customers SET ${column} = now() WHERE id = $1 AND (${column} IS NULL OR ${column} < now() - make_interval(secs => $2)) RETURNING id`,
      [id, seconds],
    );
    return rows.length > 0;
  }

  /** Marks the customer as having blocked (or unblocked) the bot; true when that changed anything. */
  async setBlocked(id: number, blocked: boolean, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const changed = await returning(
      db,
      blocked
        ? `UPDATE customers SET blocked_at = now() WHERE id = $1 AND blocked_at IS NULL RETURNING id`
        : `UPDATE customers SET blocked_at = NULL WHERE id = $1 AND blocked_at IS NOT NULL RETURNING id`,
      [id],
    );
    return changed.length > 0;
  }
}
