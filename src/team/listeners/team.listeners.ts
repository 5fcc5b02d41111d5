import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { EventMap } from '../../events/event-map';
import { OnDomainEvent } from '../../events/on-domain-event';
import type { Tx } from '../../jobs/unit-of-work';
import { formatWindow } from '../../forum/jobs/lifecycle.job';
import { I18n } from '../../telegram/i18n/i18n.service';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';

/** Customer messages within this many seconds make one mention of the assignee, not one each. */
const MENTION_COALESCE_S = 60;

/** The owner changed: the card is edited to show it, and the topic confirms it below the command. */
@Injectable()
export class TicketAssignedListener {
  @OnDomainEvent('ticket.assigned')
  async onAssigned({ ticketId, agentId, agentName, by }: EventMap['ticket.assigned'], tx: Tx): Promise<void> {
    await tx.send('team.work', { kind: 'card', ticketId });
    const note = agentId ? { key: 'team.taken', agent: agentName ?? by } : { key: 'team.released', agent: by };
    await tx.send('team.work', { kind: 'note', ticketId, key: note.key, vars: { agent: note.agent } });
  }
}

/** The customer wrote again: an owned ticket mentions its assignee in the topic (once per burst). */
@Injectable()
export class AssigneeMentionListener {
  constructor(private readonly tickets: TicketRepository) {}

  @OnDomainEvent('ticket.message')
  async onMessage({ ticketId }: EventMap['ticket.message'], tx: Tx): Promise<void> {
    const ticket = await this.tickets.find(ticketId, tx.db);
    if (!ticket?.assigneeId) return;
    // After the copy has had its moment: the mention follows the message it is about.
    await tx.send('team.work', { kind: 'mention', ticketId }, { startAfterSeconds: 2, singleton: { key: `mention:${ticketId}`, seconds: MENTION_COALESCE_S } });
  }
}

@Injectable()
export class SlaMissedListener {
  @OnDomainEvent('ticket.slaMissed')
  async onMissed({ ticketId }: EventMap['ticket.slaMissed'], tx: Tx): Promise<void> {
    await tx.send('team.work', { kind: 'sla', ticketId });
  }
}

@Injectable()
export class ReadyAnswerListener {
  @OnDomainEvent('ticket.readyAnswer')
  async onReady({ ticketId, name, agentName }: EventMap['ticket.readyAnswer'], tx: Tx): Promise<void> {
    await tx.send('team.work', { kind: 'ready', ticketId, name, agentName });
  }
}

/** A ban and its end are said in the topic: who, until when, why. */
@Injectable()
export class BanListener {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly i18n: I18n,
  ) {}

  @OnDomainEvent('customer.banned')
  async onBanned({ ticketId, until, reason, by }: EventMap['customer.banned'], tx: Tx): Promise<void> {
    const language = this.config.supportLanguage;
    const when = until
      ? this.i18n.t(language, 'ban.until', {
          time: new Date(until).toISOString().slice(0, 16).replace('T', ' '),
          left: formatWindow(new Date(until).getTime() - Date.now(), language),
        })
      : this.i18n.t(language, 'ban.forever');
    await tx.send('team.work', { kind: 'note', ticketId, key: reason ? 'ban.topicReason' : 'ban.topic', vars: { agent: by, until: when, reason: reason ?? '' } });
  }

  @OnDomainEvent('customer.unbanned')
  async onUnbanned({ ticketId, by }: EventMap['customer.unbanned'], tx: Tx): Promise<void> {
    await tx.send('team.work', { kind: 'note', ticketId, key: 'ban.lifted', vars: { agent: by } });
  }
}

export const TEAM_LISTENERS = [TicketAssignedListener, AssigneeMentionListener, SlaMissedListener, ReadyAnswerListener, BanListener];
