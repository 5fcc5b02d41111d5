import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { MessageEntity } from 'telegraf/types';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobMap, JobQueue } from '../../jobs/job-queue';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { TicketMessageRepository } from '../../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';
import { FormattedText, joinFormatted } from '../../telegram/formatted-text';
import { TicketCards } from '../ticket-cards.service';

/**
 * `message.edit`: an edited message updates its copy on the other side (text or caption). A message not
 * copied yet needs nothing: its copy will be made from the edited version.
 */
@Injectable()
export class EditJob implements OnModuleInit {
  private readonly logger = new Logger('Edits');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tickets: TicketRepository,
    private readonly messages: TicketMessageRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly cards: TicketCards,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('message.edit', (data) => this.run(data));
  }

  private async run({ rowId, text: editedText, caption: editedCaption }: JobMap['message.edit']): Promise<void> {
    const row = await this.messages.find(rowId);
    if (!row?.copyMessageId) return;
    // The row holds the latest version: two quick edits' jobs may run in either order, and both mirror
    // the latest (the job's own text would let the older edit land last).
    const ticket = await this.tickets.find(row.ticketId);
    if (!ticket) return;
    let latest: FormattedText = { text: row.text ?? '', entities: (row.entities ?? []) as MessageEntity[] };
    const toCustomer = row.direction === 'agent';
    // The customer's first message may have gone out inside the card: the card stays in front of the edit.
    if (!toCustomer && row.copyMessageId === ticket.cardMessageId) latest = joinFormatted(await this.cards.of(ticket), latest);
    const text = editedText !== undefined ? latest.text : undefined;
    const caption = editedCaption !== undefined ? latest.text : undefined;
    const target = { chat_id: toCustomer ? ticket.customerId : ticket.groupId, message_id: row.copyMessageId };
    const lane = toCustomer ? 'customer' : 'group';
    const formatted = latest.entities;
    try {
      if (text !== undefined) await this.gateway.call('editMessageText', { ...target, text, entities: formatted }, { lane });
      else if (caption !== undefined) await this.gateway.call('editMessageCaption', { ...target, caption, caption_entities: formatted }, { lane });
    } catch (error) {
      if (error instanceof TelegramCallError && (error.kind === 'not-modified' || error.kind === 'blocked')) return;
      if (error instanceof TelegramCallError && error.kind === 'bad-request') {
        this.logger.warn(`ticket #${ticket.id}: the edit of message ${row.messageId} cannot be mirrored: ${error.description}`);
        return;
      }
      throw error;
    }
    this.logger.debug(`ticket #${ticket.id}: edit of message ${row.messageId} mirrored to ${toCustomer ? 'the customer' : 'the topic'}`);
  }
}
