import { Injectable } from '@nestjs/common';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/** A new ticket's sync is fetched before follow-ups of older tickets waiting in the queue. */
export const NEW_TICKET_PRIORITY = 1;

/**
 * A new ticket needs its forum topic, its card and the copies of the customer's messages: one
 * `ticket.sync` job, written with the ticket (the acknowledgement goes out first, then the job wakes).
 */
@Injectable()
export class TicketCreatedListener {
  @OnDomainEvent('ticket.created')
  async onTicketCreated({ ticketId }: EventMap['ticket.created'], tx: Tx): Promise<void> {
    await tx.send('ticket.sync', { ticketId }, { priority: NEW_TICKET_PRIORITY });
  }
}
