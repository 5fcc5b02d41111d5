import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Language } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { I18n } from '../telegram/i18n/i18n.service';
import { Customer, DraftMessage } from './customer.entity';
import { TicketCreatedEvent, TicketMessageEvent } from './events/ticket-events';
import { IncomingMessage } from './incoming-message';
import { TicketAckJob } from './jobs/ticket-ack.job';
import { Ticket } from './ticket.entity';
import { claimUpdate, insertTicketMessages, openTicketOf } from './ticket-store';

/** Messages kept while a customer has not chosen a category yet; beyond this the oldest are dropped. */
const MAX_DRAFT = 20;

export type Sender = IncomingMessage['from'];

export type ReceiveResult =
  | { outcome: 'duplicate' }
  | { outcome: 'opened'; ticket: Ticket; customer: Customer }
  | { outcome: 'appended'; ticket: Ticket; customer: Customer }
  | { outcome: 'reopened'; ticket: Ticket; customer: Customer }
  | { outcome: 'needs-category'; customer: Customer }
  | { outcome: 'awaiting-description'; customer: Customer };

export type DialogueResult = { outcome: 'duplicate' } | { outcome: 'ok'; customer: Customer; openTicket: Ticket | null };

/**
 * Opens tickets and appends messages to them. Each call is one short transaction that also records the
 * Telegram update and writes the jobs that must follow; the acknowledgement is sent after COMMIT, and
 * nothing slow is awaited here.
 */
@Injectable()
export class TicketsService {
  private readonly logger = new Logger('Tickets');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly ack: TicketAckJob,
    private readonly i18n: I18n,
    private readonly events: EventEmitter2,
  ) {}

  /** A customer message: appended to the open ticket, opens one if a category is chosen, else kept as a draft. */
  async receive(message: IncomingMessage): Promise<ReceiveResult> {
    const result = await this.dataSource.transaction(async (m): Promise<ReceiveResult> => {
      if (!(await this.claimUpdate(m, message.updateId, 'message'))) return { outcome: 'duplicate' };
      const customer = await this.upsertCustomer(m, message.from);
      const open = await this.openTicketOf(m, customer.id);
      if (open) {
        await this.insertMessages(m, open.id, customer.id, [message]);
        await this.jobs.send('ticket.sync', { ticketId: open.id }, { tx: m });
        return { outcome: 'appended', ticket: open, customer };
      }
      // Writing again soon after a ticket closed reopens it, unless a new topic was already chosen.
      const recent = customer.step === 'describe' ? null : await this.recentlyClosed(m, customer.id);
      if (recent) {
        await m.query(
          `UPDATE tickets SET status = 'open', closed_at = NULL, closed_by = NULL, reopened_at = now(), updated_at = now() WHERE id = $1`,
          [recent.id],
        );
        await this.insertMessages(m, recent.id, customer.id, [message]);
        await this.jobs.send('ticket.sync', { ticketId: recent.id }, { tx: m });
        await this.jobs.send('ticket.lifecycle', { ticketId: recent.id, event: 'reopened', by: 'customer' }, { tx: m });
        return { outcome: 'reopened', ticket: { ...recent, status: 'open' }, customer };
      }
      if (customer.step === 'describe' && customer.category) {
        const ticket = await this.openTicket(m, customer, [...customer.draft, draftOf(message)]);
        return { outcome: ticket.created ? 'opened' : 'appended', ticket: ticket.ticket, customer };
      }
      const draft = [...customer.draft, draftOf(message)].slice(-MAX_DRAFT);
      await m.query(`UPDATE customers SET draft = $2::jsonb, updated_at = now() WHERE id = $1`, [customer.id, JSON.stringify(draft)]);
      return { outcome: 'needs-category', customer: { ...customer, draft } };
    });
    await this.afterCommit(result, message.messageId);
    return result;
  }

  /** /start: remember the customer, preselect a language, and reset an unfinished category choice. */
  async start(updateId: number, from: Sender): Promise<DialogueResult> {
    return this.dataSource.transaction(async (m) => {
      if (!(await this.claimUpdate(m, updateId, 'start'))) return { outcome: 'duplicate' as const };
      const customer = await this.upsertCustomer(m, from);
      const openTicket = await this.openTicketOf(m, customer.id);
      if (!openTicket) await m.query(`UPDATE customers SET step = 'language', updated_at = now() WHERE id = $1`, [customer.id]);
      return { outcome: 'ok' as const, customer: { ...customer, step: openTicket ? customer.step : 'language' }, openTicket };
    });
  }

  async chooseLanguage(updateId: number, from: Sender, language: Language): Promise<DialogueResult> {
    return this.dataSource.transaction(async (m) => {
      if (!(await this.claimUpdate(m, updateId, 'callback'))) return { outcome: 'duplicate' as const };
      const customer = await this.upsertCustomer(m, from);
      await m.query(`UPDATE customers SET language = $2, step = 'category', updated_at = now() WHERE id = $1`, [customer.id, language]);
      return { outcome: 'ok' as const, customer: { ...customer, language, step: 'category' }, openTicket: await this.openTicketOf(m, customer.id) };
    });
  }

  /** Moves the dialogue to a step (back buttons, category without a final choice). */
  async moveTo(updateId: number, from: Sender, step: 'language' | 'category'): Promise<DialogueResult> {
    return this.dataSource.transaction(async (m) => {
      if (!(await this.claimUpdate(m, updateId, 'callback'))) return { outcome: 'duplicate' as const };
      const customer = await this.upsertCustomer(m, from);
      await m.query(`UPDATE customers SET step = $2, updated_at = now() WHERE id = $1`, [customer.id, step]);
      return { outcome: 'ok' as const, customer: { ...customer, step }, openTicket: await this.openTicketOf(m, customer.id) };
    });
  }

  /**
   * The final category choice. If the customer already wrote (a draft), the ticket opens now with those
   * messages, acknowledged as a reply to the first of them.
   */
  async chooseCategory(updateId: number, from: Sender, category: string, subcategory: string | null): Promise<ReceiveResult> {
    const result = await this.dataSource.transaction(async (m): Promise<ReceiveResult> => {
      if (!(await this.claimUpdate(m, updateId, 'callback'))) return { outcome: 'duplicate' };
      const customer = await this.upsertCustomer(m, from);
      await m.query(`UPDATE customers SET category = $2, subcategory = $3, step = 'describe', updated_at = now() WHERE id = $1`, [
        customer.id,
        category,
        subcategory,
      ]);
      const chosen: Customer = { ...customer, category, subcategory, step: 'describe' };
      const open = await this.openTicketOf(m, customer.id);
      if (open || customer.draft.length === 0) return { outcome: 'awaiting-description', customer: chosen };
      const opened = await this.openTicket(m, chosen, customer.draft);
      return { outcome: opened.created ? 'opened' : 'appended', ticket: opened.ticket, customer: chosen };
    });
    await this.afterCommit(result, undefined);
    return result;
  }

  findTicket(id: number): Promise<Ticket | null> {
    return this.dataSource.getRepository(Ticket).findOneBy({ id });
  }

  findCustomer(id: number): Promise<Customer | null> {
    return this.dataSource.getRepository(Customer).findOneBy({ id });
  }

  /**
   * The acknowledgement, after COMMIT (it promises that the ticket exists), then the event whose
   * listeners wake the background work. An acknowledgement that fails inline is left to a durable job.
   */
  private async afterCommit(result: ReceiveResult, replyTo: number | undefined): Promise<void> {
    if (result.outcome !== 'opened' && result.outcome !== 'appended' && result.outcome !== 'reopened') return;
    const { ticket, customer } = result;
    if (result.outcome === 'reopened') {
      this.logger.log(`ticket #${ticket.id} reopened: customer ${customer.id} wrote again`);
      this.jobs.wake('ticket.lifecycle');
      await this.ack.tell(ticket, 'reopen.byCustomer', replyTo);
    }
    if (result.outcome === 'opened') {
      await this.ack.sendInline(ticket, replyTo ?? customer.draft[0]?.messageId);
      this.logger.log(`ticket #${ticket.id} opened for customer ${customer.id} (${ticket.category}${ticket.subcategory ? '/' + ticket.subcategory : ''})`);
      this.events.emit(TicketCreatedEvent.eventName, new TicketCreatedEvent(ticket.id, customer.id));
    } else {
      this.events.emit(TicketMessageEvent.eventName, new TicketMessageEvent(ticket.id, customer.id, replyTo ?? 0));
    }
  }

  private async claimUpdate(m: EntityManager, updateId: number, kind: string): Promise<boolean> {
    const claimed = await claimUpdate(m, updateId, kind);
    if (!claimed) this.logger.debug(`update ${updateId} was already handled; skipped`);
    return claimed;
  }

  private async upsertCustomer(m: EntityManager, from: Sender): Promise<Customer> {
    const rows: Record<string, unknown>[] = await m.query(
      `INSERT INTO customers (id, first_name, last_name, username, language_code, language)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
         username = EXCLUDED.username, language_code = EXCLUDED.language_code
       RETURNING *`,
      [from.id, from.first_name, from.last_name ?? null, from.username ?? null, from.language_code ?? null, this.i18n.pick(from.language_code)],
    );
    return m.getRepository(Customer).create(toEntity(rows[0], CUSTOMER_COLUMNS) as Partial<Customer>);
  }

  private async recentlyClosed(m: EntityManager, customerId: number): Promise<Ticket | null> {
    return m
      .getRepository(Ticket)
      .createQueryBuilder('t')
      .where(`t.customer_id = :customerId AND t.status = 'closed' AND t.closed_at > now() - make_interval(secs => :seconds)`, {
        customerId,
        seconds: this.config.reopenWindowMs / 1000,
      })
      .orderBy('t.closed_at', 'DESC')
      .getOne();
  }

  private openTicketOf(m: EntityManager, customerId: number): Promise<Ticket | null> {
    return openTicketOf(m, customerId);
  }

  /**
   * Inserts the ticket; the partial unique index decides a race between two messages or two instances:
   * the loser appends its messages to the winner's ticket.
   */
  private async openTicket(m: EntityManager, customer: Customer, messages: DraftMessage[]): Promise<{ ticket: Ticket; created: boolean }> {
    const inserted: { id: string }[] = await m.query(
      `INSERT INTO tickets (customer_id, language, category, subcategory) VALUES ($1, $2, $3, $4)
       ON CONFLICT (customer_id) WHERE status = 'open' DO NOTHING RETURNING id`,
      [customer.id, customer.language, customer.category, customer.subcategory],
    );
    const ticket = await this.openTicketOf(m, customer.id);
    if (!ticket) throw new Error(`customer ${customer.id}: no open ticket after insert`);
    await this.insertMessages(
      m,
      ticket.id,
      customer.id,
      messages.map((d) => ({ messageId: d.messageId, kind: d.kind, text: d.text, mediaGroupId: d.mediaGroupId })),
    );
    await m.query(`UPDATE customers SET step = 'idle', draft = '[]'::jsonb, updated_at = now() WHERE id = $1`, [customer.id]);
    await this.jobs.send('ticket.sync', { ticketId: ticket.id }, { tx: m });
    // The AI's work is written with the ticket too (only by the insert's winner, and only with a key).
    if (inserted.length > 0 && this.config.openaiApiKey) {
      await this.jobs.send('ai.title', { ticketId: ticket.id }, { tx: m });
      if (this.config.aiAnswerMode !== 'off') await this.jobs.send('ai.answer', { ticketId: ticket.id }, { tx: m });
    }
    return { ticket, created: inserted.length > 0 };
  }

  private insertMessages(
    m: EntityManager,
    ticketId: number,
    chatId: number,
    messages: Pick<IncomingMessage, 'messageId' | 'kind' | 'text' | 'mediaGroupId'>[],
  ): Promise<void> {
    return insertTicketMessages(
      m,
      ticketId,
      messages.map((message) => ({
        direction: 'customer',
        chatId,
        messageId: message.messageId,
        kind: message.kind,
        text: message.text,
        mediaGroupId: message.mediaGroupId,
        replyToMessageId: (message as Partial<IncomingMessage>).replyToMessageId ?? null,
        entities: (message as Partial<IncomingMessage>).entities ?? null,
      })),
    );
  }
}

function draftOf(message: IncomingMessage): DraftMessage {
  return { messageId: message.messageId, kind: message.kind, text: message.text, mediaGroupId: message.mediaGroupId };
}

const CUSTOMER_COLUMNS: Record<string, string> = {
  id: 'id',
  first_name: 'firstName',
  last_name: 'lastName',
  username: 'username',
  language_code: 'languageCode',
  language: 'language',
  step: 'step',
  category: 'category',
  subcategory: 'subcategory',
  draft: 'draft',
  blocked_at: 'blockedAt',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};

function toEntity(row: Record<string, unknown>, columns: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, property] of Object.entries(columns)) out[property] = row[column];
  out.id = Number(row.id);
  return out;
}
