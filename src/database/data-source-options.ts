import { DataSourceOptions } from 'typeorm';
import { Customer } from '../tickets/customer.entity';
import { TicketMessage } from '../tickets/ticket-message.entity';
import { Ticket } from '../tickets/ticket.entity';
import { migrations } from './migrations';

export const entities = [Customer, Ticket, TicketMessage];

/** The DataSource options shared by the app, the TypeORM CLI (ormconfig.ts) and the tests. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    synchronize: false,
    migrationsTransactionMode: 'each',
    // Sync jobs each hold one connection for their advisory lock; the pool leaves room for them and for updates.
    extra: { max: 40, application_name: 'helpdesk' },
  };
}
