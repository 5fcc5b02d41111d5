import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobMap, JobQueue } from '../../jobs/job-queue';
import { TopicNotes } from '../topic-notes.service';

/** `customer.reachability`: tells the agents in the customer's latest topic that they blocked or unblocked the bot. */
@Injectable()
export class ReachabilityJob implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly notes: TopicNotes,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('customer.reachability', (data) => this.run(data));
  }

  private async run({ customerId, blocked }: JobMap['customer.reachability']): Promise<void> {
    const [ticket]: { thread_id: number | null }[] = await this.dataSource.query(
      `SELECT thread_id FROM tickets WHERE customer_id = $1 AND thread_id IS NOT NULL ORDER BY (status = 'open') DESC, id DESC LIMIT 1`,
      [customerId],
    );
    if (!ticket?.thread_id) return;
    await this.notes.post(ticket.thread_id, blocked ? 'topic.blocked' : 'topic.unblocked');
  }
}
