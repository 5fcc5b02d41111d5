import { join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import type { Ticket } from '../../src/tickets/ticket.entity';

const ROOT = join(__dirname, '../..');

/** The configuration of a unit spec, with absolute paths so it does not depend on jest's directory. */
export function unitConfig(env: Record<string, string> = {}, supportChatId = -1001): AppConfig {
  return loadConfig({
    BOT_TOKEN: '1:a',
    SUPPORT_CHAT_ID: String(supportChatId),
    CATEGORIES_FILE: join(ROOT, 'catalog/categories.json'),
    KNOWLEDGE_DIR: join(ROOT, 'knowledge'),
    ...env,
  });
}

/** A jest.fn for each named method: a repository without SQL, answering what each test tells it to. */
export function mockOf<T>(...methods: (keyof T & string)[]): jest.Mocked<T> {
  return Object.fromEntries(methods.map((name) => [name, jest.fn()])) as unknown as jest.Mocked<T>;
}

/** A DataSource whose transactions run the work on a fake manager and report each COMMIT. */
export function fakeDataSource(onCommit: () => void = () => undefined): { dataSource: DataSource; manager: EntityManager } {
  const manager = { fake: 'transaction manager' } as unknown as EntityManager;
  const dataSource = {
    transaction: async <T>(work: (db: EntityManager) => Promise<T>): Promise<T> => {
      const result = await work(manager);
      onCommit();
      return result;
    },
  } as unknown as DataSource;
  return { dataSource, manager };
}

/** A ticket as a repository returns it; `threadId` and the rest as the test needs. */
export function ticketOf(customerId: number, overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 7,
    customerId,
    groupId: -1001,
    status: 'open',
    language: 'en',
    category: 'payments',
    subcategory: null,
    threadId: null,
    closedAt: null,
    closedBy: null,
    createdAt: new Date(),
    ...overrides,
  } as Ticket;
}
