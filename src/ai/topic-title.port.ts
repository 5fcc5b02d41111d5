import type { Ticket } from '../tickets/ticket.entity';

/**
 * Where an AI title for a new topic comes from. The forum asks it with a time budget and uses the
 * provisional title when it answers null or not in time; the AI module provides the implementation.
 */
export abstract class TopicTitleSource {
  abstract suggest(ticket: Ticket, firstText: string | null, budgetMs: number): Promise<string | null>;
}

/** Used while no AI is configured: every topic keeps its provisional title. */
export class NoTopicTitles extends TopicTitleSource {
  async suggest(): Promise<string | null> {
    return null;
  }
}
