import { DataSource } from 'typeorm';
import type { MessageDirection } from '../tickets/ticket-message.entity';

/**
 * The two-way map of a ticket's messages: `replyTo` is an id in the chat a message was written in
 * (the customer's chat for a customer message, the topic for an agent's); the answer is the id of the
 * same message on the other side, so a reply stays a reply after copying.
 */
export async function mapReply(
  dataSource: DataSource,
  ticketId: number,
  from: MessageDirection,
  replyTo: number | null,
): Promise<number | undefined> {
  if (!replyTo) return undefined;
  const own = from;
  const other: MessageDirection = from === 'customer' ? 'agent' : 'customer';
  const rows: { target: number | null }[] = await dataSource.query(
    `SELECT CASE WHEN direction = $3 THEN copy_message_id ELSE message_id END AS target
       FROM ticket_messages
      WHERE ticket_id = $1 AND ((direction = $3 AND message_id = $2) OR (direction = $4 AND copy_message_id = $2))
      LIMIT 1`,
    [ticketId, replyTo, own, other],
  );
  return rows[0]?.target ?? undefined;
}
