import { Telegraf, TelegramError } from 'telegraf';
import { BotApiEmulator } from './emulator';
import type { ChatMemberUpdated, Update } from './types';

/** The error telegraf throws for a failed call, so tests can assert code + exact description. */
async function apiError(promise: Promise<unknown>): Promise<{ code: number; description: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TelegramError) return { code: err.code, description: err.description };
    throw err;
  }
  throw new Error('expected the call to fail');
}

const NOT_MEMBER = { code: 403, description: 'Forbidden: bot is not a member of the supergroup chat' };
const KICKED = { code: 403, description: 'Forbidden: bot was kicked from the supergroup chat' };

describe("the bot's membership in the support group", () => {
  let emu: BotApiEmulator;
  let bot: Telegraf;
  let group: number;

  const memberUpdates = (): ChatMemberUpdated[] =>
    emu.pendingUpdates().flatMap((u: Update) => (u.my_chat_member ? [u.my_chat_member] : []));
  const groupMessages = (): string[] =>
    emu.pendingUpdates().flatMap((u) => (u.message?.chat.id === group && u.message.text ? [u.message.text] : []));

  beforeEach(async () => {
    emu = new BotApiEmulator({ random: () => 0 });
    await emu.start();
    bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    group = emu.supportChatId;
  });

  afterEach(() => emu.stop());

  it('a removed bot gets 403 for everything about the group and one my_chat_member "left"', async () => {
    const boss = emu.createAgent({ first_name: 'Boss', admin: true });
    const ann = emu.createUser({ first_name: 'Ann' });
    const { message_thread_id: thread } = await bot.telegram.createForumTopic(group, 'Ann');
    const inGroup = await bot.telegram.sendMessage(group, 'hello', { message_thread_id: thread });
    expect(emu.botGroupStatus).toBe('administrator');

    emu.removeBotFromGroup();
    expect(emu.botGroupStatus).toBe('left');
    const updates = memberUpdates();
    expect(updates).toHaveLength(1);
    expect(updates[0]).toEqual({
      chat: { id: group, title: 'Support', is_forum: true, type: 'supergroup' },
      from: { id: boss.id, is_bot: false, first_name: 'Boss' },
      date: expect.any(Number),
      old_chat_member: expect.objectContaining({ user: emu.botUser, status: 'administrator', can_manage_topics: true }),
      new_chat_member: { user: emu.botUser, status: 'left' },
    });

    expect(await apiError(bot.telegram.sendMessage(group, 'x', { message_thread_id: thread }))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.createForumTopic(group, 'Bob'))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.closeForumTopic(group, thread))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.editMessageText(group, inGroup.message_id, undefined, 'y'))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.deleteMessage(group, inGroup.message_id))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.getChat(group))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.getChatMember(group, emu.botUser.id))).toEqual(NOT_MEMBER);
    const hi = emu.userSendText(ann.id, 'hi');
    expect(await apiError(bot.telegram.copyMessage(group, ann.id, hi.message_id, { message_thread_id: thread }))).toEqual(NOT_MEMBER);
    // The group cannot be read either: copying out of it fails the same way.
    expect(await apiError(bot.telegram.copyMessage(ann.id, group, inGroup.message_id))).toEqual(NOT_MEMBER);
    expect(await apiError(bot.telegram.forwardMessages(ann.id, group, [inGroup.message_id]))).toEqual(NOT_MEMBER);
    // Customers are unaffected.
    expect((await bot.telegram.sendMessage(ann.id, 'still here')).text).toBe('still here');

    emu.removeBotFromGroup();
    expect(memberUpdates()).toHaveLength(1);
  });

  it('a banned bot gets the kicked text; my_chat_member carries ChatMemberBanned and the acting admin', async () => {
    const mod = { id: 555, is_bot: false, first_name: 'Mod' };
    emu.removeBotFromGroup({ banned: true, by: mod });
    expect(emu.botGroupStatus).toBe('kicked');
    expect(memberUpdates()).toEqual([
      expect.objectContaining({ from: mod, new_chat_member: { user: emu.botUser, status: 'kicked', until_date: 0 } }),
    ]);
    expect(await apiError(bot.telegram.sendMessage(group, 'x'))).toEqual(KICKED);
    expect(await apiError(bot.telegram.getChatAdministrators(group))).toEqual(KICKED);
  });

  it('a demoted bot may write into open topics but not manage topics or delete others\' messages', async () => {
    const op = emu.createAgent({ first_name: 'Op' });
    const { message_thread_id: thread } = await bot.telegram.createForumTopic(group, 'Ann');
    emu.demoteBot();
    expect(emu.botGroupStatus).toBe('member');
    const [update] = memberUpdates();
    expect(update.old_chat_member.status).toBe('administrator');
    expect(update.new_chat_member).toEqual({ user: emu.botUser, status: 'member' });
    // No admin agent exists, so the group's owner did it.
    expect(update.from).toMatchObject({ is_bot: false, first_name: 'Owner' });

    expect(await apiError(bot.telegram.createForumTopic(group, 'Bob'))).toEqual({
      code: 400,
      description: 'Bad Request: not enough rights to create a topic',
    });
    expect(await apiError(bot.telegram.deleteForumTopic(group, thread))).toEqual({
      code: 400,
      description: 'Bad Request: not enough rights to delete the topic',
    });
    const sent = await bot.telegram.sendMessage(group, 'a member may write', { message_thread_id: thread });
    expect(sent).toMatchObject({ message_thread_id: thread, is_topic_message: true });
    const theirs = emu.agentSend(op.id, { threadId: thread, text: 'agent here' });
    expect(await apiError(bot.telegram.deleteMessage(group, theirs.message_id))).toEqual({
      code: 400,
      description: "Bad Request: message can't be deleted",
    });
    expect(await bot.telegram.deleteMessage(group, sent.message_id)).toBe(true);
    expect(((await bot.telegram.getChatMember(group, emu.botUser.id)) as unknown)).toEqual({ user: emu.botUser, status: 'member' });
    expect(await bot.telegram.getChatAdministrators(group)).toEqual([]);
    expect((await bot.telegram.getChat(group)).id).toBe(group);
    // A member bot (privacy mode as today) still receives the group's messages.
    expect(groupMessages()).toContain('agent here');
  });

  it('restoring the bot as admin makes everything work again and says so with my_chat_member', async () => {
    const { message_thread_id: thread } = await bot.telegram.createForumTopic(group, 'Ann');
    emu.removeBotFromGroup();
    emu.restoreBotAsAdmin();
    expect(emu.botGroupStatus).toBe('administrator');
    const [, restored] = memberUpdates();
    expect(restored.old_chat_member).toEqual({ user: emu.botUser, status: 'left' });
    expect(restored.new_chat_member).toMatchObject({
      user: emu.botUser, status: 'administrator', can_manage_topics: true, can_delete_messages: true, can_pin_messages: true,
    });
    expect((await bot.telegram.sendMessage(group, 'back', { message_thread_id: thread })).text).toBe('back');
    expect((await bot.telegram.createForumTopic(group, 'Bob')).name).toBe('Bob');

    emu.demoteBot();
    emu.restoreBotAsAdmin({ can_delete_messages: false });
    expect(memberUpdates()[3].new_chat_member).toMatchObject({ status: 'administrator', can_delete_messages: false, can_manage_topics: true });
    expect(await apiError(bot.telegram.deleteForumTopic(group, thread))).toMatchObject({ code: 400 });
    expect((await bot.telegram.createForumTopic(group, 'Cy')).name).toBe('Cy');
  });

  it('setBotRights changes single rights of an administrator', async () => {
    emu.setBotRights({ can_manage_topics: false });
    const [change] = memberUpdates();
    expect(change.old_chat_member).toMatchObject({ status: 'administrator', can_manage_topics: true });
    expect(change.new_chat_member).toMatchObject({ status: 'administrator', can_manage_topics: false });
    expect(await apiError(bot.telegram.createForumTopic(group, 'x'))).toEqual({
      code: 400,
      description: 'Bad Request: not enough rights to create a topic',
    });
    emu.setBotRights({ can_manage_topics: false });
    expect(memberUpdates()).toHaveLength(1);
    emu.setBotRights({ can_manage_topics: true });
    expect((await bot.telegram.createForumTopic(group, 'x')).name).toBe('x');
    emu.demoteBot();
    expect(() => emu.setBotRights({ can_pin_messages: false })).toThrow(/not an administrator/);
  });

  it('agents\' messages written while the bot is out never reach it, not even after it is re-added', async () => {
    const op = emu.createAgent({ first_name: 'Op' });
    const { message_thread_id: thread } = await bot.telegram.createForumTopic(group, 'Ann');
    emu.agentSend(op.id, { threadId: thread, text: 'before' });
    emu.removeBotFromGroup();
    const during = emu.agentSend(op.id, { threadId: thread, text: 'while away' });
    emu.agentEdit(op.id, during.message_id, { text: 'while away (edited)' });
    emu.adminCloseTopic(thread);
    // The message is in the group all the same.
    expect(emu.topicMessages(thread).map((m) => m.text)).toContain('while away (edited)');
    emu.restoreBotAsAdmin();
    emu.adminReopenTopic(thread);
    emu.agentSend(op.id, { threadId: thread, text: 'after' });
    expect(groupMessages()).toEqual(['before', 'after']);
    const kinds = emu.pendingUpdates().map((u) => Object.keys(u).find((k) => k !== 'update_id'));
    expect(kinds).not.toContain('edited_message');
    expect(emu.pendingUpdates().filter((u) => u.message?.forum_topic_closed)).toEqual([]);
    expect(emu.pendingUpdates().filter((u) => u.message?.forum_topic_reopened)).toHaveLength(1);
  });

  it('sends no my_chat_member when allowed_updates leave it out', async () => {
    await bot.telegram.getUpdates(0, 100, 0, ['message']);
    emu.removeBotFromGroup();
    emu.restoreBotAsAdmin();
    expect(memberUpdates()).toEqual([]);
    expect(emu.botGroupStatus).toBe('administrator');
  });
});
