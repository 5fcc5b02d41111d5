import { TestDesk, ackFor, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/**
 * Telegram carried out a copy, then the database connection died while its result was being written:
 * the write is retried, the copy is not sent a second time.
 */
describe('a failed write after a successful send', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  it('records the copy later instead of copying the message again', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Once', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'first of all');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · first of all')), { what: 'the topic' });
    const copiesOf = (text: string) => topicMessages(emu, topic.message_thread_id).filter((m) => m.from?.id === emu.botUser.id && m.text === text);
    await emu.waitFor(() => copiesOf('first of all')[0], { what: 'the first copy' });

    // The next time a customer message's copy is recorded, the connection writing it is cut (once).
    await desk.sql(`CREATE SEQUENCE record_faults`);
    await desk.sql(`
      CREATE FUNCTION cut_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('record_faults') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
        RETURN NEW;
      END $$`);
    await desk.sql(`
      CREATE TRIGGER cut_once BEFORE UPDATE ON ticket_messages FOR EACH ROW
      WHEN (OLD.direction = 'customer' AND OLD.copy_message_id IS NULL AND NEW.copy_message_id IS NOT NULL)
      EXECUTE FUNCTION cut_once()`);

    emu.userSendText(user.id, 'then this');
    const recorded = async () =>
      (await desk.sql<{ copied: boolean }>(`SELECT copied_at IS NOT NULL AS copied FROM ticket_messages WHERE text = 'then this'`))[0]?.copied;
    for (let i = 0; i < 200 && !(await recorded()); i++) await sleep(100);
    await sleep(1500);

    // The write ran twice: cut the first time, recorded the second.
    expect((await desk.sql<{ n: string }>(`SELECT last_value AS n FROM record_faults`))[0].n).toBe('2');
    expect(await recorded()).toBe(true);
    expect(copiesOf('then this')).toHaveLength(1);
    // One copyMessage into the group: 'then this' (the first message went out inside the card).
    expect(emu.callRecords('copyMessage').filter((c) => c.ok && Number(c.params.chat_id) === emu.supportChatId && c.params.message_id !== undefined).length).toBe(1);
  }, 60_000);
});
