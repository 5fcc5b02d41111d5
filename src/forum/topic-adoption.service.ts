import { Injectable, Logger } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { TopicRepository } from '../tickets/repositories/topic.repository';

/** Topic names start with the ticket number: "#42 · …". */
const TICKET_NUMBER = /^#(\d+)(?!\d)/;

/**
 * Telegram announces every topic the bot creates with a `forum_topic_created` service message. That
 * closes the one gap a crash can open: a topic created just before the process died, whose id was never
 * recorded, is adopted by its ticket instead of being created again; a second topic of a ticket that
 * already has one is a duplicate and is deleted before agents work in it.
 */
@Injectable()
export class TopicAdoption {
  private readonly logger = new Logger('TopicAdoption');

  constructor(
    private readonly tickets: TicketRepository,
    private readonly topics: TopicRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
  ) {}

  async onTopicCreated(groupId: number, threadId: number, name: string): Promise<void> {
    const match = TICKET_NUMBER.exec(name);
    if (!match) return;
    const ticketId = Number(match[1]);
    // Usually the announcement races the sync job's own record of the same topic; either may land first.
    const adopted = await this.topics.adopt(ticketId, groupId, threadId, name);
    if (adopted) {
      // A fresh request means a sync job is creating this very topic and goes on by itself.
      if (!adopted.stale) return;
      this.logger.warn(`ticket #${ticketId}: adopted topic ${threadId}, created before a restart without its id recorded`);
      await this.jobs.send('ticket.sync', { ticketId });
      return;
    }
    const ticket = await this.tickets.find(ticketId);
    // A topic of another group is not this ticket's (its number matched by chance, or a topic made by hand).
    if (!ticket || ticket.groupId !== groupId || ticket.threadId === null || ticket.threadId === threadId) return;
    await this.removeDuplicate(ticketId, groupId, threadId);
  }

  /** A topic for a ticket that already has another one: counted, and deleted so agents see one. */
  async removeDuplicate(ticketId: number, groupId: number, threadId: number): Promise<void> {
    await this.topics.countDuplicate(ticketId);
    this.logger.warn(`ticket #${ticketId}: topic ${threadId} is a duplicate; deleting it`);
    await this.gateway
      .call('deleteForumTopic', { chat_id: groupId, message_thread_id: threadId }, { lane: 'group' })
      .catch((error: Error) => this.logger.warn(`ticket #${ticketId}: could not delete duplicate topic ${threadId}: ${error.message}`));
  }
}
