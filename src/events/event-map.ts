/**
 * The domain facts, by name, with their payloads: one map, so a name can only carry its own payload.
 * Facts are published inside the unit of work that makes them true (see `Tx.publish`); listeners in
 * each module's `listeners/` folder turn them into that module's durable jobs in the same transaction.
 */
export interface EventMap {
  /** A ticket was opened (the insert's winner only; a loser's messages are a `ticket.message`). */
  'ticket.created': { ticketId: number; customerId: number };
  /** Customer messages were added to an open ticket and wait for their copies in the topic. */
  'ticket.message': { ticketId: number; customerId: number };
  'ticket.closed': { ticketId: number; by: 'customer' | 'agent' | 'auto'; agentName?: string };
  'ticket.reopened': { ticketId: number; by: 'customer' | 'agent'; agentName?: string };
  /** The customer rated their closed ticket. */
  'ticket.rated': { ticketId: number; rating: number };
  /** The customer commented on their low rating. */
  'ticket.commented': { ticketId: number };
  /** The customer was warned that the ticket closes soon and answered (the button, or a message): it stays open. */
  'ticket.keptOpen': { ticketId: number };
  /** An agent wrote in a ticket's topic; the answer waits for its copy to the customer. */
  'agent.replied': { ticketId: number; messageId: number };
  /** A recorded message was edited on either side; `rowId` is its ticket_messages row. */
  'message.edited': { rowId: number; text?: string; caption?: string; entities?: unknown[] };
  /** The customer blocked (`blocked: true`) or unblocked the bot. */
  'customer.blocked': { customerId: number; blocked: boolean };
  /** An agent took the ticket (/take), gave it to another agent, or released it (`agentId: null`). */
  'ticket.assigned': { ticketId: number; agentId: number | null; agentName: string | null; by: string };
  /** A ticket waited SLA_FIRST_RESPONSE without an answer from the team (once per ticket). */
  'ticket.slaMissed': { ticketId: number };
  /** An agent asked for a ready answer (/r NAME) to go to the customer. */
  'ticket.readyAnswer': { ticketId: number; name: string; agentName: string };
  /** An agent banned the ticket's customer (`until` an ISO time, or null: until lifted). */
  'customer.banned': { ticketId: number; customerId: number; until: string | null; reason: string | null; by: string };
  'customer.unbanned': { ticketId: number; customerId: number; by: string };
}

export type EventName = keyof EventMap;
