import { Injectable, Logger } from '@nestjs/common';
import { Tx, UnitOfWork } from '../jobs/unit-of-work';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { UpdateClaimRepository } from '../tickets/repositories/update-claim.repository';
import type { Ticket } from '../tickets/ticket.entity';
import { BanScreen } from '../tickets/ban-screen.service';
import { ModerationRepository } from './repositories/moderation.repository';
import { TeamRepository } from './repositories/team.repository';

export interface Agent {
  id: number;
  name: string;
  /** An administrator writing on behalf of the group: answers are signed with the team's name. */
  anonymous: boolean;
}

/** A ticket's topic: thread ids repeat across support groups. */
export interface TopicRef {
  groupId: number;
  threadId: number;
}

type Outcome<T extends string> = { outcome: T | 'duplicate' | 'not-ticket' };

/**
 * The team's commands in a ticket's topic, each one unit of work that records the update and publishes
 * what became true; the team's listeners turn it into the `team.work` job that shows it.
 */
@Injectable()
export class TeamService {
  private readonly logger = new Logger('Team');

  constructor(
    private readonly uow: UnitOfWork,
    private readonly updates: UpdateClaimRepository,
    private readonly tickets: TicketRepository,
    private readonly team: TeamRepository,
    private readonly moderation: ModerationRepository,
    private readonly bans: BanScreen,
  ) {}

  /** /take (for the writer or the agent replied to) and /release (`to: null`). */
  assign(updateId: number, topic: TopicRef, to: { id: number; name: string } | null, by: string): Promise<Outcome<'assigned' | 'same'>> {
    return this.onTicket(updateId, topic, 'assign', async (tx, ticket) => {
      if (!(await this.team.assign(ticket.id, to, tx.db))) return { outcome: 'same' as const };
      await tx.publish('ticket.assigned', { ticketId: ticket.id, agentId: to?.id ?? null, agentName: to?.name ?? null, by });
      this.logger.log(`ticket #${ticket.id}: ${to ? `assigned to ${to.name}` : 'released'} by ${by}`);
      return { outcome: 'assigned' as const };
    });
  }

  readyAnswer(updateId: number, topic: TopicRef, name: string, agentName: string): Promise<Outcome<'queued'>> {
    return this.onTicket(updateId, topic, 'ready-answer', async (tx, ticket) => {
      // A ready answer is the team answering: the ticket no longer waits for it (status, /open, auto-close).
      await this.tickets.markTeamAnswered(ticket.id, tx.db);
      await tx.publish('ticket.readyAnswer', { ticketId: ticket.id, name, agentName });
      return { outcome: 'queued' as const };
    });
  }

  async ban(updateId: number, topic: TopicRef, until: Date | null, reason: string | null, by: string): Promise<Outcome<'banned'>> {
    const result = await this.onTicket(updateId, topic, 'ban', async (tx, ticket) => {
      await this.moderation.ban({ customerId: ticket.customerId, until, reason, bannedBy: by }, tx.db);
      await tx.publish('customer.banned', { ticketId: ticket.id, customerId: ticket.customerId, until: until?.toISOString() ?? null, reason, by });
      this.logger.log(`customer ${ticket.customerId} banned by ${by} until ${until?.toISOString() ?? 'lifted'}`);
      return { outcome: 'banned' as const };
    });
    // Committed: intake on this instance screens by the new list from now on.
    if (result.outcome === 'banned') this.bans.changed();
    return result;
  }

  async unban(updateId: number, topic: TopicRef, by: string): Promise<Outcome<'unbanned' | 'not-banned'>> {
    const result = await this.onTicket(updateId, topic, 'unban', async (tx, ticket) => {
      if (!(await this.moderation.unban(ticket.customerId, tx.db))) return { outcome: 'not-banned' as const };
      await tx.publish('customer.unbanned', { ticketId: ticket.id, customerId: ticket.customerId, by });
      this.logger.log(`customer ${ticket.customerId}: ban lifted by ${by}`);
      return { outcome: 'unbanned' as const };
    });
    if (result.outcome === 'unbanned') this.bans.changed();
    return result;
  }

  private onTicket<T extends { outcome: string }>(
    updateId: number,
    topic: TopicRef,
    kind: string,
    work: (tx: Tx, ticket: Ticket) => Promise<T>,
  ): Promise<T | { outcome: 'duplicate' | 'not-ticket' }> {
    return this.uow.run(async (tx) => {
      if (!(await this.updates.claim(updateId, kind, tx.db))) return { outcome: 'duplicate' as const };
      const ticket = await this.tickets.ofThread(topic.groupId, topic.threadId, tx.db);
      if (!ticket) return { outcome: 'not-ticket' as const };
      return work(tx, ticket);
    });
  }
}
