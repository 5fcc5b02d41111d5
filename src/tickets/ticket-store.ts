import type { EntityManager } from 'typeorm';
import type { MessageEntity } from 'telegraf/types';
import type { MessageDirection } from './ticket-message.entity';
import { Ticket } from './ticket.entity';

/**
 * Records the update; false when it was handled before (Telegram delivers at least once). Called first
 * in the transaction of whatever the update changes, so "handled" and "its effects" commit together.
 */
export async function claimUpdate(m: EntityManager, updateId: number, kind: string): Promise<boolean> {
  const rows: unknown[] = await m.query(
    `INSERT INTO telegram_updates (update_id, kind) VALUES ($1, $2) ON CONFLICT (update_id) DO NOTHING RETURNING update_id`,
    [updateId, kind],
  );
  return rows.length > 0;
}

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
}

/** Inserts messages of a ticket; a message already recorded (same chat and id) is left as it is. */
export async function insertTicketMessages(m: EntityManager, ticketId: number, messages: NewTicketMessage[]): Promise<void> {
  for (const message of messages) {
    await m.query(
      `INSERT INTO ticket_messages (ticket_id, direction, chat_id, message_id, kind, text, media_group_id, reply_to_message_id, entities, author_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT ON CONSTRAINT ticket_messages_source DO NOTHING`,
      [
        ticketId,
        message.direction,
        message.chatId,
        message.messageId,
        message.kind,
        message.text,
        message.mediaGroupId,
        message.replyToMessageId ?? null,
        message.entities ? JSON.stringify(message.entities) : null,
        message.authorName ?? null,
      ],
    );
  }
}

export function openTicketOf(m: EntityManager, customerId: number): Promise<Ticket | null> {
  return m.getRepository(Ticket).findOneBy({ customerId, status: 'open' });
}
