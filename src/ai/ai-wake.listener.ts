import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { JobQueue } from '../jobs/job-queue';
import { TICKET_EVENTS } from '../tickets/events/ticket-events';
import { AiClient } from './ai-client';

/** The AI jobs were written in the ticket's transaction; this starts them now rather than at the next poll. */
@Injectable()
export class AiWakeListener {
  constructor(
    private readonly jobs: JobQueue,
    private readonly client: AiClient,
  ) {}

  @OnEvent(TICKET_EVENTS.created)
  onTicketCreated(): void {
    if (!this.client.enabled) return;
    this.jobs.wake('ai.title');
    this.jobs.wake('ai.answer');
  }
}
