import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AiStateRepository } from '../../src/ai/repositories/ai-state.repository';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { AdvisoryLockRepository } from '../../src/database/repositories/advisory-lock.repository';
import { HealthRepository } from '../../src/database/repositories/health.repository';
import { returning } from '../../src/database/repositories/rows';
import { SyncJobQueue } from '../../src/jobs/sync.driver';
import { UnitOfWork } from '../../src/jobs/unit-of-work';
import { I18n } from '../../src/telegram/i18n/i18n.service';
import { SupportGroups } from '../../src/telegram/support-groups';
import type { TelegramGateway } from '../../src/telegram/telegram.gateway';
import { CategoryCatalog } from '../../src/tickets/category-catalog.service';
import { ConversationService } from '../../src/tickets/conversation.service';
import { Customer, DraftMessage, IntakeStep } from '../../src/tickets/customer.entity';
import type { TicketAckJob } from '../../src/tickets/jobs/ticket-ack.job';
import { CustomerRepository } from '../../src/tickets/repositories/customer.repository';
import { TicketMessageRepository } from '../../src/tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../../src/tickets/repositories/ticket.repository';
import { TopicRepository } from '../../src/tickets/repositories/topic.repository';
import { UpdateClaimRepository } from '../../src/tickets/repositories/update-claim.repository';
import { MessageDirection, MessageVia, TicketMessage } from '../../src/tickets/ticket-message.entity';
import { ClosedBy, Ticket, TicketStatus } from '../../src/tickets/ticket.entity';
import { TicketsService } from '../../src/tickets/tickets.service';
import { createTestDatabase } from '../support/database';
import { wireListeners } from '../support/listeners';

const ROOT = join(__dirname, '../..');
export const SUPPORT_CHAT_ID = -1001;

export interface CustomerOverrides {
  id?: number;
  firstName?: string;
  language?: 'ru' | 'en';
  step?: IntakeStep;
  category?: string | null;
  subcategory?: string | null;
  draft?: DraftMessage[];
  blockedAt?: Date | null;
}

export interface TicketOverrides {
  customer?: Customer;
  status?: TicketStatus;
  /** Defaults to now for a closed ticket. */
  closedAt?: Date | null;
  closedBy?: ClosedBy;
  category?: string;
  subcategory?: string | null;
  threadId?: number | null;
  createdAt?: Date;
  reopenedAt?: Date | null;
}

export interface MessageOverrides {
  direction?: MessageDirection;
  /** An answer the bot sent (a ready answer, an AI answer): an agent-side row in the customer's chat. */
  via?: MessageVia;
  /** Defaults to the customer's chat for a customer message or an answer the bot sent, the support group for an agent's. */
  chatId?: number;
  messageId?: number;
  copyMessageId?: number | null;
  kind?: string;
  text?: string | null;
  createdAt?: Date;
}

/** What a service built by the context is made of, for the test to inspect. */
export interface ServiceParts {
  config: AppConfig;
  queue: SyncJobQueue;
  emitter: EventEmitter2;
  uow: UnitOfWork;
}

/**
 * A medium test's world: its own database cloned from the migrated template, a small DataSource over
 * it, the real repositories, and factories that insert rows directly (like immich's `ctx.newUser()`),
 * so each test states only the data it is about. Services are built over the real repositories and
 * the real UnitOfWork; only Telegram (the acknowledgement) and pg-boss (the SyncJobQueue) are stand-ins.
 */
export class MediumContext {
  readonly customers: CustomerRepository;
  readonly tickets: TicketRepository;
  readonly messages: TicketMessageRepository;
  readonly topics: TopicRepository;
  readonly updates: UpdateClaimRepository;
  readonly aiState: AiStateRepository;
  readonly locks: AdvisoryLockRepository;
  readonly health: HealthRepository;

  // Ids are unique within the context's database, which no other test file shares.
  private nextCustomerId = 100_001;
  private nextMessageId = 1;
  private nextUpdate = 1;

  constructor(
    readonly dataSource: DataSource,
    private readonly dropDatabase: () => Promise<void>,
  ) {
    this.customers = new CustomerRepository(dataSource);
    this.tickets = new TicketRepository(dataSource);
    this.messages = new TicketMessageRepository(dataSource);
    this.topics = new TopicRepository(dataSource);
    this.updates = new UpdateClaimRepository(dataSource);
    this.aiState = new AiStateRepository(dataSource);
    this.locks = new AdvisoryLockRepository(dataSource);
    this.health = new HealthRepository(dataSource);
  }

  /** Rows of any statement (an UPDATE's RETURNING rows too, whatever shape TypeORM gives them). */
  sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
    return returning<T>(this.dataSource.manager, text, values);
  }

  updateId(): number {
    return this.nextUpdate++;
  }

  messageId(): number {
    return this.nextMessageId++;
  }

  async newCustomer(overrides: CustomerOverrides = {}): Promise<Customer> {
    const id = overrides.id ?? this.nextCustomerId++;
    await this.sql(
      `INSERT INTO customers (id, first_name, language, step, category, subcategory, draft, blocked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
      [
        id,
        overrides.firstName ?? `Customer ${id}`,
        overrides.language ?? 'en',
        overrides.step ?? 'idle',
        overrides.category ?? null,
        overrides.subcategory ?? null,
        JSON.stringify(overrides.draft ?? []),
        overrides.blockedAt ?? null,
      ],
    );
    return (await this.customers.find(id))!;
  }

  /** A ticket (open by default) of the given customer, or of a new one. */
  async newTicket(overrides: TicketOverrides = {}): Promise<Ticket> {
    const customer = overrides.customer ?? (await this.newCustomer());
    const status = overrides.status ?? 'open';
    const closedAt = status === 'closed' ? (overrides.closedAt ?? new Date()) : (overrides.closedAt ?? null);
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO tickets (customer_id, status, language, category, subcategory, thread_id, created_at, updated_at, closed_at, closed_by, reopened_at,
                            last_activity_at, group_id)
       VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::timestamptz, now()), COALESCE($7::timestamptz, now()), $8, $9, $10,
               GREATEST(COALESCE($7::timestamptz, now()), $10::timestamptz), ${SUPPORT_CHAT_ID}) RETURNING id`,
      [
        customer.id,
        status,
        customer.language,
        overrides.category ?? customer.category ?? 'other',
        overrides.subcategory ?? null,
        overrides.threadId ?? null,
        overrides.createdAt ?? null,
        closedAt,
        status === 'closed' ? (overrides.closedBy ?? 'agent') : null,
        overrides.reopenedAt ?? null,
      ],
    );
    return (await this.tickets.find(Number(row.id)))!;
  }

  /** A message of the ticket (the customer's by default). */
  async newMessage(ticket: Ticket, overrides: MessageOverrides = {}): Promise<TicketMessage> {
    const via = overrides.via ?? 'chat';
    const direction = via === 'chat' ? (overrides.direction ?? 'customer') : 'agent';
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO ticket_messages (ticket_id, direction, via, chat_id, message_id, kind, text, copy_message_id, copied_at, created_at)
       VALUES ($1, $2, $9, $3, $4, $5, $6, $7, CASE WHEN $7::int IS NULL AND $9 = 'chat' THEN NULL ELSE now() END, COALESCE($8::timestamptz, now())) RETURNING id`,
      [
        ticket.id,
        direction,
        overrides.chatId ?? (direction === 'customer' || via !== 'chat' ? ticket.customerId : SUPPORT_CHAT_ID),
        overrides.messageId ?? this.messageId(),
        overrides.kind ?? 'text',
        overrides.text === undefined ? 'hello' : overrides.text,
        overrides.copyMessageId ?? null,
        overrides.createdAt ?? null,
        via,
      ],
    );
    // An automatic AI answer leaves the ticket as it was: it still waits for the team.
    if (via === 'ai-auto') return (await this.messages.find(Number(row.id)))!;
    // As the app does when it records a message (or an agent sends a ready answer or an AI draft): the
    // ticket's last activity and last speaker move with it.
    await this.sql(
      `UPDATE tickets SET last_speaker = CASE WHEN COALESCE($2::timestamptz, now()) >= last_activity_at THEN $3 ELSE last_speaker END,
                          last_activity_at = GREATEST(last_activity_at, COALESCE($2::timestamptz, now())) WHERE id = $1`,
      [ticket.id, overrides.createdAt ?? null, direction],
    );
    return (await this.messages.find(Number(row.id)))!;
  }

  /** The configuration a service sees: the required variables, plus `env`. */
  config(env: Record<string, string> = {}): AppConfig {
    return loadConfig({
      BOT_TOKEN: '1:a',
      SUPPORT_CHAT_ID: String(SUPPORT_CHAT_ID),
      DATABASE_URL: 'postgres://unused',
      CATEGORIES_FILE: join(ROOT, 'catalog/categories.json'),
      KNOWLEDGE_DIR: join(ROOT, 'knowledge'),
      ...env,
    });
  }

  /**
   * A UnitOfWork over the real DataSource with the real listeners on a real EventEmitter2. Jobs go to a
   * SyncJobQueue, which records them but writes nothing in the transaction: enough to see which jobs
   * follow, not whether they roll back with it.
   */
  parts(env: Record<string, string> = {}): ServiceParts {
    const config = this.config(env);
    const queue = new SyncJobQueue();
    const emitter = new EventEmitter2();
    wireListeners(emitter, config);
    return { config, queue, emitter, uow: new UnitOfWork(this.dataSource, queue, emitter) };
  }

  /** TicketsService over the real repositories; the acknowledgement (a Telegram call) is a mock. */
  ticketsService(options: { env?: Record<string, string> } = {}): ServiceParts & { sut: TicketsService; ack: jest.Mocked<Pick<TicketAckJob, 'sendInline' | 'tell'>> } {
    const parts = this.parts(options.env);
    const ack = { sendInline: jest.fn().mockResolvedValue(undefined), tell: jest.fn().mockResolvedValue(undefined) };
    const sut = new TicketsService(
      parts.config,
      parts.uow,
      this.updates,
      this.customers,
      this.tickets,
      this.messages,
      ack as unknown as TicketAckJob,
      new I18n(parts.config),
      new SupportGroups(parts.config, { groupHeadroom: () => 20 } as unknown as TelegramGateway),
      new CategoryCatalog(parts.config),
    );
    return { ...parts, sut, ack };
  }

  conversationService(options: { env?: Record<string, string> } = {}): ServiceParts & { sut: ConversationService } {
    const parts = this.parts(options.env);
    const sut = new ConversationService(parts.config, parts.uow, this.updates, this.customers, this.tickets, this.messages);
    return { ...parts, sut };
  }

  async close(): Promise<void> {
    try {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      await this.dropDatabase();
    }
  }
}


/**
 * A fresh database cloned from the template (createTestDatabase) with a DataSource of at most five
 * connections: the server is shared with other test runs, and five are enough for the two concurrent
 * transactions a race test holds plus the observer that watches them.
 */
export async function newMediumContext(): Promise<MediumContext> {
  if (!process.env.TEST_LOGS) Logger.overrideLogger(false);
  const database = await createTestDatabase();
  const base = dataSourceOptions(database.url);
  const options = { ...base, extra: { ...(base.extra as object), max: 5, application_name: 'helpdesk-medium' } } as DataSourceOptions;
  const dataSource = new DataSource(options);
  try {
    await dataSource.initialize();
  } catch (error) {
    await database.drop();
    throw error;
  }
  return new MediumContext(dataSource, database.drop);
}
