import type { Update } from 'telegraf/types';
import type { I18n } from './i18n/i18n.service';
import type { InboxRepository, StoredUpdate } from './repositories/inbox.repository';
import type { TelegramGateway } from './telegram.gateway';
import { UpdateInbox } from './update-inbox.service';

const message = (updateId: number, chat: number): Update =>
  ({ update_id: updateId, message: { message_id: updateId, date: 0, chat: { id: chat, type: 'private' }, text: `u${updateId}` } }) as unknown as Update;
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The inbox's own bookkeeping of the chat order, with a fake table: a newer update of a chat is held
 * back (left to the redrive) only while an older one is pending elsewhere, never because this
 * instance's own marking raced the store.
 */
describe('UpdateInbox', () => {
  let inbox: UpdateInbox;
  let repo: { store: jest.Mock; markHandled: jest.Mock; release: jest.Mock; claimDue: jest.Mock; renew: jest.Mock; recordFailure: jest.Mock };
  const handled: number[] = [];

  beforeEach(() => {
    handled.length = 0;
    repo = {
      store: jest.fn(),
      markHandled: jest.fn(async () => undefined),
      release: jest.fn(async () => undefined),
      claimDue: jest.fn(async () => []),
      renew: jest.fn(async () => undefined),
      recordFailure: jest.fn(async () => undefined),
    };
    inbox = new UpdateInbox(repo as unknown as InboxRepository, {} as TelegramGateway, {} as I18n);
    inbox.start(async (update) => void handled.push(update.update_id));
  });
  afterEach(() => inbox.stop());

  it('hands a chat’s next update on when the older one it saw pending was marked handled by this instance while the store ran', async () => {
    repo.store.mockResolvedValueOnce([{ updateId: 1, olderPending: [] }] satisfies StoredUpdate[]);
    await inbox.accept([message(1, 7)]);
    // Update 2's store reads the table before update 1's mark commits, and returns after it.
    let finishStore!: (rows: StoredUpdate[]) => void;
    repo.store.mockReturnValueOnce(new Promise<StoredUpdate[]>((resolve) => (finishStore = resolve)));
    const accepting = inbox.accept([message(2, 7)]);
    await tick(50); // update 1 is handled and marked meanwhile
    expect(repo.markHandled).toHaveBeenCalledWith([1]);
    finishStore([{ updateId: 2, olderPending: [1] }]);
    await accepting;
    await tick(20);
    expect(handled).toEqual([1, 2]);
    expect(repo.release).not.toHaveBeenCalled();
  });

  it('leaves a chat’s next update to the redrive while an older one is pending that this instance does not hold', async () => {
    repo.store.mockResolvedValueOnce([{ updateId: 5, olderPending: [4] }] satisfies StoredUpdate[]);
    await inbox.accept([message(5, 8)]);
    await tick(20);
    expect(handled).toEqual([]);
    expect(repo.release).toHaveBeenCalledWith(5);
  });
});
