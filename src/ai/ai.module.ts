import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { TopicTitleSource } from '../forum/topic-title.port';
import { TeamModule } from '../team/team.module';
import { TicketsModule } from '../tickets/tickets.module';
import { AiAnswers } from './ai-answers.service';
import { AiClient } from './ai-client';
import { AiDrafts } from './ai-drafts.service';
import { AiTitles } from './ai-titles.service';
import { AiUpdate } from './ai.update';
import { KnowledgeBase } from './knowledge-base';
import { AiTicketCreatedListener } from './listeners/ticket-created.listener';
import { AiStateRepository } from './repositories/ai-state.repository';

/**
 * AI topic titles and the AI first answer. Everything here runs in durable jobs after the ticket's
 * COMMIT, so nothing the model does (or fails to do) can delay an acknowledgement or lose a ticket.
 * Without OPENAI_API_KEY the jobs are never enqueued and the model is never called. The forum imports
 * this module for its topic titles (TopicTitleSource).
 */
@Module({
  imports: [TelegramCoreModule, TicketsModule, MetricsModule, TeamModule],
  providers: [
    AiStateRepository,
    AiClient,
    KnowledgeBase,
    AiTitles,
    AiAnswers,
    AiDrafts,
    AiUpdate,
    AiTicketCreatedListener,
    { provide: TopicTitleSource, useExisting: AiTitles },
  ],
  exports: [TopicTitleSource],
})
export class AiModule {}
