import type { MessageDirection } from '../tickets/ticket-message.entity';
import type { InboxRepository } from '../telegram/repositories/inbox.repository';
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

/** An album waits at most this long for items the inbox holds but has not handled (a busy instance). */
const ALBUM_INBOX_WAIT_MS = 10_000;

/**
 * The pending items of an album, once no new item arrived for ALBUM_SETTLE_MS and none is waiting in the
 * inbox: Telegram delivers each item as its own update and nothing marks the last one, and an instance
 * under load may store an item well after the one before it.
 */
export async function settledAlbum(
  messages: TicketMessageRepository,
  inbox: InboxRepository,
  ticketId: number,
  direction: MessageDirection,
  mediaGroupId: string,
): Promise<AlbumItem[]> {
  const started = Date.now();
  for (;;) {
    const { items, youngestMs } = await messages.albumItems(ticketId, direction, mediaGroupId);
    if (youngestMs < ALBUM_SETTLE_MS) {
      await new Promise((r) => setTimeout(r, ALBUM_SETTLE_MS - youngestMs + 20));
      continue;
    }
    if (!items.length) return items;
    // The items come from one chat: the customer's, or the support group's for an agent's album.
    const chatKey = String(items[0].chatId);
    if (Date.now() - started < ALBUM_INBOX_WAIT_MS && (await inbox.holdsAlbumItem(chatKey, mediaGroupId))) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    return items;
  }
}

/** Kinds that copyMessages copies as they are (none that Telegram may refuse to copy). */
const BATCHABLE = new Set(['text', 'photo', 'video', 'document', 'audio', 'voice', 'animation', 'sticker', 'video_note', 'location', 'venue', 'contact']);
/** Messages per copyMessages call: each counts against the group's minute, so a batch stays well inside it. */
export const BATCH_MAX = 10;

interface Batchable {
  mediaGroupId: string | null;
  replyToMessageId: number | null;
  kind: string;
  copyStartedAt: Date | null;
}

/**
 * Joins consecutive single messages that can go in one copyMessages call (in order, not replies — a
 * batch cannot carry a reply —, of plain kinds, not possibly copied before) into batches of up to
 * BATCH_MAX. Albums and every other message stay runs of their own.
 */
export function copyBatches<T extends Batchable>(runs: T[][]): T[][] {
  const out: T[][] = [];
  const fits = (run: T[]) => run.length === 1 && !run[0].mediaGroupId && !run[0].replyToMessageId && !run[0].copyStartedAt && BATCHABLE.has(run[0].kind);
  let batch: T[] = [];
  const flush = () => {
    if (batch.length) out.push(batch);
    batch = [];
  };
  for (const run of runs) {
    if (!fits(run)) {
      flush();
      out.push(run);
      continue;
    }
    batch.push(run[0]);
    if (batch.length >= BATCH_MAX) flush();
  }
  flush();
  return out;
}
