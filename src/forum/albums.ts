import type { MessageDirection } from '../tickets/ticket-message.entity';
import { AlbumItem, TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';

/** Album items arrive as separate updates; their copies wait until no new item came for this long. */
export const ALBUM_SETTLE_MS = 700;

/** Splits messages into runs: consecutive items of one album together, every other message alone. */
export function albumRuns<T extends { mediaGroupId: string | null }>(messages: T[]): T[][] {
  const runs: T[][] = [];
  for (const message of messages) {
    const last = runs.at(-1);
    if (last && message.mediaGroupId && last[0].mediaGroupId === message.mediaGroupId) last.push(message);
    else runs.push([message]);
  }
  return runs;
}

/**
 * The pending items of an album, once no new item arrived for ALBUM_SETTLE_MS: Telegram delivers each
 * item as its own update and nothing marks the last one.
 */
export async function settledAlbum(
  messages: TicketMessageRepository,
  ticketId: number,
  direction: MessageDirection,
  mediaGroupId: string,
): Promise<AlbumItem[]> {
  for (;;) {
    const { items, youngestMs } = await messages.albumItems(ticketId, direction, mediaGroupId);
    if (youngestMs >= ALBUM_SETTLE_MS) return items;
    await new Promise((r) => setTimeout(r, ALBUM_SETTLE_MS - youngestMs + 20));
  }
}
