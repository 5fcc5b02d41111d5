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
import { TicketMessage } from '../../tickets/ticket-message.entity';
import { Ticket } from '../../tickets/ticket.entity';

/** Mirrors one job makes at most while edits keep coming (each later edit has its own job as well). */
const MAX_ROUNDS = 5;

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

  /**
   * The row holds the latest version, and each job mirrors what the row says, not its own edit's text.
   * Two quick edits' jobs run side by side and Telegram may carry their calls out in either order, so
   * after its call lands a job reads the row again and mirrors once more if it changed meanwhile: the
   * last call to land is then always the latest version (a later edit's own job starts after this read).
   */
  private async run({ rowId, text: editedText, caption: editedCaption }: JobMap['message.edit']): Promise<void> {
    let mirrored: string | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const row = await this.messages.find(rowId);
      if (!row?.copyMessageId) return;
      const version = JSON.stringify([row.text, row.entities]);
      if (version === mirrored) return;
      const ticket = await this.tickets.find(row.ticketId);
      if (!ticket) return;
      if (!(await this.mirror(ticket, row, editedText !== undefined ? 'text' : editedCaption !== undefined ? 'caption' : undefined))) return;
      mirrored = version;
    }
  }

  /** Puts the row's text on its copy; false when there is nothing more to do (refused, or the customer is gone). */
  private async mirror(ticket: Ticket, row: TicketMessage, field: 'text' | 'caption' | undefined): Promise<boolean> {
    if (!field) return false;
    let latest: FormattedText = { text: row.text ?? '', entities: (row.entities ?? []) as MessageEntity[] };
    const toCustomer = row.direction === 'agent';
    // The customer's first message may have gone out inside the card: the card stays in front of the edit.
    if (!toCustomer && row.copyMessageId === ticket.cardMessageId) latest = joinFormatted(await this.cards.of(ticket), latest);
    const target = { chat_id: toCustomer ? ticket.customerId : ticket.groupId, message_id: row.copyMessageId! };
    const lane = toCustomer ? 'customer' : 'group';
    try {
      if (field === 'text') await this.gateway.call('editMessageText', { ...target, text: latest.text, entities: latest.entities }, { lane });
      else await this.gateway.call('editMessageCaption', { ...target, caption: latest.text, caption_entities: latest.entities }, { lane });
    } catch (error) {
      // Not modified: the copy already shows this version (another job's call landed first).
      if (error instanceof TelegramCallError && error.kind === 'not-modified') return true;
      if (error instanceof TelegramCallError && error.kind === 'blocked') return false;
      if (error instanceof TelegramCallError && error.kind === 'bad-request') {
        this.logger.warn(`ticket #${ticket.id}: the edit of message ${row.messageId} cannot be mirrored: ${error.description}`);
        return false;
      }
      throw error;
    }
    this.logger.debug(`ticket #${ticket.id}: edit of message ${row.messageId} mirrored to ${toCustomer ? 'the customer' : 'the topic'}`);
    return true;
  }
}
