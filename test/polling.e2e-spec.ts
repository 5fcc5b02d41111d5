import { BotApiEmulator } from '../src/sandbox/emulator';
import { createTestDatabase } from './support/database';
import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';

/** Two instances in polling mode on one database: one polls, the other stands by and takes over. */
describe('polling with two instances', () => {
  let emu: BotApiEmulator;
  let database: { url: string; drop(): Promise<void> };
  const desks: TestDesk[] = [];

  beforeAll(async () => {
    emu = new BotApiEmulator();
    await emu.start();
    database = await createTestDatabase();
    desks.push(await startDesk({ emu, databaseUrl: database.url }));
    desks.push(await startDesk({ emu, databaseUrl: database.url }));
  });

  afterAll(async () => {
    for (const desk of desks) await desk.close().catch(() => undefined);
    await emu?.stop();
    await database?.drop();
  });

  it('lets one instance poll and hands over when it stops', async () => {
    const first = emu.createUser({ first_name: 'Before', language_code: 'en' });
    await chooseCategory(emu, first);
    emu.userSendText(first.id, 'handled by the leader');
    await emu.waitFor(() => ackFor(emu, first.id), { what: 'the first acknowledgement' });
    await sleep(500);
    // Never two pollers at once: Telegram would answer one of them 409 Conflict.
    expect(emu.callRecords('getUpdates').filter((c) => c.status === 409)).toEqual([]);

    await desks[0].close();
    const closedAt = emu.seq();
    const second = emu.createUser({ first_name: 'After', language_code: 'en' });
    emu.userSendText(second.id, '/start');
    await emu.waitFor(() => botMessages(emu, second.id)[0], { what: 'the standby instance to take over', timeoutMs: 20_000 });
    await chooseCategory(emu, second);
    emu.userSendText(second.id, 'handled by the new leader');
    await emu.waitFor(() => ackFor(emu, second.id), { what: 'the acknowledgement after the hand-over' });
    // (The stopped instance's abandoned long poll may be ended with a 409 when the new leader polls, as
    // Telegram does; nobody is listening to it any more.)
    expect(emu.callRecords('getUpdates').filter((c) => c.status === 409 && c.startSeq > closedAt)).toEqual([]);
  }, 60_000);
});
