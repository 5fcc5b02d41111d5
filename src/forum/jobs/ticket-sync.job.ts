import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { LEASES } from '../../database/locks';
import { WorkLeaseRepository } from '../../database/repositories/work-lease.repository';
import { JobQueue } from '../../jobs/job-queue';
import { Metrics } from '../../metrics/metrics.service';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { CategoryCatalog } from '../../tickets/category-catalog.service';
import { TicketMessageRepository } from '../../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';
import { TopicRepository } from '../../tickets/repositories/topic.repository';
import { TicketMessage } from '../../tickets/ticket-message.entity';
import { Ticket } from '../../tickets/ticket.entity';
import { CardWithMessage, cardWithMessage } from '../card-message';
import { TOPIC_NAME_MAX, provisionalTitle } from '../ticket-card';
import { TicketCards } from '../ticket-cards.service';
import { TopicStatusService } from '../topic-status.service';
import { MessageCopier } from '../message-copier.service';
import { truncate } from '../../telegram/html';
import { TopicAdoption } from '../topic-adoption.service';
import { TopicNotes } from '../topic-notes.service';
import { TopicTitleSource } from '../topic-title.port';
import { persist } from '../../database/persist';

/**
 * After an attempt whose outcome is unknown (a crash, a timeout), how long to wait for Telegram's
 * `forum_topic_created` message to reveal the topic before creating another. The announcement may sit
 * in the inbox under a dead instance's lease (10 s) before it is handled.
 */
const ADOPTION_WAIT_MS = 15_000;
/**
 * `ticket.sync`: makes the ticket's forum topic exist (with its card) and copies the customer's pending
 * messages into it, oldest first, albums as albums. Idempotent: every result is recorded as soon as
 * Telegram returns it, so a retried job continues where the last one stopped instead of repeating it.
 * One sync per ticket runs at a time (a lease per ticket, see WorkLeaseRepository).
 */
@Injectable()
export class TicketSyncJob implements OnModuleInit {
  private readonly logger = new Logger('TopicSync');
  @Inject(Metrics) private readonly metrics: Metrics;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leases: WorkLeaseRepository,
    private readonly tickets: TicketRepository,
    private readonly topics: TopicRepository,
    private readonly messages: TicketMessageRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly catalog: CategoryCatalog,
    private readonly titles: TopicTitleSource,
    private readonly adoption: TopicAdoption,
    private readonly notes: TopicNotes,
    private readonly cards: TicketCards,
    private readonly status: TopicStatusService,
    private readonly copier: MessageCopier,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ticket.sync', ({ ticketId }) => this.run(ticketId));
  }

  async run(ticketId: number): Promise<void> {
    let yielded = false;
    await this.leases.whileLeased(
      LEASES.sync,
      ticketId,
      async () => void (yielded = (await this.syncOnce(ticketId)) === 'more'),
      async () => !yielded && (await this.topics.syncPending(ticketId)),
    );
    // Its turn is over: the rest goes to the back of the queue, after the lease is free for it.
    if (yielded) await this.jobs.send('ticket.sync', { ticketId });
  }

  /** 'more' when the turn ended with copies still pending. */
  private async syncOnce(ticketId: number): Promise<'done' | 'more'> {
    let ticket = await this.tickets.find(ticketId);
    if (!ticket) {
      this.logger.warn(`ticket #${ticketId} does not exist; nothing to sync`);
      return 'done';
    }
    let recreated = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!ticket.threadId) ticket = await this.createTopic(ticket);
        if (!ticket.cardMessageId) {
          ticket = await this.postCard(ticket);
          if (recreated) await this.notes.post(ticket.groupId, ticket.threadId!, 'topic.recreated');
        }
        const turn = await this.copier.copyPending(ticket);
        // The customer spoke last: the topic's icon says it waits for the team (once, after the copies).
        if (turn === 'done') this.status.follow(ticket.id);
        return turn;
      } catch (error) {
        if (!(error instanceof TelegramCallError) || attempt > 0) throw error;
        if (error.kind === 'thread-gone') {
          // An admin deleted the topic: a new one, with the card and a note, and the send is retried.
          this.logger.warn(`ticket #${ticket.id}: topic ${ticket.threadId} is gone; creating a new one`);
          await this.topics.forget(ticket.id);
          await this.messages.forgetTopicCopies(ticket.id);
          ticket = { ...ticket, threadId: null, cardMessageId: null };
          recreated = true;
          continue;
        }
        if (error.kind === 'topic-closed' && ticket.threadId) {
          // Closed by hand while the ticket is open: reopen it and go on.
          this.logger.warn(`ticket #${ticket.id}: topic ${ticket.threadId} was closed by hand; reopening it`);
          await this.gateway
            .call('reopenForumTopic', { chat_id: ticket.groupId, message_thread_id: ticket.threadId }, { lane: 'group', key: ticket.id })
            .catch((e: TelegramCallError) => {
              if (e.kind !== 'not-modified') throw e;
            });
          continue;
        }
        throw error;
      }
    }
  }

  private async createTopic(ticket: Ticket): Promise<Ticket> {
    if (ticket.topicRequestedAt) {
      const adopted = await this.awaitAdoption(ticket);
      if (adopted.threadId) return adopted;
      // The earlier request's topic never showed: another is created (a late-found first one is removed as a duplicate).
      this.metrics.unknownOutcomeRepeat('createForumTopic');
    }
    const first = await this.messages.firstCustomerMessage(ticket.id);
    const label = this.catalog.label(this.config.supportLanguage, ticket.category, ticket.subcategory);
    const fallback = provisionalTitle(ticket, label, first?.text ?? null);
    const suggested = await this.titles.forNewTopic(ticket).catch(() => null);
    const title = suggested ?? fallback;
    const plain = truncate(`#${ticket.id} · ${label}`, TOPIC_NAME_MAX);
    const topic = await this.requestTopic(ticket, title).catch(async (error: unknown) => {
      // Telegram refused this name (an odd character, a length it counts otherwise): the plain one will do.
      if (!(error instanceof TelegramCallError) || error.kind !== 'bad-request' || title === plain) throw error;
      this.logger.warn(`ticket #${ticket.id}: Telegram refused the topic name (${error.description}); using "${plain}"`);
      return this.requestTopic(ticket, plain);
    });
    const recorded = await persist(() => this.topics.recordCreated(ticket.id, topic.message_thread_id, topic.name), `ticket #${ticket.id}: topic`, this.logger);
    if (!recorded) {
      // A topic of an earlier attempt was adopted meanwhile; this one is the duplicate.
      await this.adoption.removeDuplicate(ticket.id, ticket.groupId, topic.message_thread_id);
      return this.load(ticket.id);
    }
    // The name is the customer's words (or the AI's summary of them): debug only.
    if (topic.icon_custom_emoji_id) await persist(() => this.topics.recordIcon(ticket.id, 'waiting'), `ticket #${ticket.id}: topic icon`, this.logger);
    this.logger.log(`ticket #${ticket.id}: topic ${topic.message_thread_id} created`);
    this.logger.debug(`ticket #${ticket.id}: topic ${topic.message_thread_id} is named "${topic.name}"`);
    await this.titles.topicCreated(ticket.id, topic.name);
    return { ...ticket, threadId: topic.message_thread_id, title: topic.name };
  }

  /** createForumTopic, with the request recorded before it (a crash hides the outcome: see createTopic). */
  private async requestTopic(ticket: Ticket, name: string) {
    await this.topics.markRequested(ticket.id);
    // Born with the "waiting for the team" icon: no second message for it.
    const icon = await this.status.iconFor('waiting');
    const request = { chat_id: ticket.groupId, name, ...(icon ? { icon_custom_emoji_id: icon } : {}) };
    return this.gateway.call('createForumTopic', request, { lane: 'group', key: ticket.id }).catch(async (error: unknown) => {
      if (error instanceof TelegramCallError && error.answered) await this.topics.clearRequest(ticket.id);
      throw error;
    });
  }

  /** Waits (bounded) for the topic of an earlier attempt to be adopted; returns the ticket as it then is. */
  private async awaitAdoption(ticket: Ticket): Promise<Ticket> {
    const deadline = ticket.topicRequestedAt!.getTime() + ADOPTION_WAIT_MS;
    for (;;) {
      const current = await this.load(ticket.id);
      if (current.threadId || Date.now() >= deadline) return current;
      await new Promise((r) => setTimeout(r, Math.min(250, deadline - Date.now())));
    }
  }

  /**
   * The card opens the topic. When the customer's first message can ride along (a text, a captioned
   * file, within Telegram's lengths), the two are one message: a new ticket costs the group two
   * messages (topic, card) instead of three.
   */
  private async postCard(ticket: Ticket): Promise<Ticket> {
    const card = await this.cards.of(ticket);
    const [first] = await this.messages.pending(ticket.id, 'customer');
    const combined = first ? cardWithMessage(card, first) : null;
    if (first && combined) {
      const posted = await this.postCardWith(ticket, first, combined);
      if (posted) return posted;
    }
    const sent = await this.gateway.call(
      'sendMessage',
      { chat_id: ticket.groupId, message_thread_id: ticket.threadId!, text: card.text, entities: card.entities, link_preview_options: { is_disabled: true } },
      { lane: 'group', key: ticket.id, first: true },
    );
    await persist(() => this.topics.recordCard(ticket.id, sent.message_id), `ticket #${ticket.id}: card`, this.logger);
    return { ...ticket, cardMessageId: sent.message_id };
  }

  /** The card with the first message in it; null when Telegram refused the message (it then goes its own way). */
  private async postCardWith(ticket: Ticket, message: TicketMessage, combined: CardWithMessage): Promise<Ticket | null> {
    if (message.copyStartedAt) {
      this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} may be copied twice (an earlier attempt's outcome is unknown)`);
      this.metrics.unknownOutcomeRepeat(combined.kind === 'text' ? 'sendMessage' : 'copyMessage');
    }
    await this.messages.markCopyStarted([message.id]);
    const target = { chat_id: ticket.groupId, message_thread_id: ticket.threadId! };
    // The card finishes a ticket whose topic exists before another ticket's topic is opened.
    const options = { lane: 'group' as const, key: ticket.id, first: true };
    let sentId: number;
    try {
      if (combined.kind === 'text') {
        const sent = await this.gateway.call('sendMessage', { ...target, text: combined.text, entities: combined.entities, link_preview_options: { is_disabled: true } }, options);
        sentId = sent.message_id;
      } else {
        const sent = await this.gateway.copyMessage(target.chat_id, message.chatId, message.messageId, { ...target, caption: combined.caption, caption_entities: combined.caption_entities }, options);
        sentId = sent.message_id;
      }
    } catch (error) {
      if (!(error instanceof TelegramCallError) || !error.answered) throw error;
      await this.messages.clearCopyStarted([message.id]);
      if (error.kind !== 'uncopyable' && error.kind !== 'bad-request') throw error;
      // This message cannot go (deleted, not copyable): the card goes alone, the message is handled as any other.
      this.logger.warn(`ticket #${ticket.id}: the card could not carry message ${message.messageId} (${error.description}); sending it alone`);
      return null;
    }
    await persist(() => this.topics.recordCardWithCopy(ticket.id, message.id, sentId), `ticket #${ticket.id}: card with message ${message.messageId}`, this.logger);
    this.metrics.copiedToTopic((Date.now() - new Date(message.createdAt).getTime()) / 1000);
    return { ...ticket, cardMessageId: sentId };
  }

  private async load(ticketId: number): Promise<Ticket> {
    const ticket = await this.tickets.find(ticketId);
    if (!ticket) throw new Error(`ticket #${ticketId} does not exist`);
    return ticket;
  }
}
