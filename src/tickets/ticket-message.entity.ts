import { Column, CreateDateColumn, Entity, Generated, PrimaryColumn } from 'typeorm';
import type { MessageEntity } from 'telegraf/types';
import { bigintNumber } from '../database/bigint.transformer';

export type MessageDirection = 'customer' | 'agent';

/**
 * How a row came to be: 'chat', written by a person (the customer in their chat, an agent in the
 * topic); or an answer the bot sent to the customer itself, for an agent ('ready': a ready answer,
 * 'ai-draft': an AI draft an agent sent) or on its own ('ai-auto': an automatic AI answer, which is
 * not the team answering).
 */
export type MessageVia = 'chat' | 'ready' | 'ai-draft' | 'ai-auto';

/**
 * One message of a ticket and where its copy went. A customer message with `copiedAt` null is still to
 * be copied into the topic; copies are made in `id` order, which is the customer's order.
 */
@Entity('ticket_messages')
export class TicketMessage {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  @Generated('increment')
  id: number;

  @Column({ name: 'ticket_id', type: 'bigint', transformer: bigintNumber })
  ticketId: number;

  @Column({ type: 'text' })
  direction: MessageDirection;

  /**
   * The chat the original message is in (the customer's private chat, or the support group). An answer
   * the bot sent itself (`via` other than 'chat') is recorded under its message in the customer's chat.
   */
  @Column({ name: 'chat_id', type: 'bigint', transformer: bigintNumber })
  chatId: number;

  @Column({ name: 'message_id', type: 'integer' })
  messageId: number;

  /** text, photo, document, voice, ... (the Telegram content field that carries the message). */
  @Column({ type: 'text' })
  kind: string;

  /** The text or caption, kept for titles, search and the AI. */
  @Column({ type: 'text', nullable: true })
  text: string | null;

  @Column({ name: 'media_group_id', type: 'text', nullable: true })
  mediaGroupId: string | null;

  @Column({ name: 'copy_message_id', type: 'integer', nullable: true })
  copyMessageId: number | null;

  /** Set just before the copy is requested; with `copiedAt` still null after a crash, the outcome is unknown. */
  @Column({ name: 'copy_started_at', type: 'timestamptz', nullable: true })
  copyStartedAt: Date | null;

  @Column({ name: 'copied_at', type: 'timestamptz', nullable: true })
  copiedAt: Date | null;

  /** The message it replied to, as an id in its own chat; mapped to the other side when copied. */
  @Column({ name: 'reply_to_message_id', type: 'integer', nullable: true })
  replyToMessageId: number | null;

  /** Text or caption entities, kept for signatures and edits. */
  @Column({ type: 'jsonb', nullable: true })
  entities: MessageEntity[] | null;

  /** The agent's first name (agent messages). */
  @Column({ name: 'author_name', type: 'text', nullable: true })
  authorName: string | null;

  /** Why this message will not be delivered (blocked, refused by Telegram); null while it still may be. */
  @Column({ name: 'failed_reason', type: 'text', nullable: true })
  failedReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Written by an anonymous administrator: delivered signed with the team's name. */
  @Column({ name: 'team_signed', type: 'boolean', default: false })
  teamSigned?: boolean;

  /** A person's message, or an answer the bot sent (recorded as delivered, with no copy: see MessageVia). */
  @Column({ type: 'text', default: 'chat' })
  via: MessageVia;
}
