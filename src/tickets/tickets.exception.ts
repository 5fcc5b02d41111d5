export enum TicketsErrorCode {
  CustomerNotFound = 'CUSTOMER_NOT_FOUND',
  TicketNotFound = 'TICKET_NOT_FOUND',
}

export class TicketsException extends Error {
  constructor(
    readonly code: TicketsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TicketsException';
  }
}
