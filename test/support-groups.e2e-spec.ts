import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotApiEmulator } from '../src/sandbox/emulator';
import { FakeOpenAI } from '../src/sandbox/fake-openai';
import type { TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, buttons, chooseCategory, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const GROUP_B = -1009000000002;
const NOT_A_FORUM = -1009000000003;

/** A copy of the shipped catalog where a category ("account" unless told) names the second group, which has a label. */
function catalogWithGroup(group: number, category = 'account'): string {
  const catalog = JSON.parse(readFileSync(join(__dirname, '../catalog/categories.json'), 'utf8')) as {
    categories: { id: string; group?: string }[];
    groups?: Record<string, string>;
  };
  catalog.categories.find((c) => c.id === category)!.group = String(group);
  catalog.groups = { [String(group)]: 'Accounts desk' };
  const file = join(mkdtempSync(join(tmpdir(), 'helpdesk-catalog-')), 'categories.json');
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

/** Two forum groups behind one bot: tickets spread over both, each stays in its group, nothing crosses. */
describe('several support groups', () => {
  let emu: BotApiEmulator;
  let desk: TestDesk;
  let agent: TgUser;

  beforeAll(async () => {
    emu = new BotApiEmulator();
    await emu.start();
    emu.addSupportGroup({ id: GROUP_B, title: 'Support B' });
    agent = emu.createAgent({ first_name: 'Olga', admin: true });
    desk = await startDesk({ emu, env: { SUPPORT_CHAT_ID: `${emu.supportChatId},${GROUP_B}`, CATEGORIES_FILE: catalogWithGroup(GROUP_B) } });
  });
  afterAll(async () => {
    await desk?.close();
    await emu?.stop();
  });

  const open = async (name: string, text: string, category = 'other') => {
    const user = emu.createUser({ first_name: name, language_code: 'en' });
    await chooseCategory(emu, user, { category, subcategory: category === 'account' ? 'login' : undefined });
    emu.userSendText(user.id, text);
    await emu.waitFor(() => ackFor(emu, user.id), { what: `the acknowledgement of ${name}` });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(` · ${text}`)), { what: `the topic of ${name}` });
    await emu.waitFor(() => topicMessages(emu, topic.message_thread_id, topic.chat_id).find((m) => m.text === text), { what: `${name}'s first message in the topic` });
    return { user, topic };
  };

  it('spreads tickets over both groups, sends a category that names a group there, and keeps each answer in its own group', async () => {
    // One after another: each goes where fewer tickets are open (the budgets are equal on an idle desk).
    const first = await open('Ann', 'spread one');
    const second = await open('Ben', 'spread two');
    const third = await open('Cid', 'spread three');
    const fourth = await open('Dan', 'spread four');
    const groups = [first, second, third, fourth].map((t) => t.topic.chat_id);
    expect(groups.filter((g) => g === emu.supportChatId)).toHaveLength(2);
    expect(groups.filter((g) => g === GROUP_B)).toHaveLength(2);
    const byCategory = await open('Eve', 'cannot sign in', 'account');
    expect(byCategory.topic.chat_id).toBe(GROUP_B);

    // The first topic of each group has the same thread id; an answer in each reaches only its own customer.
    const inA = first.topic.chat_id === emu.supportChatId ? first : second;
    const inB = first.topic.chat_id === GROUP_B ? first : second;
    expect(inA.topic.message_thread_id).toBe(inB.topic.message_thread_id);
    emu.agentSend(agent.id, { chatId: emu.supportChatId, threadId: inA.topic.message_thread_id, text: 'answer from A' });
    emu.agentSend(agent.id, { chatId: GROUP_B, threadId: inB.topic.message_thread_id, text: 'answer from B' });
    await emu.waitFor(() => botMessages(emu, inA.user.id).find((m) => m.text === 'answer from A'), { what: 'the answer in group A' });
    await emu.waitFor(() => botMessages(emu, inB.user.id).find((m) => m.text === 'answer from B'), { what: 'the answer in group B' });
    await emu.waitFor(() => desk.sql(`SELECT 1 FROM ticket_messages WHERE direction = 'agent' AND copied_at IS NOT NULL HAVING count(*) = 2`).then((r) => r[0]), {
      what: 'both answers recorded',
    });
    expect(botMessages(emu, inA.user.id).map((m) => m.text)).not.toContain('answer from B');
    expect(botMessages(emu, inB.user.id).map((m) => m.text)).not.toContain('answer from A');
    const rows = await desk.sql<{ id: string; group_id: string }>(`SELECT id, group_id FROM tickets ORDER BY id`);
    expect(new Set(rows.map((r) => Number(r.group_id)))).toEqual(new Set([emu.supportChatId, GROUP_B]));
  }, 120_000);

  it("names the group's label on its cards, and /stats in a group shows the whole desk and the group's share", async () => {
    const { topic } = await open('Gil', 'label please', 'account');
    const card = emu.topicMessages(topic.message_thread_id, GROUP_B)[0];
    expect(card.text).toContain('Desk: Accounts desk');
    const cardInA = emu.topics().find((t) => t.chat_id === emu.supportChatId)!;
    expect(emu.topicMessages(cardInA.message_thread_id)[0].text).not.toContain('Desk:');

    const asked = emu.agentSend(agent.id, { chatId: GROUP_B, text: '/stats' });
    const answer = await emu.waitFor(
      () => emu.chatMessages(GROUP_B).find((m) => m.reply_to_message?.message_id === asked.message_id && /Open now/.test(m.text ?? '')),
      { what: 'the /stats answer in group B' },
    );
    const counts = await desk.sql<{ all: string; b: string }>(
      `SELECT count(*) AS all, count(*) FILTER (WHERE group_id = $1) AS b FROM tickets WHERE status = 'open'`,
      [GROUP_B],
    );
    expect(answer.text).toContain(`Open now: ${counts[0].all}`);
    expect(answer.text).toContain(`This group (Accounts desk): open ${counts[0].b}`);
  }, 60_000);

  it('mirrors an edit and closes by /close in the second group, as in the first', async () => {
    const { user, topic } = await open('Ivy', 'edit me later', 'account');
    const answer = emu.agentSend(agent.id, { chatId: GROUP_B, threadId: topic.message_thread_id, text: 'first version' });
    await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'first version'), { what: 'the answer' });
    emu.agentEdit(agent.id, answer.message_id, { text: 'second version' }, GROUP_B);
    const edited = await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'second version'), { what: 'the edited answer' });
    expect(edited.edit_date).toBeDefined();
    emu.agentSend(agent.id, { chatId: GROUP_B, threadId: topic.message_thread_id, text: '/close' });
    await emu.waitFor(() => emu.topics().find((t) => t.chat_id === GROUP_B && t.message_thread_id === topic.message_thread_id && t.closed), { what: 'the closed topic' });
    const [row] = await desk.sql<{ status: string; closed_by: string }>(`SELECT status, closed_by FROM tickets WHERE group_id = $1 AND thread_id = $2`, [GROUP_B, topic.message_thread_id]);
    expect(row).toEqual({ status: 'closed', closed_by: 'agent' });
  }, 60_000);

  it('recreates a deleted topic of the second group in the second group', async () => {
    const { user, topic } = await open('Fay', 'lost topic', 'account');
    expect(topic.chat_id).toBe(GROUP_B);
    emu.adminDeleteTopic(topic.message_thread_id, GROUP_B);
    emu.userSendText(user.id, 'are you there?');
    const again = await emu.waitFor(
      () => emu.topics().find((t) => !t.deleted && t.name.endsWith(' · lost topic') && t.message_thread_id !== topic.message_thread_id),
      { what: 'the recreated topic' },
    );
    expect(again.chat_id).toBe(GROUP_B);
    await emu.waitFor(() => topicMessages(emu, again.message_thread_id, GROUP_B).find((m) => m.text === 'are you there?'), { what: 'the message in the new topic' });
  }, 60_000);
});

describe('a support group without topics', () => {
  let desk: TestDesk;
  const lines: string[] = [];

  beforeAll(async () => {
    const emu = new BotApiEmulator();
    await emu.start();
    emu.addSupportGroup({ id: NOT_A_FORUM, title: 'Plain group', isForum: false });
    desk = await startDesk({
      emu,
      env: { SUPPORT_CHAT_ID: `${NOT_A_FORUM},${emu.supportChatId}` },
      logs: { write: (line: string) => void lines.push(line) },
    });
    (desk as TestDesk & { ownedEmu: BotApiEmulator }).ownedEmu = emu;
  });
  afterAll(async () => {
    await desk?.close();
    await (desk as TestDesk & { ownedEmu?: BotApiEmulator })?.ownedEmu?.stop();
  });

  it('is reported in one clear line and gets no tickets; the other group works', async () => {
    const { emu } = desk;
    await emu.waitFor(() => lines.find((l) => l.includes(`support group ${NOT_A_FORUM}`) && l.includes('topics are not enabled')), { what: 'the report' });
    for (const name of ['Gus', 'Hal']) {
      const user = emu.createUser({ first_name: name, language_code: 'en' });
      await chooseCategory(emu, user);
      emu.userSendText(user.id, `plain ${name}`);
      await emu.waitFor(() => ackFor(emu, user.id), { what: `the acknowledgement of ${name}` });
    }
    await emu.waitFor(() => (emu.topics().filter((t) => t.name.includes(' · plain ')).length === 2 ? true : undefined), { what: 'both topics' });
    expect(emu.topics().filter((t) => t.name.includes(' · plain ')).map((t) => t.chat_id)).toEqual([emu.supportChatId, emu.supportChatId]);
    expect(lines.filter((l) => l.includes(`support group ${NOT_A_FORUM}`) && l.includes('topics are not enabled'))).toHaveLength(1);
  }, 60_000);
});

describe('AI drafts in the second support group', () => {
  const fake = new FakeOpenAI({ apiKey: 'sk-test-groups' });
  let emu: BotApiEmulator;
  let desk: TestDesk;

  beforeAll(async () => {
    await fake.start();
    emu = new BotApiEmulator();
    await emu.start();
    emu.addSupportGroup({ id: GROUP_B, title: 'Payments desk' });
    desk = await startDesk({
      emu,
      env: {
        SUPPORT_CHAT_ID: `${emu.supportChatId},${GROUP_B}`,
        CATEGORIES_FILE: catalogWithGroup(GROUP_B, 'payments'),
        OPENAI_API_KEY: 'sk-test-groups',
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_TIMEOUT_MS: '5000',
        AI_TITLE_BUDGET_MS: '1500',
        AI_ANSWER_MODE: 'draft',
      },
    });
  });
  afterAll(async () => {
    await desk?.close();
    await emu?.stop();
    await fake.stop();
  });

  it("posts the draft in the ticket's group, and its Send button there delivers it to the customer", async () => {
    const agent = emu.createAgent({ first_name: 'Alice', admin: true });
    const user = emu.createUser({ first_name: 'Pat', language_code: 'en' });
    await chooseCategory(emu, user, { category: 'payments', subcategory: 'refund' });
    emu.userSendText(user.id, 'How long does a refund take to reach my card?');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.chat_id === GROUP_B), { what: 'the topic in group B' });
    const draft = await emu.waitFor(() => emu.topicMessages(topic.message_thread_id, GROUP_B).find((m) => buttons(m).length > 0), {
      what: 'the draft in group B',
      timeoutMs: 10_000,
    });
    expect(emu.topics().filter((t) => t.chat_id === emu.supportChatId)).toEqual([]);
    const [send] = buttons(draft);
    const click = emu.userClick(agent.id, draft.message_id, send, GROUP_B);
    await emu.waitFor(() => botMessages(emu, user.id).find((m) => /Support team/.test(m.text ?? '')), { what: 'the answer' });
    await emu.waitFor(() => emu.callbackAnswer(click), { what: 'the callback answer' });
    expect(emu.callbackAnswer(click)?.text).toBe('Sent to the customer.');
    const marked = await emu.waitFor(
      () => {
        const m = emu.getMessage(GROUP_B, draft.message_id);
        return m && /Sent to the customer by Alice/.test(m.text ?? '') ? m : undefined;
      },
      { what: 'the draft marked as sent in group B' },
    );
    expect(buttons(marked)).toEqual([]);
  }, 60_000);
});
