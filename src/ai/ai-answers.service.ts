import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { InlineKeyboardMarkup } from 'telegraf/types';
import { DataSource } from 'typeorm';
import { AiAnswerMode, APP_CONFIG, AppConfig, Language } from '../config/app-config';
import { updateReturning } from '../database/sql';
import { JobQueue } from '../jobs/job-queue';
import { truncate } from '../telegram/html';
import type { MessageKey } from '../telegram/i18n/messages';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { CategoryCatalog } from '../tickets/category-catalog.service';
import { AiClient, AiFailure } from './ai-client';
import { KnowledgeBase } from './knowledge-base';
import { answerPrompt, ModelAnswer, parseAnswer } from './prompts';

/** Callback data of the draft's buttons: `ai:send:42`, `ai:discard:42` (well under Telegram's 64 bytes). */
export const AI_ACTION = /^ai:(send|discard):(\d+)$/;
/** The longest answer passed on; Telegram's message limit is 4096 characters, the frame takes some. */
const ANSWER_MAX = 3000;
/** How many times the job looks again for a topic to post into before it gives up (about 3 minutes). */
const MAX_TOPIC_WAITS = 40;

type AnswerState = 'ready' | 'drafted' | 'sending' | 'sent' | 'discarded' | 'uncovered' | 'skipped' | 'failed';

interface AnswerRow {
  id: number;
  customer_id: number;
  language: Language;
  category: string;
  subcategory: string | null;
  status: string;
  thread_id: number | null;
  ai_answer_state: AnswerState | null;
  ai_answer: string | null;
  ai_draft_message_id: number | null;
  ai_answer_message_id: number | null;
  ai_mirror_message_id: number | null;
}

/**
 * The AI's first answer, once per ticket (`ai.answer`, enqueued in the ticket's transaction). The model
 * answers only from the knowledge base and says whether that covers the question; an uncovered question
 * is left to the agents and nothing is sent. Then, by AI_ANSWER_MODE:
 * - `draft`: the answer is posted in the topic with "Send to customer" / "Discard"; an agent decides.
 * - `auto`: it goes to the customer marked as automatic, and a copy is posted in the topic.
 * Never after an agent has answered (checked in the same UPDATE that claims the send), never twice: the
 * state on the ticket moves forward only by conditional UPDATEs. A send whose outcome a crash hid is not
 * repeated (at most once: an agent is there anyway).
 */
@Injectable()
export class AiAnswers implements OnModuleInit {
  private readonly logger = new Logger('AiAnswers');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly catalog: CategoryCatalog,
    private readonly client: AiClient,
    private readonly knowledge: KnowledgeBase,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ai.answer', ({ ticketId, waits }) => this.run(ticketId, waits ?? 0));
  }

  get mode(): AiAnswerMode {
    return this.client.enabled ? this.config.aiAnswerMode : 'off';
  }

  /** The `ai.answer` job: each run moves the ticket's answer as far as it can go now. */
  async run(ticketId: number, waits: number): Promise<void> {
    let row = await this.load(ticketId);
    if (!row) return;
    if (row.ai_answer_state === null) {
      if (!(await this.compose(row))) return;
      row = (await this.load(ticketId))!;
    }
    if (row.ai_answer_state === 'ready' && this.mode === 'draft') return this.postDraft(row, waits);
    if (row.ai_answer_state === 'ready' && this.mode === 'auto') {
      await this.sendAutomatic(row);
      row = (await this.load(ticketId))!;
    }
    if (row.ai_answer_state === 'sent' && row.ai_answer_message_id && !row.ai_mirror_message_id && !row.ai_draft_message_id) {
      await this.mirror(row, waits);
    }
  }

  /** "Send to customer" on a draft; returns the text for the agent's callback answer. */
  async sendDraft(ticketId: number, agent: string, draftMessageId: number | undefined): Promise<string> {
    const [claimed] = await updateReturning<AnswerRow>(
      this.dataSource,
      `UPDATE tickets t SET ai_answer_state = 'sending'
        WHERE t.id = $1 AND t.ai_answer_state = 'drafted' AND t.status = 'open'
          AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.direction = 'agent')
        RETURNING ${COLUMNS}`,
      [ticketId],
    );
    if (!claimed) return this.notClaimed(ticketId, agent, draftMessageId);
    const row = { ...normalize(claimed), ai_draft_message_id: draftMessageId ?? claimed.ai_draft_message_id };
    let sentId: number;
    try {
      const sent = await this.gateway.sendMessage(
        row.customer_id,
        this.i18n.t(row.language, 'ai.answer.fromSupport', { answer: row.ai_answer ?? '' }),
        {},
        { lane: 'customer' },
      );
      sentId = sent.message_id;
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'blocked') {
        await this.settle(ticketId, 'sending', 'failed', agent);
        await this.editDraft(row, 'ai.draft.unreachable', agent);
        return this.say('ai.callback.unreachable');
      }
      await this.dataSource.query(`UPDATE tickets SET ai_answer_state = 'drafted' WHERE id = $1 AND ai_answer_state = 'sending'`, [ticketId]);
      this.logger.warn(`ticket #${ticketId}: the AI draft could not be sent (${(error as Error).message}); the agent may try again`);
      return this.say('ai.callback.failed');
    }
    await this.dataSource.query(
      `UPDATE tickets SET ai_answer_state = 'sent', ai_answer_message_id = $2, ai_answer_decided_by = $3, ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = 'sending'`,
      [ticketId, sentId, agent],
    );
    this.logger.log(`ticket #${ticketId}: AI draft sent to the customer by ${agent}`);
    await this.editDraft(row, 'ai.draft.sent', agent);
    return this.say('ai.callback.sent');
  }

  /** "Discard" on a draft; returns the text for the agent's callback answer. */
  async discardDraft(ticketId: number, agent: string, draftMessageId: number | undefined): Promise<string> {
    const [claimed] = await updateReturning<AnswerRow>(
      this.dataSource,
      `UPDATE tickets SET ai_answer_state = 'discarded', ai_answer_decided_by = $2, ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = 'drafted' RETURNING ${COLUMNS}`,
      [ticketId, agent],
    );
    if (!claimed) return this.notClaimed(ticketId, agent, draftMessageId);
    this.logger.log(`ticket #${ticketId}: AI draft discarded by ${agent}`);
    await this.editDraft({ ...normalize(claimed), ai_draft_message_id: draftMessageId ?? claimed.ai_draft_message_id }, 'ai.draft.discarded', agent);
    return this.say('ai.callback.discarded');
  }

  // ---------------------------------------------------------------- the job's steps

  /** Asks the model; true when there is an answer to deliver, false when the ticket's answer is settled otherwise. */
  private async compose(row: AnswerRow): Promise<boolean> {
    const settle = async (state: 'skipped' | 'uncovered' | 'failed', why: string, answer: string | null = null): Promise<false> => {
      await this.dataSource.query(
        `UPDATE tickets SET ai_answer_state = $2, ai_answer = $3, ai_answer_decided_at = now() WHERE id = $1 AND ai_answer_state IS NULL`,
        [row.id, state, answer],
      );
      this.logger.log(`ticket #${row.id}: no AI answer (${why})`);
      return false;
    };
    if (this.mode === 'off') return settle('skipped', 'AI answers are off');
    if (row.status !== 'open') return settle('skipped', 'the ticket is closed');
    if (await this.agentAnswered(row.id)) return settle('skipped', 'an agent answered first');
    const question = await this.customerText(row.id);
    if (!question) return settle('skipped', 'no text to answer');
    const knowledge = this.knowledge.select(question);
    // Nothing in the knowledge base shares a word with the question: no model call can make it covered.
    if (!knowledge.length) return settle('uncovered', 'the knowledge base has nothing on it');
    let answer: ModelAnswer;
    try {
      const category = this.catalog.label(row.language, row.category, row.subcategory);
      const content = await this.client.complete(answerPrompt({ language: row.language, category, customerText: question, knowledge }), {
        timeoutMs: this.config.openaiTimeoutMs,
        maxRetries: 1,
        totalMs: this.config.openaiTimeoutMs * 2 + 1000,
        json: true,
        maxTokens: 700,
      });
      const parsed = parseAnswer(content);
      if (!parsed) throw new AiFailure('invalid-output', 'the answer is not {"covered": boolean, "answer": string}');
      answer = parsed;
    } catch (error) {
      if (!(error instanceof AiFailure)) throw error;
      this.client.report(error, `ticket #${row.id}: AI answer`);
      return settle('failed', error.kind);
    }
    if (!answer.covered) return settle('uncovered', 'the model found the knowledge base does not cover it', answer.answer);
    await this.dataSource.query(`UPDATE tickets SET ai_answer = $2, ai_answer_state = 'ready' WHERE id = $1 AND ai_answer_state IS NULL`, [
      row.id,
      truncate(answer.answer, ANSWER_MAX),
    ]);
    return true;
  }

  private async postDraft(row: AnswerRow, waits: number): Promise<void> {
    if (!(await this.topicReady(row, waits))) return this.later(row, waits, 'ready');
    if (row.status !== 'open' || (await this.agentAnswered(row.id))) {
      await this.settle(row.id, 'ready', 'skipped', null);
      return;
    }
    // 'drafted' before the post: an agent may click the buttons the moment they appear.
    const claimed = await updateReturning(
      this.dataSource,
      `UPDATE tickets SET ai_answer_state = 'drafted' WHERE id = $1 AND ai_answer_state = 'ready' RETURNING id`,
      [row.id],
    );
    if (!claimed.length) return;
    let draftId: number;
    try {
      const sent = await this.gateway.sendMessage(
        this.config.supportChatId,
        this.draftText(row, 'ai.draft'),
        { message_thread_id: row.thread_id!, reply_markup: this.draftButtons(row.id) },
        { lane: 'group' },
      );
      draftId = sent.message_id;
    } catch (error) {
      await this.dataSource.query(
        `UPDATE tickets SET ai_answer_state = 'ready' WHERE id = $1 AND ai_answer_state = 'drafted' AND ai_draft_message_id IS NULL`,
        [row.id],
      );
      throw error;
    }
    await this.dataSource.query(`UPDATE tickets SET ai_draft_message_id = $2 WHERE id = $1`, [row.id, draftId]);
    this.logger.log(`ticket #${row.id}: AI draft posted in topic ${row.thread_id}`);
  }

  private async sendAutomatic(row: AnswerRow): Promise<void> {
    // The last check for an agent's answer is part of the claim itself.
    const claimed = await updateReturning(
      this.dataSource,
      `UPDATE tickets t SET ai_answer_state = 'sending'
        WHERE t.id = $1 AND t.ai_answer_state = 'ready' AND t.status = 'open'
          AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.direction = 'agent')
        RETURNING t.id`,
      [row.id],
    );
    if (!claimed.length) {
      await this.settle(row.id, 'ready', 'skipped', null);
      this.logger.log(`ticket #${row.id}: no automatic answer (an agent answered first, or the ticket closed)`);
      return;
    }
    let sentId: number;
    try {
      const sent = await this.gateway.sendMessage(
        row.customer_id,
        this.i18n.t(row.language, 'ai.answer.auto', { answer: row.ai_answer ?? '' }),
        {},
        { lane: 'customer' },
      );
      sentId = sent.message_id;
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'blocked') {
        await this.settle(row.id, 'sending', 'failed', null);
        return;
      }
      await this.dataSource.query(`UPDATE tickets SET ai_answer_state = 'ready' WHERE id = $1 AND ai_answer_state = 'sending'`, [row.id]);
      throw error;
    }
    await this.dataSource.query(
      `UPDATE tickets SET ai_answer_state = 'sent', ai_answer_message_id = $2, ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = 'sending'`,
      [row.id, sentId],
    );
    this.logger.log(`ticket #${row.id}: automatic answer sent to the customer`);
  }

  /** Auto mode: the agents see in the topic what the customer was told. */
  private async mirror(row: AnswerRow, waits: number): Promise<void> {
    if (!(await this.topicReady(row, waits))) return this.later(row, waits, 'sent');
    const sent = await this.gateway.sendMessage(
      this.config.supportChatId,
      this.draftText(row, 'ai.mirror'),
      { message_thread_id: row.thread_id!, link_preview_options: { is_disabled: true } },
      { lane: 'group' },
    );
    await this.dataSource.query(`UPDATE tickets SET ai_mirror_message_id = $2 WHERE id = $1`, [row.id, sent.message_id]);
  }

  /**
   * The topic exists, with its card and the customer's first message, so the AI's post comes after them.
   * After a few rounds the topic alone is enough (a first message that cannot be copied must not block it).
   */
  private async topicReady(row: AnswerRow, waits: number): Promise<boolean> {
    if (!row.thread_id) return false;
    if (waits >= 5) return true;
    const [state]: { ready: boolean }[] = await this.dataSource.query(
      `SELECT t.card_message_id IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.direction = 'customer' AND m.copied_at IS NULL
            AND m.id = (SELECT min(f.id) FROM ticket_messages f WHERE f.ticket_id = t.id AND f.direction = 'customer')) AS ready
         FROM tickets t WHERE t.id = $1`,
      [row.id],
    );
    return state?.ready === true;
  }

  /** Comes back later for the topic (a new job rather than a failed one: waiting is not an error). */
  private async later(row: AnswerRow, waits: number, state: AnswerState): Promise<void> {
    if (waits >= MAX_TOPIC_WAITS) {
      this.logger.warn(`ticket #${row.id}: no topic to post the AI answer in after ${waits} tries; giving up on it`);
      if (state === 'ready') await this.settle(row.id, 'ready', 'failed', null);
      return;
    }
    await this.jobs.send('ai.answer', { ticketId: row.id, waits: waits + 1 }, { startAfterSeconds: waits < 10 ? 1 : 5 });
  }

  // ---------------------------------------------------------------- helpers

  private async notClaimed(ticketId: number, agent: string, draftMessageId: number | undefined): Promise<string> {
    const loaded = await this.load(ticketId);
    const row = loaded && { ...loaded, ai_draft_message_id: draftMessageId ?? loaded.ai_draft_message_id };
    switch (row?.ai_answer_state) {
      case 'sent':
        return this.say('ai.callback.alreadySent');
      case 'discarded':
        return this.say('ai.callback.alreadyDiscarded');
      case 'sending':
        return this.say('ai.callback.busy');
      case 'drafted': {
        // Still a draft, yet not sendable: an agent answered meanwhile, or the ticket closed.
        await this.settle(ticketId, 'drafted', 'skipped', agent);
        await this.editDraft(row, 'ai.draft.obsolete', agent);
        return this.say('ai.callback.obsolete');
      }
      default:
        return this.say('ai.callback.obsolete');
    }
  }

  private async settle(ticketId: number, from: AnswerState, to: AnswerState, agent: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE tickets SET ai_answer_state = $3, ai_answer_decided_by = coalesce($4, ai_answer_decided_by), ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = $2`,
      [ticketId, from, to, agent],
    );
  }

  /** The draft shows what became of it, without its buttons. The decision stands even if this edit fails. */
  private async editDraft(row: AnswerRow, key: MessageKey, agent: string): Promise<void> {
    if (!row.ai_draft_message_id) return;
    const text = `${this.draftText(row, 'ai.draft.head')}\n\n${this.i18n.t(this.config.supportLanguage, key, { agent })}`;
    await this.gateway
      .editMessageText(this.config.supportChatId, row.ai_draft_message_id, text, { reply_markup: { inline_keyboard: [] } }, { lane: 'group' })
      .catch((error: Error) => this.logger.warn(`ticket #${row.id}: could not update the AI draft message: ${error.message}`));
  }

  private draftText(row: AnswerRow, key: 'ai.draft' | 'ai.draft.head' | 'ai.mirror'): string {
    return this.i18n.t(this.config.supportLanguage, key, {
      answer: row.ai_answer ?? '',
      language: this.i18n.t(row.language, 'language.name'),
    });
  }

  private draftButtons(ticketId: number): InlineKeyboardMarkup {
    const language = this.config.supportLanguage;
    return {
      inline_keyboard: [
        [
          { text: this.i18n.t(language, 'ai.button.send'), callback_data: `ai:send:${ticketId}` },
          { text: this.i18n.t(language, 'ai.button.discard'), callback_data: `ai:discard:${ticketId}` },
        ],
      ],
    };
  }

  private say(key: MessageKey): string {
    return this.i18n.t(this.config.supportLanguage, key);
  }

  private async agentAnswered(ticketId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ticket_messages WHERE ticket_id = $1 AND direction = 'agent' LIMIT 1`, [
      ticketId,
    ]);
    return rows.length > 0;
  }

  private async customerText(ticketId: number): Promise<string> {
    const rows: { text: string }[] = await this.dataSource.query(
      `SELECT text FROM ticket_messages WHERE ticket_id = $1 AND direction = 'customer' AND coalesce(text, '') <> '' ORDER BY id LIMIT 10`,
      [ticketId],
    );
    return rows.map((r) => r.text).join('\n');
  }

  private async load(ticketId: number): Promise<AnswerRow | null> {
    const [row]: AnswerRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM tickets WHERE id = $1`, [ticketId]);
    return row ? normalize(row) : null;
  }
}

const COLUMNS = `id, customer_id, language, category, subcategory, status, thread_id, ai_answer_state, ai_answer,
  ai_draft_message_id, ai_answer_message_id, ai_mirror_message_id`;

/** bigint columns arrive as strings from pg. */
function normalize(row: AnswerRow): AnswerRow {
  return { ...row, id: Number(row.id), customer_id: Number(row.customer_id) };
}
