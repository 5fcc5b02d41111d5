import { Module } from '@nestjs/common';
import { TicketsModule } from '../tickets/tickets.module';
import { TicketSyncJob } from './jobs/ticket-sync.job';
import { ForumUpdate } from './forum.update';
import { SyncSweeper } from './sync-sweeper.service';
import { TopicAdoption } from './topic-adoption.service';

/** The support group side: topics, their cards, and the copies of customer messages. */
@Module({
  imports: [TicketsModule],
  providers: [TicketSyncJob, SyncSweeper, TopicAdoption, ForumUpdate],
})
export class ForumModule {}
