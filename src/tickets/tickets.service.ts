import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Language } from '../config/app-config';
import { Tx, UnitOfWork } from '../jobs/unit-of-work';
import { I18n } from '../telegram/i18n/i18n.service';
import { SupportGroups } from '../telegram/support-groups';
import { CategoryCatalog } from './category-catalog.service';
import { Customer, DraftMessage } from './customer.entity';
import { IncomingMessage } from './incoming-message';
import { TicketAckJob } from './jobs/ticket-ack.job';
import { CustomerRepository, Sender } from './repositories/customer.repository';
import { TicketMessageRepository } from './repositories/ticket-message.repository';
import { TicketRepository } from './repositories/ticket.repository';
import { UpdateClaimRepository } from './repositories/update-claim.repository';
import { Ticket } from './ticket.entity';

/**
 * Messages kept while a customer has not chosen a category yet. Beyond it a message is not kept, and the
 * customer is told so once: what they were told is kept stays kept.
 */
export const MAX_DRAFT = 200;
/** The greeting and the "choose a topic first" prompt go at most once per this many seconds (a flood gets a few, not one each). */
export const PROMPT_EVERY_S = 5;
/** Past the inbox's lease: an acknowledgement not recorded by then was lost with its instance. */
const ACK_LOST_AFTER_MS = 8000;

export type { Sender };

/** More customer messages than this in a minute is a flood: the customer is asked to slow down (all are kept). */
export const SANE_MESSAGES_PER_MINUTE = 30;
/** The "slow down" notice goes at most this often. */
export const SLOW_DOWN_EVERY_S = 10 * 60;

/** How long after a low rating the customer's next text counts as its comment. */
export const COMMENT_WINDOW_S = 30 * 60;

export type ReceiveResult =
  | { outcome: 'duplicate' }
  | { outcome: 'opened'; ticket: Ticket; customer: Customer }
  /** `slowDown`: the customer writes faster than a sane rate; tell them once (everything is kept). */
  | { outcome: 'appended'; ticket: Ticket; customer: Customer; slowDown?: boolean }
  | { outcome: 'reopened'; ticket: Ticket; customer: Customer }
  /** `prompt`: show the topic menu now (not more often than PROMPT_EVERY_S); `draftFull`: the first message not kept. */
  | { outcome: 'needs-category'; customer: Customer; prompt: boolean; draftFull: boolean }
  | { outcome: 'awaiting-description'; customer: Customer }
  /** MAX_TICKETS_PER_HOUR reached: the message joins the draft for the next ticket; `tell`, `draftFull` as for needs-category. */
  | { outcome: 'limited'; customer: Customer; max: number; tell: boolean; draftFull: boolean }
  /** The text answered the question after a low rating: stored as the rating's comment, nothing reopened. */
  | { outcome: 'commented'; ticket: Ticket; customer: Customer };

export type DialogueResult = { outcome: 'duplicate' } | { outcome: 'ok'; customer: Customer; openTicket: Ticket | null };
/** /start: `greet` says whether to answer it now (not more often than PROMPT_EVERY_S). */
export type StartResult = { outcome: 'duplicate' } | { outcome: 'ok'; customer: Customer; openTicket: Ticket | null; greet: boolean };

/**
 * Opens tickets and appends messages to them. Each call is one short unit of work that records the
 * Telegram update and publishes what became true (`ticket.created`, `ticket.message`, ...); listeners
 * write the jobs that follow in the same transaction. The acknowledgement is sent after COMMIT, and
 * nothing slow is awaited here.
 */
@Injectable()
export class TicketsService {
  private readonly logger = new Logger('Tickets');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly updates: UpdateClaimRepository,
    private readonly customers: CustomerRepository,
    private readonly tickets: TicketRepository,
    private readonly messages: TicketMessageRepository,
    private readonly ack: TicketAckJob,
    private readonly i18n: I18n,
    private readonly groups: SupportGroups,
    private readonly catalog: CategoryCatalog,
  ) {}

  /** A customer message: appended to the open ticket, opens one if a category is chosen, else kept as a draft. */
  receive(message: IncomingMessage): Promise<ReceiveResult> {
    return this.uow.run(
      async (tx): Promise<ReceiveResult> => {
        if (!(await this.claim(tx, message.updateId, 'message'))) {
          await this.ackIfLost(tx, message.from.id);
          return { outcome: 'duplicate' };
        }
        const customer = await this.upsertCustomer(tx, message.from);
        const { open, openedRecently } = await this.tickets.intakeView(customer.id, 3600, tx.db);
        if (open) {
          const recent = await this.append(tx, open, customer, [message]);
          const slowDown = recent > SANE_MESSAGES_PER_MINUTE && (await this.customers.claimSlowDown(customer.id, SLOW_DOWN_EVERY_S, tx.db));
          return { outcome: 'appended', ticket: open, customer, slowDown };
        }
        // Asked what went wrong after a low rating, the customer's next text is that comment (not when
        // they have just chosen a topic for a new ticket: that text describes it, and the query stays off
        // the path to its acknowledgement).
        if (message.kind === 'text' && message.text && customer.step !== 'describe') {
          const rated = await this.tickets.awaitingComment(customer.id, COMMENT_WINDOW_S, tx.db);
          if (rated && (await this.tickets.recordComment(rated.id, message.text, tx.db))) {
            await tx.publish('ticket.commented', { ticketId: rated.id });
            return { outcome: 'commented', ticket: rated, customer };
          }
        }
        // Writing again soon after a ticket closed reopens it, unless a new topic was already chosen.
        const recent = customer.step === 'describe' ? null : await this.tickets.recentlyClosed(customer.id, this.config.reopenWindowMs, tx.db);
        // The customer's row is locked by the upsert above, so nothing else reopens or opens meanwhile.
        if (recent && (await this.tickets.reopen(recent.id, tx.db))) {
          await tx.publish('ticket.reopened', { ticketId: recent.id, by: 'customer' });
          await this.append(tx, recent, customer, [message]);
          return { outcome: 'reopened', ticket: { ...recent, status: 'open' }, customer };
        }
        if (customer.step === 'describe' && customer.category) {
          const limited = await this.limit(tx, customer, openedRecently, message);
          if (limited) return limited;
          const opened = await this.openTicket(tx, customer, [...customer.draft, draftOf(message)]);
          return { outcome: opened.created ? 'opened' : 'appended', ticket: opened.ticket, customer };
        }
        const prompt = await this.customers.claimPrompt(customer.id, PROMPT_EVERY_S, tx.db);
        if (customer.draft.length >= MAX_DRAFT) {
          const dropped = await this.customers.countDropped(customer.id, tx.db);
          return { outcome: 'needs-category', customer, prompt, draftFull: dropped === 1 };
        }
        const draft = [...customer.draft, draftOf(message)];
        await this.customers.saveDraft(customer.id, draft, tx.db);
        return { outcome: 'needs-category', customer: { ...customer, draft }, prompt, draftFull: false };
      },
      (result) => this.afterCommit(result, message.messageId),
    );
  }

  /** /start: remember the customer, preselect a language, and reset an unfinished category choice. */
  start(updateId: number, from: Sender): Promise<StartResult> {
    return this.uow.run(async (tx): Promise<StartResult> => {
      if (!(await this.claim(tx, updateId, 'start'))) return { outcome: 'duplicate' };
      const customer = await this.upsertCustomer(tx, from);
      const openTicket = await this.tickets.openOf(customer.id, tx.db);
      if (!openTicket) await this.customers.moveTo(customer.id, 'language', tx.db);
      // A customer who moved on in the dialogue since the last greeting wants to start over: greet at once.
      // Repeated /start on the greeting itself (a flood) gets at most one answer per PROMPT_EVERY_S.
      const interval = openTicket || customer.step === 'language' ? PROMPT_EVERY_S : 0;
      const greet = await this.customers.claimGreeting(customer.id, openTicket ? 'reminder' : 'greeting', interval, tx.db);
      return { outcome: 'ok', customer: { ...customer, step: openTicket ? customer.step : 'language' }, openTicket, greet };
    });
  }

  chooseLanguage(updateId: number, from: Sender, language: Language): Promise<DialogueResult> {
    return this.uow.run(async (tx) => {
      if (!(await this.claim(tx, updateId, 'callback'))) return { outcome: 'duplicate' as const };
      const customer = await this.upsertCustomer(tx, from);
      await this.customers.chooseLanguage(customer.id, language, tx.db);
      return { outcome: 'ok' as const, customer: { ...customer, language, step: 'category' }, openTicket: await this.tickets.openOf(customer.id, tx.db) };
    });
  }

  /** Moves the dialogue to a step (back buttons, category without a final choice). */
  moveTo(updateId: number, from: Sender, step: 'language' | 'category'): Promise<DialogueResult> {
    return this.uow.run(async (tx) => {
      if (!(await this.claim(tx, updateId, 'callback'))) return { outcome: 'duplicate' as const };
      const customer = await this.upsertCustomer(tx, from);
      await this.customers.moveTo(customer.id, step, tx.db);
      return { outcome: 'ok' as const, customer: { ...customer, step }, openTicket: await this.tickets.openOf(customer.id, tx.db) };
    });
  }

  /**
   * The final category choice. If the customer already wrote (a draft), the ticket opens now with those
   * messages (within MAX_TICKETS_PER_HOUR), acknowledged as a reply to the first of them.
   */
  chooseCategory(updateId: number, from: Sender, category: string, subcategory: string | null): Promise<ReceiveResult> {
    return this.uow.run(
      async (tx): Promise<ReceiveResult> => {
        if (!(await this.claim(tx, updateId, 'callback'))) {
          await this.ackIfLost(tx, from.id);
          return { outcome: 'duplicate' };
        }
        const customer = await this.upsertCustomer(tx, from);
        await this.customers.chooseCategory(customer.id, category, subcategory, tx.db);
        const chosen: Customer = { ...customer, category, subcategory, step: 'describe' };
        const { open, openedRecently } = await this.tickets.intakeView(customer.id, 3600, tx.db);
        if (open || customer.draft.length === 0) return { outcome: 'awaiting-description', customer: chosen };
        // The draft would open a ticket here as a message does: the same hourly limit holds, the draft waits.
        const limited = await this.limit(tx, chosen, openedRecently);
        if (limited) return limited;
        const opened = await this.openTicket(tx, chosen, customer.draft);
        return { outcome: opened.created ? 'opened' : 'appended', ticket: opened.ticket, customer: chosen };
      },
      (result) => this.afterCommit(result, undefined),
    );
  }

  findTicket(id: number): Promise<Ticket | null> {
    return this.tickets.find(id);
  }

  findCustomer(id: number): Promise<Customer | null> {
    return this.customers.find(id);
  }

  /** The acknowledgement, after COMMIT: it promises that the ticket exists. One that fails inline is left to a durable job. */
  private async afterCommit(result: ReceiveResult, replyTo: number | undefined): Promise<void> {
    if (result.outcome === 'reopened') {
      this.logger.log(`ticket #${result.ticket.id} reopened: customer ${result.customer.id} wrote again`);
      await this.ack.tell(result.ticket, 'reopen.byCustomer', replyTo);
    }
    if (result.outcome === 'opened') {
      const { ticket, customer } = result;
      await this.ack.sendInline(ticket, replyTo ?? customer.draft[0]?.messageId);
      this.logger.log(`ticket #${ticket.id} opened for customer ${customer.id} (${ticket.category}${ticket.subcategory ? '/' + ticket.subcategory : ''})`);
    }
  }

  private async claim(tx: Tx, updateId: number, kind: string): Promise<boolean> {
    const claimed = await this.updates.claim(updateId, kind, tx.db);
    if (!claimed) this.logger.debug(`update ${updateId} was already handled; skipped`);
    return claimed;
  }

  /**
   * An update handled before is back: the inbox redrives it when the instance handling it died, maybe
   * after the COMMIT and before the acknowledgement. The customer's open ticket still without one gets
   * it now (by the job, which sends only while none is recorded) instead of from the sweeper a minute
   * later. Only for a ticket older than the inbox lease, so a live acknowledgement is not raced.
   */
  private async ackIfLost(tx: Tx, customerId: number): Promise<void> {
    const open = await this.tickets.openOf(customerId, tx.db);
    if (open && open.ackMessageId === null && Date.now() - new Date(open.createdAt).getTime() > ACK_LOST_AFTER_MS) {
      await tx.send('ticket.ack', { ticketId: open.id });
    }
  }

  private upsertCustomer(tx: Tx, from: Sender): Promise<Customer> {
    return this.customers.upsert(from, this.i18n.pick(from.language_code), tx.db);
  }

  /**
   * MAX_TICKETS_PER_HOUR reached: null when a ticket may open. Otherwise nothing opens and the message,
   * if any, joins the draft for the next ticket; a full draft keeps no more (so a flood of messages
   * cannot outgrow the limit either).
   */
  private async limit(tx: Tx, customer: Customer, openedRecently: number, message?: IncomingMessage): Promise<ReceiveResult | null> {
    const max = this.config.maxTicketsPerHour;
    if (!max || openedRecently < max) return null;
    const kept = message && customer.draft.length < MAX_DRAFT ? [...customer.draft, draftOf(message)] : null;
    if (kept) await this.customers.saveDraft(customer.id, kept, tx.db);
    const draftFull = !!message && !kept && (await this.customers.countDropped(customer.id, tx.db)) === 1;
    const tell = await this.customers.claimPrompt(customer.id, PROMPT_EVERY_S, tx.db);
    return { outcome: 'limited', customer: { ...customer, draft: kept ?? customer.draft }, max, tell, draftFull };
  }

  /** Opens the ticket (or finds the winner of a race for it) with the customer's messages so far. */
  private async openTicket(tx: Tx, customer: Customer, messages: DraftMessage[]): Promise<{ ticket: Ticket; created: boolean }> {
    // A ticket stays in its group for life: the category's group, else the one with the most room now.
    const groupId = await this.groups.pick(this.catalog.groupOf(customer.category), () => this.tickets.openCountsByGroup(tx.db));
    const opened = await this.tickets.open(customer, groupId, tx.db);
    await this.customers.finishIntake(customer.id, tx.db);
    if (opened.created) {
      await this.insertMessages(tx, opened.ticket.id, customer.id, messages);
      await tx.publish('ticket.created', { ticketId: opened.ticket.id, customerId: customer.id });
    } else {
      await this.append(tx, opened.ticket, customer, messages);
    }
    return opened;
  }

  /** Returns how many messages the customer wrote to the ticket in the last minute. */
  private async append(tx: Tx, ticket: Ticket, customer: Customer, messages: (DraftMessage | IncomingMessage)[]): Promise<number> {
    const recent = await this.insertMessages(tx, ticket.id, customer.id, messages);
    await tx.publish('ticket.message', { ticketId: ticket.id, customerId: customer.id });
    // Written after the auto-close warning: the close is off (the customer spoke last), and the team is told.
    if (ticket.autoCloseWarnedAt && new Date(ticket.autoCloseWarnedAt) >= new Date(ticket.lastActivityAt)) {
      await tx.publish('ticket.keptOpen', { ticketId: ticket.id });
    }
    return recent;
  }

  private insertMessages(tx: Tx, ticketId: number, chatId: number, messages: (DraftMessage | IncomingMessage)[]): Promise<number> {
    return this.messages.insert(
      ticketId,
      messages.map((message) => ({
        direction: 'customer',
        chatId,
        messageId: message.messageId,
        kind: message.kind,
        text: message.text,
        mediaGroupId: message.mediaGroupId,
        replyToMessageId: message.replyToMessageId ?? null,
        entities: message.entities ?? null,
      })),
      tx.db,
    );
  }
}

function draftOf(message: IncomingMessage): DraftMessage {
  return {
    messageId: message.messageId,
    kind: message.kind,
    text: message.text,
    mediaGroupId: message.mediaGroupId,
    entities: message.entities,
    replyToMessageId: message.replyToMessageId,
  };
}
