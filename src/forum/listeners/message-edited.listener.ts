import { Injectable } from '@nestjs/common';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';

/** An edit is mirrored to the copy on the other side by the `message.edit` job. */
@Injectable()
export class MessageEditedListener {
  @OnDomainEvent('message.edited')
  async onMessageEdited(edit: EventMap['message.edited'], tx: Tx): Promise<void> {
    await tx.send('message.edit', edit);
  }
}
