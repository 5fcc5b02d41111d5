import { Injectable } from '@nestjs/common';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/** Closing and reopening show in the group and to the customer: the `ticket.lifecycle` job does both. */
@Injectable()
export class TicketLifecycleListener {
  @OnDomainEvent('ticket.closed')
  async onClosed({ ticketId, by, agentName }: EventMap['ticket.closed'], tx: Tx): Promise<void> {
    await tx.send('ticket.lifecycle', { ticketId, event: 'closed', by, agentName });
  }

  @OnDomainEvent('ticket.keptOpen')
  async onKeptOpen({ ticketId }: EventMap['ticket.keptOpen'], tx: Tx): Promise<void> {
    await tx.send('ticket.lifecycle', { ticketId, event: 'kept-open', by: 'customer' });
  }

  @OnDomainEvent('ticket.rated')
  async onRated({ ticketId }: EventMap['ticket.rated'], tx: Tx): Promise<void> {
    await tx.send('ticket.lifecycle', { ticketId, event: 'rated', by: 'customer' });
  }

  @OnDomainEvent('ticket.commented')
  async onCommented({ ticketId }: EventMap['ticket.commented'], tx: Tx): Promise<void> {
    await tx.send('ticket.lifecycle', { ticketId, event: 'commented', by: 'customer' });
  }

  @OnDomainEvent('ticket.reopened')
  async onReopened({ ticketId, by, agentName }: EventMap['ticket.reopened'], tx: Tx): Promise<void> {
    await tx.send('ticket.lifecycle', { ticketId, event: 'reopened', by, agentName });
  }
}
