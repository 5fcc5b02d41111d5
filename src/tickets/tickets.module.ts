import { Module } from '@nestjs/common';
import { CategoryCatalog } from './category-catalog.service';
import { ConversationService } from './conversation.service';
import { IntakeKeyboards } from './intake-keyboards';
import { TicketAckJob } from './jobs/ticket-ack.job';
import { WakeSyncListener } from './listeners/wake-sync.listener';
import { TicketsService } from './tickets.service';
import { TicketsUpdate } from './tickets.update';

@Module({
  providers: [TicketAckJob, ConversationService, CategoryCatalog, IntakeKeyboards, TicketsService, TicketsUpdate, WakeSyncListener],
  exports: [CategoryCatalog, TicketsService, ConversationService],
})
export class TicketsModule {}
