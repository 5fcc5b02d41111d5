import type { Message, MessageEntity, User } from 'telegraf/types';

/** What the ticket logic needs of a customer's Telegram message, independent of telegraf's context. */
export interface IncomingMessage {
  updateId: number;
  from: Pick<User, 'id' | 'first_name' | 'last_name' | 'username' | 'language_code'>;
  messageId: number;
  kind: string;
  text: string | null;
  mediaGroupId: string | null;
  /** The message this one replies to, in the same chat (a topic's implicit reply to its root is not one). */
  replyToMessageId: number | null;
  entities: MessageEntity[] | null;
}

/** Content fields in the order Telegram documents them; the first present one names the message's kind. */
const CONTENT_KINDS = [
  'text', 'animation', 'audio', 'document', 'paid_media', 'photo', 'sticker', 'story', 'video', 'video_note', 'voice',
  'checklist', 'contact', 'dice', 'game', 'poll', 'venue', 'location', 'invoice',
] as const;

export function messageKind(message: Message): string | undefined {
  return CONTENT_KINDS.find((kind) => kind in message);
}

export function toIncoming(updateId: number, message: Message): IncomingMessage | undefined {
  const kind = messageKind(message);
  if (!kind || !message.from) return undefined;
  const m = message as Message & {
    text?: string;
    caption?: string;
    media_group_id?: string;
    entities?: MessageEntity[];
    caption_entities?: MessageEntity[];
    reply_to_message?: Message & { forum_topic_created?: unknown };
  };
  const reply = m.reply_to_message;
  return {
    updateId,
    from: message.from,
    messageId: message.message_id,
    kind,
    text: m.text ?? m.caption ?? null,
    mediaGroupId: m.media_group_id ?? null,
    replyToMessageId: reply && !reply.forum_topic_created ? reply.message_id : null,
    entities: m.entities ?? m.caption_entities ?? null,
  };
}
