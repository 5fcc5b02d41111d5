import { Module } from '@nestjs/common';
import { TicketsModule } from '../tickets/tickets.module';
import { DeliverJob } from './jobs/deliver.job';
import { EditJob } from './jobs/edit.job';
import { LifecycleJob } from './jobs/lifecycle.job';
import { ReachabilityJob } from './jobs/reachability.job';
import { TicketSyncJob } from './jobs/ticket-sync.job';
import { ForumUpdate } from './forum.update';
import { SyncSweeper } from './sync-sweeper.service';
import { TopicAdoption } from './topic-adoption.service';
import { TopicNotes } from './topic-notes.service';

/** The support group side: topics, their cards, and the copies of customer messages. */
@Module({
  imports: [TicketsModule],
  providers: [TicketSyncJob, DeliverJob, LifecycleJob, ReachabilityJob, EditJob, SyncSweeper, TopicAdoption, TopicNotes, ForumUpdate],
})
export class ForumModule {}
