import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { FormattedText } from '../telegram/formatted-text';
import { I18n } from '../telegram/i18n/i18n.service';
import { CategoryCatalog } from '../tickets/category-catalog.service';
import { CustomerRepository } from '../tickets/repositories/customer.repository';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import type { Ticket } from '../tickets/ticket.entity';
import { ticketCard } from './ticket-card';

/** A ticket's card, in the support team's language, for the topic's first message and for edits of it. */
@Injectable()
export class TicketCards {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly customers: CustomerRepository,
    private readonly catalog: CategoryCatalog,
    private readonly i18n: I18n,
    private readonly tickets: TicketRepository,
  ) {}

  async of(ticket: Ticket): Promise<FormattedText> {
    const customer = await this.customers.find(ticket.customerId);
    if (!customer) throw new Error(`ticket #${ticket.id}: customer ${ticket.customerId} does not exist`);
    const language = this.config.supportLanguage;
    const history = await this.tickets.historyOf(ticket.customerId, ticket.id);
    const label = this.catalog.label(language, ticket.category, ticket.subcategory);
    return ticketCard(this.i18n, language, ticket, customer, label, history, this.catalog.groupLabel(ticket.groupId));
  }
}
