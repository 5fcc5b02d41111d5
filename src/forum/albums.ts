import { DataSource } from 'typeorm';
import type { MessageDirection } from '../tickets/ticket-message.entity';
import { ALBUM_SETTLE_MS } from './ticket-lock';

export interface AlbumItem {
  id: number;
  chatId: number;
  messageId: number;
}

/**
 * The pending items of an album, once no new item arrived for ALBUM_SETTLE_MS: Telegram delivers each
 * item as its own update and nothing marks the last one.
 */
export async function settledAlbum(dataSource: DataSource, ticketId: number, direction: MessageDirection, groupId: string): Promise<AlbumItem[]> {
  for (;;) {
    const items: { id: string; chat_id: string; message_id: number; age_ms: string }[] = await dataSource.query(
      `SELECT id, chat_id, message_id, EXTRACT(EPOCH FROM (now() - created_at)) * 1000 AS age_ms FROM ticket_messages
        WHERE ticket_id = $1 AND direction = $2 AND media_group_id = $3 AND copied_at IS NULL AND failed_reason IS NULL ORDER BY id`,
      [ticketId, direction, groupId],
    );
    const youngest = Math.min(...items.map((i) => Number(i.age_ms)));
    if (youngest >= ALBUM_SETTLE_MS) return items.map((i) => ({ id: Number(i.id), chatId: Number(i.chat_id), messageId: i.message_id }));
    await new Promise((r) => setTimeout(r, ALBUM_SETTLE_MS - youngest + 20));
  }
}

/**
 * Records the copies copyMessages returned. It answers in the order of the ids it was given, silently
 * skipping any it could not copy; only when nothing was skipped is each copy known to belong to its item.
 */
export async function recordAlbumCopies(dataSource: DataSource, items: AlbumItem[], copies: { message_id: number }[]): Promise<void> {
  const mapped = copies.length === items.length;
  for (const [index, item] of items.entries()) {
    await dataSource.query(`UPDATE ticket_messages SET copy_message_id = $2, copied_at = now() WHERE id = $1`, [
      item.id,
      mapped ? copies[index].message_id : null,
    ]);
  }
}
