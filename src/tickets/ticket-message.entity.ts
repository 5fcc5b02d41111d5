import { Column, CreateDateColumn, Entity, Generated, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/bigint.transformer';

export type MessageDirection = 'customer' | 'agent';

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

  /** The chat the original message is in (the customer's private chat, or the support group). */
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
