import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returning } from '../../database/repositories/rows';

/** Rows deleted (or texts erased) per statement: short transactions, whatever the backlog of old rows. */
const BATCH = 5000;

/** A category (and subcategory) of the catalog with the label a plain topic title shows for it. */
export interface CategoryLabel {
  category: string;
  subcategory: string | null;
  label: string;
}

/**
 * Everything the desk deletes because it is old, in one place, so what is kept and for how long can be
 * read off one file. Each method works in batches until nothing old is left, and returns how many rows
 * it changed. Nothing that is still to be handled is ever deleted.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The ids of handled updates (telegram_updates) received more than `seconds` ago. */
  deleteProcessedUpdates(seconds: number): Promise<number> {
    return this.inBatches(
      `DELETE FROM telegram_updates WHERE update_id IN (
         SELECT update_id FROM telegram_updates WHERE received_at < now() - make_interval(secs => $1) LIMIT $2)
       RETURNING update_id`,
      [seconds],
    );
  }

  /** Inbox rows handled, or parked, more than `seconds` ago; pending ones stay whatever their age. */
  deleteInbox(seconds: number): Promise<number> {
    return this.inBatches(
      `DELETE FROM telegram_inbox WHERE update_id IN (
         SELECT update_id FROM telegram_inbox WHERE handled_at < now() - make_interval(secs => $1)
         UNION ALL
         SELECT update_id FROM telegram_inbox WHERE parked_at < now() - make_interval(secs => $1)
         LIMIT $2)
       RETURNING update_id`,
      [seconds],
    );
  }

  /**
   * The texts of tickets closed more than `seconds` ago: message texts and formatting, the AI's answer,
   * the topic title and the AI title (both made of the customer's words: the title goes back to the plain
   * "#42 · Payments" from `labels`, the category's label, or its ids when the catalog no longer has it),
   * and the comment on the rating. The ticket (number, customer, category, times, topic, rating) and its
   * messages' rows (who, when, which kind, their copies) stay. Returns the number of tickets done.
   */
  eraseClosedTicketTexts(seconds: number, labels: CategoryLabel[]): Promise<number> {
    return this.inBatches(
      `WITH due AS (
         SELECT id FROM tickets
          WHERE status = 'closed' AND (texts_deleted_at IS NULL OR texts_deleted_at < closed_at)
            AND closed_at < now() - make_interval(secs => $1)
          ORDER BY closed_at LIMIT $3
          FOR UPDATE SKIP LOCKED
       ), messages AS (
         UPDATE ticket_messages m SET text = NULL, entities = NULL
           FROM due WHERE m.ticket_id = due.id AND (m.text IS NOT NULL OR m.entities IS NOT NULL)
       )
       UPDATE tickets t
          SET texts_deleted_at = now(), ai_answer = NULL, ai_title = NULL, rating_comment = NULL,
              title = CASE WHEN t.title IS NULL THEN NULL ELSE '#' || t.id || ' · ' || COALESCE(
                (SELECT l.label FROM jsonb_to_recordset($2::jsonb) AS l(category text, subcategory text, label text)
                  WHERE l.category = t.category AND l.subcategory IS NOT DISTINCT FROM t.subcategory),
                t.category || COALESCE(' › ' || t.subcategory, '')) END
         FROM due WHERE t.id = due.id RETURNING t.id`,
      [seconds, JSON.stringify(labels)],
    );
  }

  /** What customers wrote before choosing a topic, when they have not been back for `seconds`. */
  eraseStaleDrafts(seconds: number): Promise<number> {
    return this.inBatches(
      `UPDATE customers SET draft = '[]'::jsonb WHERE id IN (
         SELECT id FROM customers WHERE draft <> '[]'::jsonb AND updated_at < now() - make_interval(secs => $1) LIMIT $2)
       RETURNING id`,
      [seconds],
    );
  }

  private async inBatches(statement: string, values: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await returning(this.dataSource.manager, statement, [...values, BATCH]);
      total += rows.length;
      if (rows.length < BATCH) return total;
    }
  }
}
