import { DataSourceOptions } from 'typeorm';
import { Customer } from '../tickets/customer.entity';
import { TicketMessage } from '../tickets/ticket-message.entity';
import { Ticket } from '../tickets/ticket.entity';
import { migrations } from './migrations';

export const entities = [Customer, Ticket, TicketMessage];

/** Connections a pool may have by default: see README, "Connections". */
export const DEFAULT_POOL_SIZE = 12;

/**
 * The DataSource options shared by the app, the TypeORM CLI (ormconfig.ts) and the tests. No connection
 * is held while waiting for Telegram, so a small pool serves many concurrent updates and jobs; a
 * caller that cannot get one within 10 s fails (an infrastructure error: the update or job is retried).
 */
export function dataSourceOptions(url: string, poolSize = DEFAULT_POOL_SIZE): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    synchronize: false,
    migrationsTransactionMode: 'each',
    extra: {
      max: poolSize,
      application_name: 'helpdesk',
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      // Every statement and transaction here is short; one that hangs is ended rather than holding its connection.
      statement_timeout: 60_000,
      idle_in_transaction_session_timeout: 60_000,
    },
  };
}
