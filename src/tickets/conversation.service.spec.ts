import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AppConfig } from '../config/app-config';
import { SyncJobQueue } from '../jobs/sync.driver';
import { UnitOfWork } from '../jobs/unit-of-work';
import { ConversationService } from './conversation.service';
import type { IncomingMessage } from './incoming-message';
import type { CustomerRepository } from './repositories/customer.repository';
import type { TicketMessageRepository } from './repositories/ticket-message.repository';
import type { TicketRepository } from './repositories/ticket.repository';
import type { UpdateClaimRepository } from './repositories/update-claim.repository';
import type { TicketMessage } from './ticket-message.entity';
import type { Ticket } from './ticket.entity';
import { wireListeners } from '../../test/support/listeners';
import { fakeDataSource, mockOf, ticketOf, unitConfig } from '../../test/support/unit-fixtures';

const CUSTOMER_ID = 501;
const SUPPORT_CHAT_ID = -1001;

const config = (env: Record<string, string> = {}): AppConfig => unitConfig(env);


const ticket = (overrides: Partial<Ticket> = {}): Ticket => ticketOf(CUSTOMER_ID, { threadId: 300, ...overrides });

let nextUpdateId = 5000;
function agentMessage(overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const n = nextUpdateId++;
  return {
    updateId: n,
    from: { id: 900, first_name: 'Alice' },
    messageId: n,
    kind: 'text',
    text: `answer ${n}`,
    mediaGroupId: null,
    replyToMessageId: 44,
    entities: [{ type: 'italic', offset: 0, length: 6 }],
    ...overrides,
  };
}


function setup(env: Record<string, string> = {}) {
  const appConfig = config(env);
  let commits = 0;
  const { dataSource, manager } = fakeDataSource(() => commits++);
  const queue = new SyncJobQueue();
  const emitter = new EventEmitter2();
  wireListeners(emitter, appConfig);

  const updates = mockOf<UpdateClaimRepository>('claim');
  const customers = mockOf<CustomerRepository>('setBlocked', 'lock');
  const tickets = mockOf<TicketRepository>('ofThread', 'openOf', 'findOfCustomer', 'close', 'reopen');
  const messages = mockOf<TicketMessageRepository>('insert', 'findByOrigin', 'applyEdit');
  updates.claim.mockResolvedValue(true);
  tickets.ofThread.mockResolvedValue(null);
  tickets.openOf.mockResolvedValue(null);
  tickets.findOfCustomer.mockResolvedValue(null);
  tickets.close.mockResolvedValue(true);
  tickets.reopen.mockResolvedValue(true);
  customers.lock.mockResolvedValue(undefined);
  messages.findByOrigin.mockResolvedValue(null);

  const sut = new ConversationService(appConfig, new UnitOfWork(dataSource, queue, emitter), updates, customers, tickets, messages);
  return { sut, manager, queue, updates, customers, tickets, messages, commits: () => commits };
}

beforeAll(() => {
  if (!process.env.TEST_LOGS) Logger.overrideLogger(false);
});

describe('ConversationService.recordAgentMessage', () => {
  it('records an agent message in a ticket topic as the agent’s and enqueues ticket.deliver', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, threadId: 300 }));
    const message = agentMessage();

    const result = await t.sut.recordAgentMessage(message, SUPPORT_CHAT_ID, 300);

    expect(result).toMatchObject({ outcome: 'recorded', ticket: { id: 42 } });
    expect(t.updates.claim).toHaveBeenCalledWith(message.updateId, 'agent-message', t.manager);
    expect(t.tickets.ofThread).toHaveBeenCalledWith(SUPPORT_CHAT_ID, 300, t.manager);
    expect(t.messages.insert).toHaveBeenCalledWith(
      42,
      [
        expect.objectContaining({
          direction: 'agent',
          chatId: SUPPORT_CHAT_ID,
          messageId: message.messageId,
          text: message.text,
          replyToMessageId: 44,
          entities: message.entities,
          authorName: 'Alice',
        }),
      ],
      t.manager,
    );
    expect(t.queue.sent).toEqual([{ name: 'ticket.deliver', data: { ticketId: 42 }, options: { tx: t.manager } }]);
    expect(t.queue.woken).toEqual(['ticket.deliver']);
  });

  it('returns not-ticket for a thread that is no ticket’s topic and records and enqueues nothing', async () => {
    const t = setup();

    await expect(t.sut.recordAgentMessage(agentMessage(), SUPPORT_CHAT_ID, 999)).resolves.toEqual({ outcome: 'not-ticket' });

    expect(t.messages.insert).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
    expect(t.queue.woken).toEqual([]);
  });

  it('ignores a redelivered agent message', async () => {
    const t = setup();
    t.updates.claim.mockResolvedValue(false);
    t.tickets.ofThread.mockResolvedValue(ticket());

    await expect(t.sut.recordAgentMessage(agentMessage(), SUPPORT_CHAT_ID, 300)).resolves.toEqual({ outcome: 'duplicate' });

    expect(t.tickets.ofThread).not.toHaveBeenCalled();
    expect(t.messages.insert).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });
});

describe('ConversationService closing', () => {
  it('closes the ticket of the topic and enqueues ticket.lifecycle closed by the agent, with the agent’s name', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42 }));

    const result = await t.sut.closeByAgent(10, SUPPORT_CHAT_ID, 300, 'Alice');

    expect(result).toMatchObject({ outcome: 'closed', ticket: { id: 42, status: 'closed' } });
    expect(t.tickets.close).toHaveBeenCalledWith(42, 'agent', t.manager);
    expect(t.queue.sentTo('ticket.lifecycle')).toEqual([{ ticketId: 42, event: 'closed', by: 'agent', agentName: 'Alice' }]);
    expect(t.queue.sent).toHaveLength(1);
    expect(t.queue.woken).toEqual(['ticket.lifecycle']);
  });

  it('answers already for a ticket that is closed, and enqueues nothing', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'closed' }));
    // The repository's close is conditional on status = 'open': it says no.
    t.tickets.close.mockResolvedValue(false);

    await expect(t.sut.closeByAgent(11, SUPPORT_CHAT_ID, 300, 'Alice')).resolves.toEqual({ outcome: 'already' });

    expect(t.queue.sent).toEqual([]);
  });

  it('answers not-ticket when an agent closes in a thread that is no ticket’s topic', async () => {
    const t = setup();

    await expect(t.sut.closeByAgent(12, SUPPORT_CHAT_ID, 999, 'Alice')).resolves.toEqual({ outcome: 'not-ticket' });

    expect(t.tickets.close).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });

  it('closes the customer’s open ticket and enqueues ticket.lifecycle closed by the customer', async () => {
    const t = setup();
    t.tickets.openOf.mockResolvedValue(ticket({ id: 43 }));

    await expect(t.sut.closeByCustomer(13, CUSTOMER_ID)).resolves.toMatchObject({ outcome: 'closed', ticket: { id: 43 } });

    expect(t.tickets.openOf).toHaveBeenCalledWith(CUSTOMER_ID, t.manager);
    expect(t.queue.sentTo('ticket.lifecycle')).toEqual([{ ticketId: 43, event: 'closed', by: 'customer', agentName: undefined }]);
  });

  it('answers none when the customer closes a ticket that is not theirs (the button of another chat)', async () => {
    const t = setup();

    await expect(t.sut.closeByCustomer(14, CUSTOMER_ID, 99)).resolves.toEqual({ outcome: 'none' });

    expect(t.tickets.findOfCustomer).toHaveBeenCalledWith(99, CUSTOMER_ID, t.manager);
    expect(t.tickets.close).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });
});

describe('ConversationService.reopenByAgent', () => {
  it('reopens the closed ticket of the topic and enqueues ticket.lifecycle reopened by the agent', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'closed' }));

    await expect(t.sut.reopenByAgent(20, SUPPORT_CHAT_ID, 300, 'Bob')).resolves.toMatchObject({ outcome: 'reopened', ticket: { id: 42, status: 'open' } });

    expect(t.tickets.reopen).toHaveBeenCalledWith(42, t.manager);
    expect(t.queue.sentTo('ticket.lifecycle')).toEqual([{ ticketId: 42, event: 'reopened', by: 'agent', agentName: 'Bob' }]);
  });

  it('answers newer-open with the customer’s newer open ticket and leaves the old one closed', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'closed' }));
    t.tickets.openOf.mockResolvedValue(ticket({ id: 50, threadId: 310 }));

    await expect(t.sut.reopenByAgent(21, SUPPORT_CHAT_ID, 300, 'Bob')).resolves.toMatchObject({ outcome: 'newer-open', ticket: { id: 50 } });

    expect(t.tickets.openOf).toHaveBeenCalledWith(CUSTOMER_ID, t.manager);
    expect(t.tickets.reopen).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });

  it('locks the customer before checking for a newer open ticket, so a new ticket cannot open meanwhile', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'closed' }));

    await t.sut.reopenByAgent(23, SUPPORT_CHAT_ID, 300, 'Bob');

    expect(t.customers.lock).toHaveBeenCalledWith(CUSTOMER_ID, t.manager);
    expect(t.customers.lock.mock.invocationCallOrder[0]).toBeLessThan(t.tickets.openOf.mock.invocationCallOrder[0]);
  });

  it('answers already when another agent reopened the ticket first, and enqueues nothing', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'closed' }));
    t.tickets.reopen.mockResolvedValue(false);

    await expect(t.sut.reopenByAgent(24, SUPPORT_CHAT_ID, 300, 'Bob')).resolves.toEqual({ outcome: 'already' });

    expect(t.queue.sent).toEqual([]);
  });

  it('answers already, not newer-open, when the open ticket found is this very ticket', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'closed' }));
    t.tickets.openOf.mockResolvedValue(ticket({ id: 42, status: 'open' }));

    await expect(t.sut.reopenByAgent(25, SUPPORT_CHAT_ID, 300, 'Bob')).resolves.toEqual({ outcome: 'already' });

    expect(t.tickets.reopen).not.toHaveBeenCalled();
  });

  it('answers already for a ticket that is open', async () => {
    const t = setup();
    t.tickets.ofThread.mockResolvedValue(ticket({ id: 42, status: 'open' }));

    await expect(t.sut.reopenByAgent(22, SUPPORT_CHAT_ID, 300, 'Bob')).resolves.toEqual({ outcome: 'already' });

    expect(t.tickets.reopen).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });
});

describe('ConversationService.recordEdit', () => {
  it('answers unknown for an edit of a message the desk never recorded and changes nothing', async () => {
    const t = setup();

    await expect(t.sut.recordEdit(30, CUSTOMER_ID, 77, { text: 'edited' })).resolves.toEqual({ outcome: 'unknown' });

    expect(t.messages.findByOrigin).toHaveBeenCalledWith(CUSTOMER_ID, 77, t.manager);
    expect(t.messages.applyEdit).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });

  it('stores the edit of a recorded message and enqueues message.edit for its copy', async () => {
    const t = setup();
    t.messages.findByOrigin.mockResolvedValue({ id: 600 } as TicketMessage);
    const entities = [{ type: 'bold', offset: 0, length: 6 }];

    await expect(t.sut.recordEdit(31, CUSTOMER_ID, 77, { text: 'edited', entities })).resolves.toEqual({ outcome: 'queued' });

    expect(t.messages.applyEdit).toHaveBeenCalledWith(600, 'edited', entities, t.manager);
    expect(t.queue.sentTo('message.edit')).toEqual([{ rowId: 600, text: 'edited', entities }]);
  });
});

describe('ConversationService.setBlocked', () => {
  it('enqueues customer.reachability when the blocked flag changed', async () => {
    const t = setup();
    t.customers.setBlocked.mockResolvedValue(true);

    await expect(t.sut.setBlocked(40, CUSTOMER_ID, true)).resolves.toBe(true);

    expect(t.updates.claim).toHaveBeenCalledWith(40, 'my_chat_member', t.manager);
    expect(t.customers.setBlocked).toHaveBeenCalledWith(CUSTOMER_ID, true, t.manager);
    expect(t.queue.sent).toEqual([{ name: 'customer.reachability', data: { customerId: CUSTOMER_ID, blocked: true }, options: { tx: t.manager } }]);
  });

  it('enqueues nothing when the flag was already so', async () => {
    const t = setup();
    t.customers.setBlocked.mockResolvedValue(false);

    await expect(t.sut.setBlocked(41, CUSTOMER_ID, false)).resolves.toBe(false);

    expect(t.queue.sent).toEqual([]);
    expect(t.queue.woken).toEqual([]);
  });

  it('without an update (a 403 seen by a job) skips the claim but still runs in a transaction', async () => {
    const t = setup();
    t.customers.setBlocked.mockResolvedValue(true);

    await expect(t.sut.setBlocked(null, CUSTOMER_ID, true)).resolves.toBe(true);

    expect(t.updates.claim).not.toHaveBeenCalled();
    expect(t.commits()).toBe(1);
    expect(t.queue.sentTo('customer.reachability')).toEqual([{ customerId: CUSTOMER_ID, blocked: true }]);
  });

  it('ignores a redelivered my_chat_member update', async () => {
    const t = setup();
    t.updates.claim.mockResolvedValue(false);
    t.customers.setBlocked.mockResolvedValue(true);

    await expect(t.sut.setBlocked(42, CUSTOMER_ID, true)).resolves.toBe(false);

    expect(t.customers.setBlocked).not.toHaveBeenCalled();
    expect(t.queue.sent).toEqual([]);
  });
});
