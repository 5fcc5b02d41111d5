import type { Ticket } from '../tickets/ticket.entity';

/**
 * Where a topic's AI title comes from, as the forum sees it. The forum creates the topic with
 * `forNewTopic` (or its provisional title when that answers null) and reports the name it used; the AI
 * side renames the topic if a different AI title is, or later becomes, available.
 */
export abstract class TopicTitleSource {
  /**
   * The AI title for a topic about to be created: waits, at most until the title budget counted from the
   * ticket's creation has passed, for the `ai.title` job to store it. Null: use the provisional title.
   */
  abstract forNewTopic(ticket: Ticket): Promise<string | null>;

  /** The topic now exists with `name`; an AI title that differs (it came late) replaces it. Never throws. */
  abstract topicCreated(ticketId: number, name: string): Promise<void>;
}
