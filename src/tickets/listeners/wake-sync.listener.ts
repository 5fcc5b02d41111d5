import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { JobQueue } from '../../jobs/job-queue';
import { TICKET_EVENTS } from '../events/ticket-events';

/**
 * The sync job was written in the ticket's transaction; this wakes the local workers so the topic and
 * the copies start now rather than at the next poll.
 */
@Injectable()
export class WakeSyncListener {
  constructor(private readonly jobs: JobQueue) {}

  @OnEvent(TICKET_EVENTS.created)
  @OnEvent(TICKET_EVENTS.message)
  onTicketWork(): void {
    this.jobs.wake('ticket.sync');
  }
}
