import { Global, Module } from '@nestjs/common';
import { TicketsModule } from '../tickets/tickets.module';
import { AiAnswers } from './ai-answers.service';
import { AiClient } from './ai-client';
import { AiTitles } from './ai-titles.service';
import { AiWakeListener } from './ai-wake.listener';
import { AiUpdate } from './ai.update';
import { KnowledgeBase } from './knowledge-base';
import { TopicTitleSource } from './topic-title.port';

/**
 * AI topic titles and the AI first answer. Everything here runs in durable jobs after the ticket's
 * COMMIT, so nothing the model does (or fails to do) can delay an acknowledgement or lose a ticket.
 * Without OPENAI_API_KEY the jobs are never enqueued and the model is never called.
 */
@Global()
@Module({
  imports: [TicketsModule],
  providers: [AiClient, KnowledgeBase, AiTitles, AiAnswers, AiUpdate, AiWakeListener, { provide: TopicTitleSource, useExisting: AiTitles }],
  exports: [TopicTitleSource],
})
export class AiModule {}
