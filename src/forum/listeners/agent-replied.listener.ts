import { Injectable } from '@nestjs/common';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/** An agent's answer waits for its copy to the customer: the `ticket.deliver` job sends the ticket's pending answers in order. */
@Injectable()
export class AgentRepliedListener {
  @OnDomainEvent('agent.replied')
  async onAgentReplied({ ticketId }: EventMap['agent.replied'], tx: Tx): Promise<void> {
    await tx.send('ticket.deliver', { ticketId });
  }
}
