import type { MessageEntity } from 'telegraf/types';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Language } from '../config/app-config';
import { bigintNumber } from '../database/bigint.transformer';

/** Where a customer without an open ticket stands in the intake dialogue. */
export type IntakeStep = 'language' | 'category' | 'describe' | 'idle';

/** A message written before the customer chose a category; it opens the ticket once they do. */
export interface DraftMessage {
  messageId: number;
  kind: string;
  text: string | null;
  mediaGroupId: string | null;
  /** Kept so the copy in the topic has the customer's formatting (drafts stored before this have none). */
  entities?: MessageEntity[] | null;
  replyToMessageId?: number | null;
}

@Entity('customers')
export class Customer {
  /** The Telegram user id, which is also the id of the private chat with the bot. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  id: number;

  @Column({ name: 'first_name', type: 'text' })
  firstName: string;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName: string | null;

  @Column({ type: 'text', nullable: true })
  username: string | null;

  @Column({ name: 'language_code', type: 'text', nullable: true })
  languageCode: string | null;

  @Column({ type: 'text' })
  language: Language;

  @Column({ type: 'text' })
  step: IntakeStep;

  @Column({ type: 'text', nullable: true })
  category: string | null;

  @Column({ type: 'text', nullable: true })
  subcategory: string | null;

  @Column({ type: 'jsonb' })
  draft: DraftMessage[];

  @Column({ name: 'blocked_at', type: 'timestamptz', nullable: true })
  blockedAt: Date | null;

  /** When the greeting with the language menu was last sent (at most once per few seconds, whatever /start floods). */
  @Column({ name: 'greeted_at', type: 'timestamptz', nullable: true })
  greetedAt: Date | null;

  /** When /start last got the reminder of the open ticket. */
  @Column({ name: 'reminded_at', type: 'timestamptz', nullable: true })
  remindedAt: Date | null;

  /** When the "choose a topic first" prompt was last sent for a message written before choosing. */
  @Column({ name: 'prompted_at', type: 'timestamptz', nullable: true })
  promptedAt: Date | null;

  /** When the customer, writing faster than a sane rate, was last asked to slow down. */
  @Column({ name: 'slowed_at', type: 'timestamptz', nullable: true })
  slowedAt: Date | null;

  /** Messages written before choosing a topic that were not kept, the draft being full. */
  @Column({ name: 'draft_dropped', type: 'integer' })
  draftDropped: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
