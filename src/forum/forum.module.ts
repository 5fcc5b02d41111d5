import { Module } from '@nestjs/common';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { AiModule } from '../ai/ai.module';
import { DatabaseModule } from '../database/database.module';
import { MetricsModule } from '../metrics/metrics.module';
import { TeamModule } from '../team/team.module';
import { TicketsModule } from '../tickets/tickets.module';
import { ForumUpdate } from './forum.update';
import { DeskCommands } from './desk-commands.service';
import { GroupAccess } from './group-access.service';
import { DeliverJob } from './jobs/deliver.job';
import { EditJob } from './jobs/edit.job';
import { LifecycleJob } from './jobs/lifecycle.job';
import { ReachabilityJob } from './jobs/reachability.job';
import { TicketSyncJob } from './jobs/ticket-sync.job';
import { MessageCopier } from './message-copier.service';
import { FORUM_LISTENERS } from './listeners';
import { SyncSweeper } from './sync-sweeper.service';
import { TicketCards } from './ticket-cards.service';
import { TopicAdoption } from './topic-adoption.service';
import { TopicNotes } from './topic-notes.service';

/**
 * The support group side: topics, their cards, the copies both ways, and the agents' commands. Its
 * listeners turn ticket facts into its jobs; the AI module supplies topic titles (TopicTitleSource).
 */
@Module({
  imports: [DatabaseModule, TelegramCoreModule, TicketsModule, AiModule, MetricsModule, TeamModule],
  providers: [...FORUM_LISTENERS, TicketSyncJob, MessageCopier, DeliverJob, LifecycleJob, ReachabilityJob, EditJob, SyncSweeper, TicketCards, TopicAdoption, TopicNotes, GroupAccess, DeskCommands, ForumUpdate],
  exports: [TopicNotes, GroupAccess],
})
export class ForumModule {}
