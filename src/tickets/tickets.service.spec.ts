import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AppConfig } from '../config/app-config';
import { SyncJobQueue } from '../jobs/sync.driver';
import { UnitOfWork } from '../jobs/unit-of-work';
import { I18n } from '../telegram/i18n/i18n.service';
import { SupportGroups } from '../telegram/support-groups';
import type { TelegramGateway } from '../telegram/telegram.gateway';
import { CategoryCatalog } from './category-catalog.service';
import type { Customer, DraftMessage } from './customer.entity';
import type { IncomingMessage } from './incoming-message';
import type { TicketAckJob } from './jobs/ticket-ack.job';
import type { CustomerRepository } from './repositories/customer.repository';
import type { TicketMessageRepository } from './repositories/ticket-message.repository';
import type { TicketRepository } from './repositories/ticket.repository';
import type { UpdateClaimRepository } from './repositories/update-claim.repository';
import type { Ticket } from './ticket.entity';
import { MAX_DRAFT, PROMPT_EVERY_S, TicketsService } from './tickets.service';
import { wireListeners } from '../../test/support/listeners';
import { fakeDataSource, mockOf, ticketOf, unitConfig } from '../../test/support/unit-fixtures';

const CUSTOMER_ID = 501;

const config = (env: Record<string, string> = {}): AppConfig => unitConfig({ REOPEN_WINDOW: '1h', ...env });


function customer(overrides: Partial<Customer> = {}): Customer {
  return {
    id: CUSTOMER_ID,
    firstName: 'Ann',
    lastName: null,
    username: null,
    languageCode: 'en',
    language: 'en',
    step: 'idle',
    category: null,
    subcategory: null,
    draft: [],
    blockedAt: null,
    greetedAt: null,
    remindedAt: null,
    promptedAt: null,
    slowedAt: null,
    draftDropped: 0,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
}

const ticket = (overrides: Partial<Ticket> = {}): Ticket => ticketOf(CUSTOMER_ID, { threadId: null, ...overrides });

let nextUpdateId = 1000;
function incoming(overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const n = nextUpdateId++;
  return {
    updateId: n,
    from: { id: CUSTOMER_ID, first_name: 'Ann', language_code: 'en' },
    messageId: n,
    kind: 'text',
    text: `message ${n}`,
    mediaGroupId: null,
    replyToMessageId: null,
    entities: null,
    ...overrides,
  };
}

function draft(messageId: number): DraftMessage {
  return { messageId, kind: 'text', text: `draft ${messageId}`, mediaGroupId: null };
}


function setup(env: Record<string, string> = {}) {
  const appConfig = config(env);
  /** What happened, in order: jobs written, COMMIT, the acknowledgement, wake-ups. */
  const order: string[] = [];
  const { dataSource, manager } = fakeDataSource(() => order.push('commit'));
  const queue = new SyncJobQueue();
  const realSend = queue.send.bind(queue);
  const realWake = queue.wake.bind(queue);
  jest.spyOn(queue, 'send').mockImplementation(async (name, data, options) => {
    order.push(`send ${name}`);
    await realSend(name, data, options);
  });
  jest.spyOn(queue, 'wake').mockImplementation((name) => {
    order.push(`wake ${name}`);
    realWake(name);
  });
  const emitter = new EventEmitter2();
  wireListeners(emitter, appConfig);

  const updates = mockOf<UpdateClaimRepository>('claim');
  const customers = mockOf<CustomerRepository>(
    'upsert',
    'moveTo',
    'chooseLanguage',
    'chooseCategory',
    'saveDraft',
    'finishIntake',
    'find',
    'claimPrompt',
    'claimGreeting',
    'countDropped',
    'claimSlowDown',
  );
  customers.claimPrompt.mockResolvedValue(true);
  customers.claimGreeting.mockResolvedValue(true);
  customers.countDropped.mockResolvedValue(1);
  const tickets = mockOf<TicketRepository>('openOf', 'intakeView', 'recentlyClosed', 'open', 'reopen', 'find', 'awaitingComment', 'recordComment');
  tickets.reopen.mockResolvedValue(true);
  const messages = mockOf<TicketMessageRepository>('insert');
  messages.insert.mockResolvedValue(1);
  customers.claimSlowDown.mockResolvedValue(true);
  const ack = mockOf<TicketAckJob>('sendInline', 'tell');
  // The open ticket as intake sees it follows what a test says of openOf; nobody opened tickets lately.
  tickets.intakeView.mockImplementation(async (customerId, _seconds, db) => ({ open: await tickets.openOf(customerId, db), openedRecently: 0 }));
  updates.claim.mockResolvedValue(true);
  customers.upsert.mockResolvedValue(customer());
  tickets.openOf.mockResolvedValue(null);
  tickets.recentlyClosed.mockResolvedValue(null);
  tickets.awaitingComment.mockResolvedValue(null);
  ack.sendInline.mockImplementation(async () => {
    order.push('ack');
  });
  ack.tell.mockImplementation(async () => {
    order.push('tell');
  });

  const sut = new TicketsService(appConfig, new UnitOfWork(dataSource, queue, emitter), updates, customers, tickets, messages, ack, new I18n(appConfig), new SupportGroups(appConfig, { groupHeadroom: () => 20 } as unknown as TelegramGateway), new CategoryCatalog(appConfig));
  const jobNames = () => queue.sent.map((job) => job.name).sort();
  return { sut, appConfig, order, manager, queue, updates, customers, tickets, messages, ack, jobNames };
}

beforeAll(() => {
  if (!process.env.TEST_LOGS) Logger.overrideLogger(false);
});

describe('TicketsService.receive', () => {
  it('ignores a redelivered update: no customer, message, job or acknowledgement', async () => {
    const t = setup();
    t.updates.claim.mockResolvedValue(false);
    const message = incoming();

    await expect(t.sut.receive(message)).resolves.toEqual({ outcome: 'duplicate' });

    expect(t.updates.claim).toHaveBeenCalledWith(message.updateId, 'message', t.manager);
    expect(t.customers.upsert).not.toHaveBeenCalled();
    expect(t.messages.insert).not.toHaveBeenCalled();
    expect(t.customers.saveDraft).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
    expect(t.queue.woken).toEqual([]);
    expect(t.ack.sendInline).not.toHaveBeenCalled();
  });

  it('appends a message to the open ticket, in the transaction, and enqueues its ticket.sync', async () => {
    const t = setup();
    const open = ticket({ id: 42 });
    t.tickets.openOf.mockResolvedValue(open);
    const message = incoming({ replyToMessageId: 3, entities: [{ type: 'bold', offset: 0, length: 4 }] });

    const result = await t.sut.receive(message);

    expect(result).toMatchObject({ outcome: 'appended', ticket: { id: 42 } });
    expect(t.messages.insert).toHaveBeenCalledWith(
      42,
      [
        expect.objectContaining({
          direction: 'customer',
          chatId: CUSTOMER_ID,
          messageId: message.messageId,
          text: message.text,
          replyToMessageId: 3,
          entities: [{ type: 'bold', offset: 0, length: 4 }],
        }),
      ],
      t.manager,
    );
    expect(t.queue.sent).toEqual([{ name: 'ticket.sync', data: { ticketId: 42 }, options: { tx: t.manager } }]);
    expect(t.queue.woken).toEqual(['ticket.sync']);
    expect(t.tickets.open).not.toHaveBeenCalled();
    expect(t.ack.sendInline).not.toHaveBeenCalled();
  });

  describe('the first message after a category was chosen', () => {
    function choseCategory(t: ReturnType<typeof setup>) {
      const chosen = customer({ step: 'describe', category: 'payments', subcategory: 'refund' });
      t.customers.upsert.mockResolvedValue(chosen);
      t.tickets.open.mockResolvedValue({ ticket: ticket({ id: 9, subcategory: 'refund' }), created: true });
      return chosen;
    }

    it('opens a ticket with the message, finishes the intake and enqueues ticket.sync, ai.title and ai.answer with an OpenAI key', async () => {
      const t = setup({ OPENAI_API_KEY: 'sk-test' });
      const chosen = choseCategory(t);
      const message = incoming();

      const result = await t.sut.receive(message);

      expect(result).toMatchObject({ outcome: 'opened', ticket: { id: 9 } });
      expect(t.tickets.open).toHaveBeenCalledWith(chosen, -1001, t.manager);
      expect(t.customers.finishIntake).toHaveBeenCalledWith(CUSTOMER_ID, t.manager);
      expect(t.messages.insert).toHaveBeenCalledWith(9, [expect.objectContaining({ messageId: message.messageId, direction: 'customer' })], t.manager);
      expect(t.jobNames()).toEqual(['ai.answer', 'ai.title', 'ticket.sync']);
      expect(t.queue.sentTo('ai.title')).toEqual([{ ticketId: 9 }]);
      expect(t.queue.sentTo('ai.answer')).toEqual([{ ticketId: 9 }]);
      expect(t.queue.sentTo('ticket.sync')).toEqual([{ ticketId: 9 }]);
      expect(t.ack.sendInline).toHaveBeenCalledWith(expect.objectContaining({ id: 9 }), message.messageId);
    });

    it('enqueues only ticket.sync without an OpenAI key: the model is never asked', async () => {
      const t = setup();
      choseCategory(t);

      await expect(t.sut.receive(incoming())).resolves.toMatchObject({ outcome: 'opened' });

      expect(t.jobNames()).toEqual(['ticket.sync']);
    });

    it('enqueues ai.title but no ai.answer with AI_ANSWER_MODE=off', async () => {
      const t = setup({ OPENAI_API_KEY: 'sk-test', AI_ANSWER_MODE: 'off' });
      choseCategory(t);

      await expect(t.sut.receive(incoming())).resolves.toMatchObject({ outcome: 'opened' });

      expect(t.jobNames()).toEqual(['ai.title', 'ticket.sync']);
    });

    it('appends to the winner of a race for the ticket (open returned created: false) and enqueues no AI job nor acknowledgement', async () => {
      const t = setup({ OPENAI_API_KEY: 'sk-test' });
      choseCategory(t);
      t.tickets.open.mockResolvedValue({ ticket: ticket({ id: 11 }), created: false });
      const message = incoming();

      const result = await t.sut.receive(message);

      expect(result).toMatchObject({ outcome: 'appended', ticket: { id: 11 } });
      expect(t.messages.insert).toHaveBeenCalledWith(11, [expect.objectContaining({ messageId: message.messageId })], t.manager);
      expect(t.jobNames()).toEqual(['ticket.sync']);
      expect(t.queue.sentTo('ticket.sync')).toEqual([{ ticketId: 11 }]);
      expect(t.ack.sendInline).not.toHaveBeenCalled();
    });

    it('acknowledges a new ticket after the commit and wakes its sync only then', async () => {
      const t = setup();
      choseCategory(t);
      let wokenAtAck: string[] | undefined;
      t.ack.sendInline.mockImplementation(async () => {
        wokenAtAck = [...t.queue.woken];
        t.order.push('ack');
      });

      await t.sut.receive(incoming());

      expect(t.order).toEqual(['send ticket.sync', 'commit', 'ack', 'wake ticket.sync']);
      expect(wokenAtAck).toEqual([]);
      expect(t.queue.woken).toEqual(['ticket.sync']);
    });

    it('still wakes the queues when the acknowledgement throws, so the written jobs are not left to the next poll', async () => {
      const t = setup();
      choseCategory(t);
      t.ack.sendInline.mockRejectedValue(new Error('telegram down'));

      await expect(t.sut.receive(incoming())).rejects.toThrow('telegram down');

      expect(t.queue.woken).toEqual(['ticket.sync']);
    });
  });

  describe('past MAX_TICKETS_PER_HOUR', () => {
    function limited(t: ReturnType<typeof setup>, draft: DraftMessage[] = []) {
      t.customers.upsert.mockResolvedValue(customer({ step: 'describe', category: 'payments', draft }));
      t.tickets.intakeView.mockResolvedValue({ open: null, openedRecently: 2 });
    }

    it('opens nothing and keeps the message for the next ticket', async () => {
      const t = setup({ MAX_TICKETS_PER_HOUR: '2' });
      limited(t, [draft(1)]);

      const result = await t.sut.receive(incoming({ messageId: 2 }));

      expect(result).toMatchObject({ outcome: 'limited', max: 2, tell: true, draftFull: false });
      expect(t.tickets.open).not.toHaveBeenCalled();
      expect(t.customers.saveDraft).toHaveBeenCalledWith(CUSTOMER_ID, [draft(1), expect.objectContaining({ messageId: 2 })], t.manager);
      expect(t.queue.sent).toEqual([]);
      expect(t.ack.sendInline).not.toHaveBeenCalled();
    });

    it('opens nothing with a full draft either: the message is not kept, and the customer is told once', async () => {
      const t = setup({ MAX_TICKETS_PER_HOUR: '2' });
      limited(t, Array.from({ length: MAX_DRAFT }, (_, i) => draft(i + 1)));

      const result = await t.sut.receive(incoming({ messageId: MAX_DRAFT + 1 }));

      expect(result).toMatchObject({ outcome: 'limited', draftFull: true });
      expect(t.tickets.open).not.toHaveBeenCalled();
      expect(t.customers.saveDraft).not.toHaveBeenCalled();
      expect(t.customers.countDropped).toHaveBeenCalledWith(CUSTOMER_ID, t.manager);
      expect(t.queue.sent).toEqual([]);
    });
  });

  describe('before a category was chosen', () => {
    it('keeps the message as a draft and enqueues nothing', async () => {
      const t = setup();
      t.customers.upsert.mockResolvedValue(customer({ step: 'category', draft: [draft(1)] }));
      const message = incoming({ messageId: 2 });

      const result = await t.sut.receive(message);

      expect(result).toMatchObject({ outcome: 'needs-category', customer: { draft: [draft(1), expect.objectContaining({ messageId: 2 })] } });
      expect(t.customers.saveDraft).toHaveBeenCalledWith(
        CUSTOMER_ID,
        [draft(1), { messageId: 2, kind: 'text', text: message.text, mediaGroupId: null, entities: null, replyToMessageId: null }],
        t.manager,
      );
      expect(t.tickets.open).not.toHaveBeenCalled();
      expect(t.messages.insert).not.toHaveBeenCalled();
      expect(t.queue.sent).toEqual([]);
    });

    it('keeps every message up to the draft limit, then keeps no more and says so once', async () => {
      const t = setup();
      const full = Array.from({ length: MAX_DRAFT }, (_, i) => draft(i + 1));
      t.customers.upsert.mockResolvedValue(customer({ step: 'category', draft: full }));

      const first = await t.sut.receive(incoming({ messageId: MAX_DRAFT + 1 }));
      t.customers.countDropped.mockResolvedValue(2);
      const second = await t.sut.receive(incoming({ messageId: MAX_DRAFT + 2 }));

      expect(t.customers.saveDraft).not.toHaveBeenCalled();
      expect(first).toMatchObject({ outcome: 'needs-category', draftFull: true });
      expect(second).toMatchObject({ outcome: 'needs-category', draftFull: false });
    });

    it('prompts for a topic only when the prompt was not shown within the last seconds', async () => {
      const t = setup();
      t.customers.upsert.mockResolvedValue(customer({ step: 'category' }));
      t.customers.claimPrompt.mockResolvedValue(false);

      const result = await t.sut.receive(incoming({ messageId: 3 }));

      expect(t.customers.claimPrompt).toHaveBeenCalledWith(CUSTOMER_ID, PROMPT_EVERY_S, t.manager);
      expect(result).toMatchObject({ outcome: 'needs-category', prompt: false });
      expect(t.customers.saveDraft).toHaveBeenCalled();
    });
  });

  describe('after a ticket closed', () => {
    it('reopens the ticket closed within the reopen window, enqueues ticket.lifecycle (reopened by customer) and ticket.sync, and tells the customer', async () => {
      const t = setup();
      const closed = ticket({ id: 5, status: 'closed', closedAt: new Date(), closedBy: 'agent' });
      t.tickets.recentlyClosed.mockResolvedValue(closed);
      const message = incoming();

      const result = await t.sut.receive(message);

      expect(result).toMatchObject({ outcome: 'reopened', ticket: { id: 5, status: 'open' } });
      expect(t.tickets.recentlyClosed).toHaveBeenCalledWith(CUSTOMER_ID, t.appConfig.reopenWindowMs, t.manager);
      expect(t.appConfig.reopenWindowMs).toBe(3_600_000);
      expect(t.tickets.reopen).toHaveBeenCalledWith(5, t.manager);
      expect(t.messages.insert).toHaveBeenCalledWith(5, [expect.objectContaining({ messageId: message.messageId })], t.manager);
      expect(t.queue.sentTo('ticket.lifecycle')).toEqual([{ ticketId: 5, event: 'reopened', by: 'customer', agentName: undefined }]);
      expect(t.queue.sentTo('ticket.sync')).toEqual([{ ticketId: 5 }]);
      expect(t.jobNames()).toEqual(['ticket.lifecycle', 'ticket.sync']);
      expect(t.ack.tell).toHaveBeenCalledWith(expect.objectContaining({ id: 5, status: 'open' }), 'reopen.byCustomer', message.messageId);
      expect(t.order.indexOf('tell')).toBeGreaterThan(t.order.indexOf('commit'));
      expect(t.ack.sendInline).not.toHaveBeenCalled();
    });

    it('does not look for a closed ticket to reopen once the customer chose a new category: a new ticket opens', async () => {
      const t = setup();
      t.customers.upsert.mockResolvedValue(customer({ step: 'describe', category: 'account' }));
      t.tickets.recentlyClosed.mockResolvedValue(ticket({ id: 5, status: 'closed' }));
      t.tickets.open.mockResolvedValue({ ticket: ticket({ id: 6, category: 'account' }), created: true });

      await expect(t.sut.receive(incoming())).resolves.toMatchObject({ outcome: 'opened', ticket: { id: 6 } });

      expect(t.tickets.recentlyClosed).not.toHaveBeenCalled();
      expect(t.tickets.reopen).not.toHaveBeenCalled();
      expect(t.queue.sentTo('ticket.lifecycle')).toEqual([]);
    });
  });
});

describe('TicketsService.chooseCategory', () => {
  it('opens the ticket with the draft messages, in order, and acknowledges it as a reply to the first of them', async () => {
    const t = setup();
    t.customers.upsert.mockResolvedValue(customer({ step: 'category', draft: [draft(31), draft(32)] }));
    t.tickets.open.mockResolvedValue({ ticket: ticket({ id: 12, subcategory: 'refund' }), created: true });

    const result = await t.sut.chooseCategory(77, { id: CUSTOMER_ID, first_name: 'Ann' }, 'payments', 'refund');

    expect(result).toMatchObject({ outcome: 'opened', ticket: { id: 12 } });
    expect(t.updates.claim).toHaveBeenCalledWith(77, 'callback', t.manager);
    expect(t.customers.chooseCategory).toHaveBeenCalledWith(CUSTOMER_ID, 'payments', 'refund', t.manager);
    // The ticket takes the category just chosen, not the customer's stale row.
    expect(t.tickets.open).toHaveBeenCalledWith(expect.objectContaining({ category: 'payments', subcategory: 'refund', step: 'describe' }), -1001, t.manager);
    expect(t.messages.insert).toHaveBeenCalledWith(
      12,
      [expect.objectContaining({ messageId: 31, text: 'draft 31' }), expect.objectContaining({ messageId: 32, text: 'draft 32' })],
      t.manager,
    );
    expect(t.customers.finishIntake).toHaveBeenCalledWith(CUSTOMER_ID, t.manager);
    expect(t.queue.sentTo('ticket.sync')).toEqual([{ ticketId: 12 }]);
    expect(t.ack.sendInline).toHaveBeenCalledWith(expect.objectContaining({ id: 12 }), 31);
    expect(t.order).toEqual(['send ticket.sync', 'commit', 'ack', 'wake ticket.sync']);
  });

  it('past MAX_TICKETS_PER_HOUR opens nothing from the draft: the choice is recorded and the draft kept as it was', async () => {
    const t = setup({ MAX_TICKETS_PER_HOUR: '2' });
    t.customers.upsert.mockResolvedValue(customer({ step: 'category', draft: [draft(41)] }));
    t.tickets.intakeView.mockResolvedValue({ open: null, openedRecently: 2 });

    const result = await t.sut.chooseCategory(79, { id: CUSTOMER_ID, first_name: 'Ann' }, 'account', null);

    expect(result).toMatchObject({ outcome: 'limited', max: 2, customer: { category: 'account', step: 'describe', draft: [draft(41)] } });
    expect(t.tickets.intakeView).toHaveBeenCalledWith(CUSTOMER_ID, 3600, t.manager);
    expect(t.customers.chooseCategory).toHaveBeenCalledWith(CUSTOMER_ID, 'account', null, t.manager);
    expect(t.tickets.open).not.toHaveBeenCalled();
    expect(t.customers.saveDraft).not.toHaveBeenCalled();
    expect(t.customers.finishIntake).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
    expect(t.ack.sendInline).not.toHaveBeenCalled();
  });

  it('without a draft only records the choice and waits for the description', async () => {
    const t = setup();
    t.customers.upsert.mockResolvedValue(customer({ step: 'category' }));

    const result = await t.sut.chooseCategory(78, { id: CUSTOMER_ID, first_name: 'Ann' }, 'account', null);

    expect(result).toMatchObject({ outcome: 'awaiting-description', customer: { category: 'account', step: 'describe' } });
    expect(t.tickets.open).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
    expect(t.ack.sendInline).not.toHaveBeenCalled();
  });
});
