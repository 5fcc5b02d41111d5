import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobMap, JobQueue } from '../../jobs/job-queue';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';
import { TopicNotes } from '../topic-notes.service';

/** `customer.reachability`: tells the agents in the customer's latest topic that they blocked or unblocked the bot. */
@Injectable()
export class ReachabilityJob implements OnModuleInit {
  constructor(
    private readonly tickets: TicketRepository,
    private readonly jobs: JobQueue,
    private readonly notes: TopicNotes,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('customer.reachability', (data) => this.run(data));
  }

  private async run({ customerId, blocked }: JobMap['customer.reachability']): Promise<void> {
    const topic = await this.tickets.latestThreadOf(customerId);
    if (!topic) return;
    await this.notes.post(topic.groupId, topic.threadId, blocked ? 'topic.blocked' : 'topic.unblocked');
  }
}
