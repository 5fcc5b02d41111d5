import { Injectable } from '@nestjs/common';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/** The agents are told in the customer's topic that the customer blocked or unblocked the bot. */
@Injectable()
export class CustomerBlockedListener {
  @OnDomainEvent('customer.blocked')
  async onCustomerBlocked({ customerId, blocked }: EventMap['customer.blocked'], tx: Tx): Promise<void> {
    await tx.send('customer.reachability', { customerId, blocked });
  }
}
