import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/**
 * With an OpenAI key, a new ticket gets an AI title and (unless answers are off) an AI first answer,
 * as jobs written with the ticket. Without a key nothing is enqueued and the model is never called.
 */
@Injectable()
export class AiTicketCreatedListener {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @OnDomainEvent('ticket.created')
  async onTicketCreated({ ticketId }: EventMap['ticket.created'], tx: Tx): Promise<void> {
    if (!this.config.openaiApiKey) return;
    await tx.send('ai.title', { ticketId });
    if (this.config.aiAnswerMode !== 'off') await tx.send('ai.answer', { ticketId });
  }
}
