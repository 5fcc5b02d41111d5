import { Module } from '@nestjs/common';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { AiModule } from '../ai/ai.module';
import { DatabaseModule } from '../database/database.module';
import { TicketsModule } from '../tickets/tickets.module';
import { ForumUpdate } from './forum.update';
import { DeliverJob } from './jobs/deliver.job';
import { EditJob } from './jobs/edit.job';
import { LifecycleJob } from './jobs/lifecycle.job';
import { ReachabilityJob } from './jobs/reachability.job';
import { TicketSyncJob } from './jobs/ticket-sync.job';
import { AgentRepliedListener } from './listeners/agent-replied.listener';
import { CustomerBlockedListener } from './listeners/customer-blocked.listener';
import { MessageEditedListener } from './listeners/message-edited.listener';
import { TicketCreatedListener } from './listeners/ticket-created.listener';
import { TicketLifecycleListener } from './listeners/ticket-lifecycle.listener';
import { TicketMessageListener } from './listeners/ticket-message.listener';
import { SyncSweeper } from './sync-sweeper.service';
import { TopicAdoption } from './topic-adoption.service';
import { TopicNotes } from './topic-notes.service';

const LISTENERS = [
  TicketCreatedListener,
  TicketMessageListener,
  TicketLifecycleListener,
  AgentRepliedListener,
  MessageEditedListener,
  CustomerBlockedListener,
];

/**
 * The support group side: topics, their cards, the copies both ways, and the agents' commands. Its
 * listeners turn ticket facts into its jobs; the AI module supplies topic titles (TopicTitleSource).
 */
@Module({
  imports: [DatabaseModule, TelegramCoreModule, TicketsModule, AiModule],
  providers: [...LISTENERS, TicketSyncJob, DeliverJob, LifecycleJob, ReachabilityJob, EditJob, SyncSweeper, TopicAdoption, TopicNotes, ForumUpdate],
  exports: [TopicNotes],
})
export class ForumModule {}
