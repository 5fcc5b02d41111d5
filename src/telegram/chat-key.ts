import type { Update } from 'telegraf/types';

/**
 * The chat an update belongs to, which orders it: updates of one chat are handled one after another,
 * in update_id order; different chats concurrently. Callback queries count for the chat of their
 * message (or the user, for inline messages).
 */
export function chatKeyOf(update: Update): string {
  const u = update as unknown as Partial<Record<string, { chat?: { id: number }; message?: { chat?: { id: number } }; from?: { id: number } }>>;
  for (const field of ['message', 'edited_message', 'channel_post', 'edited_channel_post', 'my_chat_member', 'chat_member', 'chat_join_request']) {
    const chat = u[field]?.chat?.id;
    if (chat !== undefined) return String(chat);
  }
  const query = u.callback_query;
  if (query) return String(query.message?.chat?.id ?? query.from?.id ?? 'global');
  for (const value of Object.values(u)) {
    const from = typeof value === 'object' && value ? (value as { from?: { id: number } }).from?.id : undefined;
    if (from !== undefined) return String(from);
  }
  return 'global';
}
