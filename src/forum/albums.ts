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
