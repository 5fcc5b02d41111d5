/** The typed map of ticket events: one name and one payload class each. */
export class TicketCreatedEvent {
  static readonly eventName = 'ticket.created';
  constructor(
    readonly ticketId: number,
    readonly customerId: number,
  ) {}
}

export class TicketMessageEvent {
  static readonly eventName = 'ticket.message';
  constructor(
    readonly ticketId: number,
    readonly customerId: number,
    readonly messageId: number,
  ) {}
}

export const TICKET_EVENTS = {
  created: TicketCreatedEvent.eventName,
  message: TicketMessageEvent.eventName,
} as const;
