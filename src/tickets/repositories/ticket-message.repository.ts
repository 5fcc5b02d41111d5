import { Injectable } from '@nestjs/common';
import type { MessageEntity } from 'telegraf/types';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { MessageDirection, MessageVia, TicketMessage } from '../ticket-message.entity';

/**
 * SQL: the row `alias` is the team answering: an agent's message, a ready answer, an AI draft an agent
 * sent. An automatic AI answer is the bot's own and does not count (first answer, reminder, /stats).
 */
export const teamAnswer = (alias: string) => `(${alias}.direction = 'agent' AND ${alias}.via <> 'ai-auto')`;

export interface NewTicketMessage {
  direction: MessageDirection;
  chatId: number;
  messageId: number;
  kind: string;
  text: string | null;
  mediaGroupId: string | null;
  replyToMessageId?: number | null;
  entities?: MessageEntity[] | null;
  authorName?: string | null;
  teamSigned?: boolean;
}

/** An answer the bot sent to the customer itself, as its message in the customer's chat. */
export interface SentAnswer {
  via: Exclude<MessageVia, 'chat'>;
  chatId: number;
  messageId: number;
  text: string;
  /** The agent who sent it (null for an automatic AI answer). */
  authorName: string | null;
}

/** An item of an album, as copyMessages needs it. */
export interface AlbumItem {
  id: number;
  chatId: number;
  messageId: number;
}

/**
 * `ticket_messages`: every message of a ticket on both sides, where its copy went (the two-way reply
 * map), albums, edits, and why a message will not be delivered.
 */
@Injectable()
export class TicketMessageRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get rows() {
    return this.dataSource.getRepository(TicketMessage);
  }

  find(id: number): Promise<TicketMessage | null> {
    return this.rows.findOneBy({ id });
  }

  /**
   * Inserts messages of a ticket; a message already recorded (same chat and id) is left as it is. The
   * ticket's last activity moves to now, its last speaker to the side of the last message, and a pending
   * auto-close warning is void (someone spoke after it). Returns how many messages that side wrote to
   * the ticket in the last minute, these included (a flood shows; counted in the same statement, no
   * extra round trip).
   */
  async insert(ticketId: number, messages: NewTicketMessage[], db: EntityManager = this.dataSource.manager): Promise<number> {
    if (!messages.length) return 0;
    const side = messages[messages.length - 1].direction;
    // One statement: the ticket's last activity and speaker move, the messages are written in their order
    // (a redelivered one is skipped), and the side's messages of the last minute are counted (PostgreSQL
    // runs both writes of the WITH in full; the count sees the table as it was before them).
    const rows = messages.map((m, n) => ({
      n,
      chat_id: m.chatId,
      message_id: m.messageId,
      kind: m.kind,
      text: m.text,
      media_group_id: m.mediaGroupId,
      reply_to_message_id: m.replyToMessageId ?? null,
      entities: m.entities ?? null,
      author_name: m.authorName ?? null,
      team_signed: m.teamSigned ?? false,
    }));
    const [result] = (await db.query(
      `WITH touched AS (UPDATE tickets SET last_activity_at = now(), last_speaker = $2, auto_close_warned_at = NULL WHERE id = $1 RETURNING id),
            written AS (
              INSERT INTO ticket_messages (ticket_id, direction, chat_id, message_id, kind, text, media_group_id, reply_to_message_id, entities, author_name, team_signed)
              SELECT $1, $2, m.chat_id, m.message_id, m.kind, m.text, m.media_group_id, m.reply_to_message_id, m.entities, m.author_name, m.team_signed
                FROM jsonb_to_recordset($3::jsonb) AS m(chat_id bigint, message_id integer, kind text, text text, media_group_id text,
                     reply_to_message_id integer, entities jsonb, author_name text, team_signed boolean, n integer)
               ORDER BY m.n
              ON CONFLICT ON CONSTRAINT ticket_messages_source DO NOTHING RETURNING id)
       SELECT count(*) AS recent FROM ticket_messages WHERE ticket_id = $1 AND direction = $2 AND created_at > now() - interval '1 minute'`,
      [ticketId, side, JSON.stringify(rows)],
    )) as { recent: string }[];
    return Number(result?.recent ?? 0) + messages.length;
  }

  /**
   * Records an answer the bot sent to the customer (a ready answer, an AI answer) as a delivered row of
   * the agent side: the transcript, /stats and the reminder see it, and the delivery jobs, which take
   * only rows not yet copied, never send it again. Its ticket's status is the caller's to change (an
   * automatic AI answer leaves it waiting). Recorded once, however often the write is retried.
   */
  async recordSentAnswer(ticketId: number, answer: SentAnswer, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(
      `INSERT INTO ticket_messages (ticket_id, direction, via, chat_id, message_id, kind, text, author_name, copied_at)
       VALUES ($1, 'agent', $2, $3, $4, 'text', $5, $6, now())
       ON CONFLICT ON CONSTRAINT ticket_messages_source DO NOTHING`,
      [ticketId, answer.via, answer.chatId, answer.messageId, answer.text, answer.authorName],
    );
  }

  /** The message recorded under its original chat and id (either side). */
  findByOrigin(chatId: number, messageId: number, db: EntityManager = this.dataSource.manager): Promise<TicketMessage | null> {
    return db.getRepository(TicketMessage).findOneBy({ chatId, messageId });
  }

  /** An edit: the stored text and formatting follow the original, so a copy made later is of the edited version. */
  async applyEdit(id: number, text: string | null, entities: unknown[] | undefined, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE ticket_messages SET text = $2, entities = $3 WHERE id = $1`, [id, text, entities ? JSON.stringify(entities) : null]);
  }

  /** Every message of a ticket, both sides, in the order they were written (for the transcript). */
  allOf(ticketId: number): Promise<TicketMessage[]> {
    return this.rows.find({ where: { ticketId }, order: { id: 'ASC' } });
  }

  firstCustomerMessage(ticketId: number): Promise<TicketMessage | null> {
    return this.rows.findOne({ where: { ticketId, direction: 'customer' }, order: { id: 'ASC' } });
  }

  /** Messages of one side still to be copied to the other, in order. */
  pending(ticketId: number, direction: MessageDirection): Promise<TicketMessage[]> {
    return this.rows.find({ where: { ticketId, direction, copiedAt: IsNull(), failedReason: IsNull() }, order: { id: 'ASC' } });
  }

  async hasPending(ticketId: number, direction: MessageDirection): Promise<boolean> {
    return (await this.rows.count({ where: { ticketId, direction, copiedAt: IsNull(), failedReason: IsNull() }, take: 1 })) > 0;
  }

  /** Tickets with messages of one side older than `minAgeSeconds` still to be copied. */
  async ticketsWithPending(direction: MessageDirection, minAgeSeconds: number, limit: number, skip: number[] = []): Promise<number[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT ticket_id AS id FROM ticket_messages
        WHERE direction = $1 AND copied_at IS NULL AND failed_reason IS NULL AND created_at < now() - make_interval(secs => $2)
          AND ticket_id <> ALL($4::bigint[]) LIMIT $3`,
      [direction, minAgeSeconds, limit, skip],
    );
    return rows.map((row) => Number(row.id));
  }

  /** Set just before the copy is requested; with `copied_at` still null after a crash, the outcome is unknown. */
  async markCopyStarted(ids: number[]): Promise<void> {
    await this.rows.update(ids, { copyStartedAt: new Date() });
  }

  /** Telegram answered with an error: nothing was copied, the next attempt is not a possible repeat. */
  async clearCopyStarted(ids: number[]): Promise<void> {
    await this.rows.update(ids, { copyStartedAt: null });
  }

  async recordCopy(id: number, copyMessageId: number): Promise<void> {
    await this.rows.update({ id }, { copyMessageId, copiedAt: new Date() });
  }

  /**
   * Records the copies copyMessages returned. It answers in the order of the ids it was given, silently
   * skipping any it could not copy; only when nothing was skipped is each copy known to belong to its item.
   */
  async recordAlbumCopies(items: AlbumItem[], copies: { message_id: number }[]): Promise<void> {
    const mapped = copies.length === items.length;
    for (const [index, item] of items.entries()) {
      await this.rows.update({ id: item.id }, { copyMessageId: mapped ? copies[index].message_id : null, copiedAt: new Date() });
    }
  }

  /** The pending items of an album, with the age of its youngest item in milliseconds. */
  async albumItems(ticketId: number, direction: MessageDirection, mediaGroupId: string): Promise<{ items: AlbumItem[]; youngestMs: number }> {
    const rows: { id: string; chat_id: string; message_id: number; age_ms: string }[] = await this.dataSource.query(
      `SELECT id, chat_id, message_id, EXTRACT(EPOCH FROM (now() - created_at)) * 1000 AS age_ms FROM ticket_messages
        WHERE ticket_id = $1 AND direction = $2 AND media_group_id = $3 AND copied_at IS NULL AND failed_reason IS NULL ORDER BY id`,
      [ticketId, direction, mediaGroupId],
    );
    return {
      items: rows.map((r) => ({ id: Number(r.id), chatId: Number(r.chat_id), messageId: r.message_id })),
      youngestMs: Math.min(...rows.map((r) => Number(r.age_ms))),
    };
  }

  async markFailed(ids: number[], reason: 'blocked' | 'rejected' | 'uncopyable'): Promise<void> {
    if (ids.length) await this.rows.update({ id: In(ids) }, { failedReason: reason });
  }

  /** The topic was deleted: the copies in it are gone, so replies no longer map to them. */
  async forgetTopicCopies(ticketId: number): Promise<void> {
    await this.dataSource.query(`UPDATE ticket_messages SET copy_message_id = NULL WHERE ticket_id = $1 AND direction = 'customer'`, [ticketId]);
  }

  /**
   * The two-way map of a ticket's messages: `replyTo` is an id in the chat a message was written in
   * (the customer's chat for a customer message, the topic for an agent's); the answer is the id of the
   * same message on the other side, so a reply stays a reply after copying.
   */
  async mapReply(ticketId: number, from: MessageDirection, replyTo: number | null): Promise<number | undefined> {
    if (!replyTo) return undefined;
    const other: MessageDirection = from === 'customer' ? 'agent' : 'customer';
    // An answer the bot sent is recorded under its id in the customer's chat, not the topic's: only rows
    // written in the chat itself can be the message replied to there.
    const rows: { target: number | null }[] = await this.dataSource.query(
      `SELECT CASE WHEN direction = $3 THEN copy_message_id ELSE message_id END AS target
         FROM ticket_messages
        WHERE ticket_id = $1 AND ((direction = $3 AND message_id = $2 AND via = 'chat') OR (direction = $4 AND copy_message_id = $2))
        LIMIT 1`,
      [ticketId, replyTo, from, other],
    );
    return rows[0]?.target ?? undefined;
  }

  /** The customer's first `limit` texts and captions, joined: what the AI reads. */
  async customerText(ticketId: number, limit: number): Promise<string> {
    const rows: { text: string }[] = await this.dataSource.query(
      `SELECT text FROM ticket_messages WHERE ticket_id = $1 AND direction = 'customer' AND coalesce(text, '') <> '' ORDER BY id LIMIT $2`,
      [ticketId, limit],
    );
    return rows.map((r) => r.text).join('\n');
  }

  /** The team has answered the ticket (an automatic AI answer is not the team). */
  async agentAnswered(ticketId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ticket_messages m WHERE m.ticket_id = $1 AND ${teamAnswer('m')} LIMIT 1`, [ticketId]);
    return rows.length > 0;
  }

  /** The customer's first message has its copy in the topic (or the ticket has no customer message). */
  async firstCustomerMessageCopied(ticketId: number): Promise<boolean> {
    const first = await this.firstCustomerMessage(ticketId);
    return !first || first.copiedAt !== null;
  }
}
