import { Column, CreateDateColumn, Entity, Generated, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Language } from '../config/app-config';
import { bigintNumber } from '../database/bigint.transformer';

export type TicketStatus = 'open' | 'closed';
export type ClosedBy = 'customer' | 'agent' | 'auto';
/** Whether the AI title job is done: a usable title, or none (the provisional title stays). */
export type AiTitleState = 'ready' | 'failed';
/**
 * The AI's first answer: null until the model answered; then ready → drafted → sending → sent | discarded,
 * or a final uncovered / skipped / failed.
 */
export type AiAnswerState = 'ready' | 'drafted' | 'sending' | 'sent' | 'discarded' | 'uncovered' | 'skipped' | 'failed';

@Entity('tickets')
export class Ticket {
  /** Also the ticket number customers and agents see (#42). */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  @Generated('increment')
  id: number;

  @Column({ name: 'customer_id', type: 'bigint', transformer: bigintNumber })
  customerId: number;

  @Column({ type: 'text' })
  status: TicketStatus;

  @Column({ type: 'text' })
  language: Language;

  @Column({ type: 'text' })
  category: string;

  @Column({ type: 'text', nullable: true })
  subcategory: string | null;

  /** The support group (a forum supergroup of SUPPORT_CHAT_ID) the ticket's topic lives in, for life. */
  @Column({ name: 'group_id', type: 'bigint', transformer: bigintNumber })
  groupId: number;

  /** The forum topic (`message_thread_id`) in the ticket's group; null until it is created. */
  @Column({ name: 'thread_id', type: 'integer', nullable: true })
  threadId: number | null;

  @Column({ type: 'text', nullable: true })
  title: string | null;

  @Column({ name: 'card_message_id', type: 'integer', nullable: true })
  cardMessageId: number | null;

  /** How many times createForumTopic was attempted; more than one successful attempt is a duplicate topic. */
  @Column({ name: 'topic_attempts', type: 'integer' })
  topicAttempts: number;

  /** When createForumTopic was last called without a recorded result yet. */
  @Column({ name: 'topic_requested_at', type: 'timestamptz', nullable: true })
  topicRequestedAt: Date | null;

  /** Topics created for this ticket beyond the first (an outcome hidden by a crash); removed when seen. */
  @Column({ name: 'duplicate_topics', type: 'integer' })
  duplicateTopics: number;

  /** The acknowledgement's message id; null until it is sent, 0 when it cannot be (the customer blocked the bot). */
  @Column({ name: 'ack_message_id', type: 'integer', nullable: true })
  ackMessageId: number | null;

  /** Set while an acknowledgement may have been requested without a recorded result (from the ticket's creation: it follows the COMMIT). */
  @Column({ name: 'ack_started_at', type: 'timestamptz', nullable: true })
  ackStartedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ name: 'closed_by', type: 'text', nullable: true })
  closedBy: ClosedBy | null;

  @Column({ name: 'reopened_at', type: 'timestamptz', nullable: true })
  reopenedAt: Date | null;

  /** The last message of either side, or the opening or reopening: what "idle" is measured from. */
  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;

  /** Who wrote the ticket's latest message: 'customer' (waiting for the team) or 'agent' (answered). */
  @Column({ name: 'last_speaker', type: 'text', nullable: true })
  lastSpeaker: 'customer' | 'agent' | null;

  /** The customer's rating after the close (1–5), given once. */
  @Column({ type: 'smallint', nullable: true })
  rating: number | null;

  @Column({ name: 'rated_at', type: 'timestamptz', nullable: true })
  ratedAt: Date | null;

  /** What the customer wrote after a low rating, when asked. */
  @Column({ name: 'rating_comment', type: 'text', nullable: true })
  ratingComment: string | null;

  /** The status the topic's icon shows now (see TopicStatusService). */
  @Column({ name: 'topic_icon', type: 'text', nullable: true })
  topicIcon: 'waiting' | 'answered' | 'closed' | null;

  /** When the customer was told that the idle ticket will close soon. */
  @Column({ name: 'auto_close_warned_at', type: 'timestamptz', nullable: true })
  autoCloseWarnedAt: Date | null;

  /** The sanitised AI title ("#42 · Refund for a double charge"). */
  @Column({ name: 'ai_title', type: 'text', nullable: true })
  aiTitle: string | null;

  @Column({ name: 'ai_title_state', type: 'text', nullable: true })
  aiTitleState: AiTitleState | null;

  @Column({ name: 'ai_answer_state', type: 'text', nullable: true })
  aiAnswerState: AiAnswerState | null;

  @Column({ name: 'ai_answer', type: 'text', nullable: true })
  aiAnswer: string | null;

  /** The draft posted in the topic (draft mode). */
  @Column({ name: 'ai_draft_message_id', type: 'integer', nullable: true })
  aiDraftMessageId: number | null;

  /** The message the customer got. */
  @Column({ name: 'ai_answer_message_id', type: 'integer', nullable: true })
  aiAnswerMessageId: number | null;

  /** Its mirror in the topic (auto mode). */
  @Column({ name: 'ai_mirror_message_id', type: 'integer', nullable: true })
  aiMirrorMessageId: number | null;

  /** Who sent or discarded a draft (an agent's name). */
  @Column({ name: 'ai_answer_decided_by', type: 'text', nullable: true })
  aiAnswerDecidedBy: string | null;

  @Column({ name: 'ai_answer_decided_at', type: 'timestamptz', nullable: true })
  aiAnswerDecidedAt: Date | null;

  /** The agent who owns the ticket (/take), shown on the card and mentioned when the customer writes again. */
  @Column({ name: 'assignee_id', type: 'bigint', nullable: true, transformer: bigintNumber })
  assigneeId?: number | null;

  @Column({ name: 'assignee_name', type: 'text', nullable: true })
  assigneeName?: string | null;

  /** When the first-response reminder (SLA_FIRST_RESPONSE) was posted in the General topic. */
  @Column({ name: 'sla_reminded_at', type: 'timestamptz', nullable: true })
  slaRemindedAt?: Date | null;
}
