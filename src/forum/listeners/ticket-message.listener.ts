import { Injectable } from '@nestjs/common';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/** More customer messages for a ticket: the sync job copies them into the topic (creating it if needed), in order. */
@Injectable()
export class TicketMessageListener {
  @OnDomainEvent('ticket.message')
  async onTicketMessage({ ticketId }: EventMap['ticket.message'], tx: Tx): Promise<void> {
    await tx.send('ticket.sync', { ticketId });
  }
}
