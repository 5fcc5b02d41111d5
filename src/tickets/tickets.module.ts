import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { CategoryCatalog } from './category-catalog.service';
import { ConversationService } from './conversation.service';
import { IntakeKeyboards } from './intake-keyboards';
import { TicketAckJob } from './jobs/ticket-ack.job';
import { CustomerRepository } from './repositories/customer.repository';
import { TicketMessageRepository } from './repositories/ticket-message.repository';
import { TicketNoticeRepository } from './repositories/ticket-notice.repository';
import { StatsRepository } from './repositories/stats.repository';
import { TicketRepository } from './repositories/ticket.repository';
import { TopicRepository } from './repositories/topic.repository';
import { UpdateClaimRepository } from './repositories/update-claim.repository';
import { ModerationRepository } from '../team/repositories/moderation.repository';
import { BanScreen } from './ban-screen.service';
import { TicketsService } from './tickets.service';
import { TicketsUpdate } from './tickets.update';

const REPOSITORIES = [CustomerRepository, TicketRepository, TicketMessageRepository, TicketNoticeRepository, TopicRepository, UpdateClaimRepository, ModerationRepository, StatsRepository];

/** Customers, tickets and their messages: the private-chat dialogue, and the tables behind the whole desk. */
@Module({
  imports: [TelegramCoreModule, MetricsModule],
  providers: [...REPOSITORIES, BanScreen, TicketAckJob, ConversationService, CategoryCatalog, IntakeKeyboards, TicketsService, TicketsUpdate],
  exports: [...REPOSITORIES, BanScreen, CategoryCatalog, TicketsService, ConversationService],
})
export class TicketsModule {}
