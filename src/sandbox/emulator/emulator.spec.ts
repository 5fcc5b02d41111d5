import { Telegraf, TelegramError } from 'telegraf';
import { BotApiEmulator } from './emulator';
import type { TgMessage } from './types';

/** The error telegraf throws for a failed call, so tests can assert code + exact description. */
async function apiError(promise: Promise<unknown>): Promise<{ code: number; description: string; retryAfter?: number }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TelegramError) {
      return { code: err.code, description: err.description, retryAfter: err.parameters?.retry_after };
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('BotApiEmulator over HTTP (telegraf client)', () => {
  let emu: BotApiEmulator;
  let bot: Telegraf;

  beforeEach(async () => {
    emu = new BotApiEmulator({ random: () => 0 });
    await emu.start();
    bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
  });

  afterEach(async () => {
    await emu.stop();
  });

  it('answers getMe with the bot user and rejects wrong tokens and unknown methods', async () => {
    const me = await bot.telegram.getMe();
    expect(me).toEqual({
      id: 6129457865, is_bot: true, first_name: 'Support', username: 'support_bot', can_join_groups: true,
      can_read_all_group_messages: false, supports_inline_queries: false, supports_guest_queries: false,
      can_connect_to_business: false, has_main_web_app: false, has_topics_enabled: false,
      allows_users_to_create_topics: false, can_manage_bots: false,
    });
    const wrong = new Telegraf('1:wrong', { telegram: { apiRoot: emu.apiRoot } });
    expect(await apiError(wrong.telegram.getMe())).toEqual({ code: 401, description: 'Unauthorized' });
    const res = await fetch(`${emu.apiRoot}/bot${emu.token}/noSuchMethod`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found: method not found' });
    // Method names are case-insensitive; GET with a query string works; records use the canonical name.
    const get = await fetch(`${emu.apiRoot}/bot${emu.token}/GETME`);
    expect(((await get.json()) as { result: { id: number } }).result.id).toBe(6129457865);
    expect(emu.callRecords('getMe')).toHaveLength(2);
  });

  it('sends HTML messages to customers and records them in the chat', async () => {
    const ann = emu.createUser({ first_name: 'Ann', username: 'ann' });
    const sent = await bot.telegram.sendMessage(ann.id, '<b>Hi</b> Ann & co > all', {
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Close', callback_data: 'close:1' }]] },
    });
    expect(sent).toMatchObject({
      message_id: 1,
      from: { id: emu.botUser.id, is_bot: true },
      chat: { id: ann.id, first_name: 'Ann', username: 'ann', type: 'private' },
      text: 'Hi Ann & co > all',
      entities: [{ type: 'bold', offset: 0, length: 2 }],
      reply_markup: { inline_keyboard: [[{ text: 'Close', callback_data: 'close:1' }]] },
    });
    expect(emu.chatMessages(ann.id)).toEqual([sent]);
    expect(emu.messageSeq(ann.id, 1)).toBeGreaterThan(0);

    expect(await apiError(bot.telegram.sendMessage(ann.id, '<foo>', { parse_mode: 'HTML' }))).toEqual({
      code: 400,
      description: 'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
    });
    expect(await apiError(bot.telegram.sendMessage(ann.id, ''))).toEqual({ code: 400, description: 'Bad Request: message text is empty' });
    expect(await apiError(bot.telegram.sendMessage(ann.id, 'x'.repeat(4097)))).toEqual({
      code: 400,
      description: 'Bad Request: message is too long',
    });
    expect(await apiError(bot.telegram.sendMessage(424242, 'x'))).toEqual({ code: 400, description: 'Bad Request: chat not found' });
    expect(
      await apiError(bot.telegram.sendMessage(ann.id, 'x', { reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'x'.repeat(65) }]] } })),
    ).toEqual({ code: 400, description: 'Bad Request: BUTTON_DATA_INVALID' });
    expect(await apiError(bot.telegram.sendMessage(ann.id, 'x', { reply_parameters: { message_id: 99 } }))).toEqual({
      code: 400,
      description: 'Bad Request: message to be replied not found',
    });
    const loose = await bot.telegram.sendMessage(ann.id, 'x', { reply_parameters: { message_id: 99, allow_sending_without_reply: true } });
    expect(loose.reply_to_message).toBeUndefined();
    const reply = await bot.telegram.sendMessage(ann.id, 'y', { reply_parameters: { message_id: 1 } });
    expect(reply.reply_to_message?.message_id).toBe(1);

    emu.userBlockBot(ann.id);
    expect(await apiError(bot.telegram.sendMessage(ann.id, 'x'))).toEqual({ code: 403, description: 'Forbidden: bot was blocked by the user' });
    expect(emu.chatMessages(ann.id)).toHaveLength(3);
  });

  it('models forum topics: creation, implicit replies, closing, deleting and their errors', async () => {
    const group = emu.supportChatId;
    const topic = await bot.telegram.createForumTopic(group, '  Ann\n\n #42   ');
    expect(topic).toEqual({ message_thread_id: 2, name: 'Ann #42', icon_color: 0x6fb9f0 });
    const created = emu.getMessage(group, 2);
    expect(created).toMatchObject({
      message_thread_id: 2,
      forum_topic_created: { name: 'Ann #42', icon_color: 0x6fb9f0 },
      is_topic_message: true,
    });
    expect(created?.reply_to_message).toBeUndefined();

    const inTopic = await bot.telegram.sendMessage(group, 'Hello', { message_thread_id: 2 });
    expect(inTopic).toMatchObject({ message_id: 3, message_thread_id: 2, is_topic_message: true, reply_to_message: { message_id: 2 } });

    const agent = emu.createAgent({ first_name: 'Op' });
    const fromAgent = emu.agentSend(agent.id, { threadId: 2, text: 'on it' });
    expect(fromAgent.reply_to_message?.forum_topic_created?.name).toBe('Ann #42');
    expect(emu.topicMessages(2).map((m) => m.text)).toEqual(['Hello', 'on it']);

    expect(await apiError(bot.telegram.createForumTopic(group, ' \n '))).toEqual({ code: 400, description: 'Bad Request: name must be non-empty' });
    expect(await apiError(bot.telegram.createForumTopic(group, 'x', { icon_color: 0x123456 as 0x6fb9f0 }))).toMatchObject({ code: 400 });
    const ann = emu.createUser({ first_name: 'Ann' });
    expect(await apiError(bot.telegram.createForumTopic(ann.id, 'x'))).toEqual({ code: 400, description: 'Bad Request: the chat is not a forum' });
    const long = await bot.telegram.createForumTopic(group, 'n'.repeat(200), { icon_color: 0xfb6f5f });
    expect(long.name).toHaveLength(128);

    expect(await bot.telegram.closeForumTopic(group, 2)).toBe(true);
    expect(await apiError(bot.telegram.closeForumTopic(group, 2))).toEqual({ code: 400, description: 'Bad Request: TOPIC_NOT_MODIFIED' });
    expect(() => emu.agentSend(agent.id, { threadId: 2, text: 'late' })).toThrow('TOPIC_CLOSED');
    // The bot, an admin with can_manage_topics, may still post into the closed topic.
    await bot.telegram.sendMessage(group, 'still here', { message_thread_id: 2 });
    await bot.telegram.reopenForumTopic(group, 2);
    await bot.telegram.editForumTopic(group, 2, { name: 'Ann #42 (VIP)' });
    expect(await apiError(bot.telegram.editForumTopic(group, 2, { name: 'Ann #42 (VIP)' }))).toEqual({
      code: 400,
      description: 'Bad Request: TOPIC_NOT_MODIFIED',
    });
    expect(emu.topicMessages(2).map((m) => Object.keys(m).find((k) => k.startsWith('forum_topic_')) ?? m.text)).toEqual([
      'Hello', 'on it', 'forum_topic_closed', 'still here', 'forum_topic_reopened', 'forum_topic_edited',
    ]);

    emu.adminDeleteTopic(2);
    expect(await apiError(bot.telegram.sendMessage(group, 'gone?', { message_thread_id: 2 }))).toEqual({
      code: 400,
      description: 'Bad Request: message thread not found',
    });
    expect(await apiError(bot.telegram.sendMessage(group, 'General?', { message_thread_id: 1 }))).toEqual({
      code: 400,
      description: 'Bad Request: message thread not found',
    });
    expect(() => emu.agentSend(agent.id, { threadId: 2, text: 'x' })).toThrow('message thread not found');
    expect(emu.topicMessages(2)).toEqual([]);
    expect(emu.topics().find((t) => t.message_thread_id === 2)).toMatchObject({ name: 'Ann #42 (VIP)', deleted: true, closed: false });
    const general = await bot.telegram.sendMessage(group, 'General');
    expect(general.message_thread_id).toBeUndefined();
    expect(general.is_topic_message).toBeUndefined();
  });

  it('honours rights and the botCanPostInClosedTopics switch', async () => {
    await emu.stop();
    emu = new BotApiEmulator({ botRights: { can_delete_messages: false, can_pin_messages: false }, botCanPostInClosedTopics: false });
    await emu.start();
    bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    const group = emu.supportChatId;
    const ann = emu.createUser({ first_name: 'Ann' });
    const { message_thread_id: thread } = await bot.telegram.createForumTopic(group, 'Ann');
    await bot.telegram.closeForumTopic(group, thread);
    expect(await apiError(bot.telegram.sendMessage(group, 'x', { message_thread_id: thread }))).toEqual({
      code: 400,
      description: 'Bad Request: TOPIC_CLOSED',
    });
    const hi = emu.userSendText(ann.id, 'hi');
    expect(await apiError(bot.telegram.copyMessage(group, ann.id, hi.message_id, { message_thread_id: thread }))).toEqual({
      code: 400,
      description: 'Bad Request: TOPIC_CLOSED',
    });
    expect(await apiError(bot.telegram.deleteForumTopic(group, thread))).toEqual({
      code: 400,
      description: 'Bad Request: not enough rights to delete the topic',
    });
    expect(await apiError(bot.telegram.unpinAllForumTopicMessages(group, thread))).toMatchObject({ code: 400 });
    expect(await apiError(bot.telegram.deleteForumTopic(group, 99))).toEqual({
      code: 400,
      description: 'Bad Request: message thread not found',
    });

    await emu.stop();
    emu = new BotApiEmulator({ botRights: { can_manage_topics: false } });
    await emu.start();
    bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    expect(await apiError(bot.telegram.createForumTopic(emu.supportChatId, 'x'))).toEqual({
      code: 400,
      description: 'Bad Request: not enough rights to create a topic',
    });
    expect(emu.topics()).toEqual([]);
  });

  it('copies, forwards and keeps album grouping', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const group = emu.supportChatId;
    const { message_thread_id: thread } = await bot.telegram.createForumTopic(group, 'Ann');
    const text = emu.userSendText(ann.id, 'hello https://example.com');
    const a1 = emu.userSendPhoto(ann.id, { caption: 'two pics', media_group_id: 'g1' });
    const a2 = emu.userSendPhoto(ann.id, { media_group_id: 'g1' });

    const copy = await bot.telegram.copyMessage(group, ann.id, text.message_id, { message_thread_id: thread });
    const copied = emu.getMessage(group, copy.message_id);
    expect(copied).toMatchObject({ text: 'hello https://example.com', entities: [{ type: 'url', offset: 6, length: 19 }], message_thread_id: thread });
    expect(copied?.forward_origin).toBeUndefined();

    const many = await bot.telegram.copyMessages(group, ann.id, [a1.message_id, a2.message_id, 999], { message_thread_id: thread });
    expect(many).toHaveLength(2);
    const [c1, c2] = many.map((m) => emu.getMessage(group, m.message_id));
    expect(c1?.media_group_id).toBeDefined();
    expect(c1?.media_group_id).not.toBe('g1');
    expect(c2?.media_group_id).toBe(c1?.media_group_id);
    expect(c1?.caption).toBe('two pics');

    expect(await apiError(bot.telegram.copyMessages(group, ann.id, [3, 2]))).toEqual({
      code: 400,
      description: 'Bad Request: message identifiers must be in a strictly increasing order',
    });
    expect(await apiError(bot.telegram.copyMessages(group, ann.id, [500, 501]))).toEqual({
      code: 400,
      description: "Bad Request: messages can't be forwarded",
    });
    expect(await apiError(bot.telegram.copyMessage(group, ann.id, 77))).toEqual({ code: 400, description: 'Bad Request: message to copy not found' });
    expect(await apiError(bot.telegram.copyMessage(ann.id, group, thread))).toEqual({
      code: 400,
      description: "Bad Request: the message can't be copied",
    });

    const fwd = await bot.telegram.forwardMessage(group, ann.id, text.message_id, { message_thread_id: thread });
    expect(fwd).toMatchObject({ forward_origin: { type: 'user', sender_user: { id: ann.id } }, text: 'hello https://example.com' });

    const recap = await bot.telegram.copyMessage(group, ann.id, a1.message_id, { caption: '<i>new</i>', parse_mode: 'HTML' });
    expect(emu.getMessage(group, recap.message_id)).toMatchObject({ caption: 'new', caption_entities: [{ type: 'italic', offset: 0, length: 3 }] });
    expect(emu.getMessage(group, recap.message_id)?.media_group_id).toBeUndefined();
  });

  it('stores uploads, serves them through getFile and file download, and resends by file_id', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const bytes = Buffer.from('%PDF-1.4 fake pdf bytes');
    const doc = await bot.telegram.sendDocument(ann.id, { source: bytes, filename: 'invoice.pdf' }, { caption: 'your invoice' });
    expect(doc.document).toMatchObject({ file_name: 'invoice.pdf', mime_type: 'application/pdf', file_size: bytes.length });
    expect(doc.caption).toBe('your invoice');
    const link = await bot.telegram.getFileLink(doc.document.file_id);
    const downloaded = Buffer.from(await (await fetch(link.toString())).arrayBuffer());
    expect(downloaded.equals(bytes)).toBe(true);

    const again = await bot.telegram.sendDocument(emu.supportChatId, doc.document.file_id);
    expect(again.document.file_id).toBe(doc.document.file_id);
    const photo = await bot.telegram.sendPhoto(ann.id, { source: Buffer.from('jpegdata') });
    expect(photo.photo.length).toBeGreaterThan(1);
    expect(await apiError(bot.telegram.sendPhoto(ann.id, 'not-a-file-id'))).toEqual({
      code: 400,
      description: 'Bad Request: wrong file identifier/HTTP URL specified',
    });

    const userDoc = emu.userSendDocument(ann.id, { file_name: 'log.txt', mime_type: 'text/plain' });
    const file = await bot.telegram.getFile(userDoc.document?.file_id as string);
    expect(file.file_path).toMatch(/^documents\/.+\.txt$/);

    const album = await bot.telegram.sendMediaGroup(ann.id, [
      { type: 'photo', media: { source: Buffer.from('p1') }, caption: 'album' },
      { type: 'photo', media: photo.photo[0].file_id },
    ]);
    expect(album).toHaveLength(2);
    expect(album[0].media_group_id).toBeDefined();
    expect(album[1].media_group_id).toBe(album[0].media_group_id);
    // Deliberately invalid (telegraf's types forbid mixing), to check the server-side error.
    const mixed = [
      { type: 'document', media: doc.document.file_id },
      { type: 'photo', media: photo.photo[0].file_id },
    ] as unknown as Parameters<typeof bot.telegram.sendMediaGroup>[1];
    expect(await apiError(bot.telegram.sendMediaGroup(ann.id, mixed))).toEqual({ code: 400, description: "Bad Request: document can't be mixed with other media types" });
    const voice = await bot.telegram.sendVoice(ann.id, { source: Buffer.from('OggS'), filename: 'note.ogg' });
    expect(voice.voice).toMatchObject({ mime_type: 'audio/ogg', file_size: 4 });
    const sticker = await bot.telegram.sendSticker(ann.id, { source: Buffer.from('RIFF') });
    expect(sticker.sticker).toMatchObject({ type: 'regular', width: 512 });
    const recaptioned = await bot.telegram.editMessageCaption(ann.id, doc.message_id, undefined, '<b>paid</b>', { parse_mode: 'HTML' });
    expect(recaptioned).toMatchObject({ caption: 'paid', caption_entities: [{ type: 'bold', offset: 0, length: 4 }] });
    expect(await apiError(bot.telegram.editMessageCaption(ann.id, doc.message_id, undefined, '<b>paid</b>', { parse_mode: 'HTML' }))).toMatchObject({
      description: expect.stringMatching(/^Bad Request: message is not modified/),
    });
    const userVoice = emu.userSend(ann.id, { voice: { duration: 3, mime_type: 'audio/ogg' } as Record<string, unknown> });
    const voiceFile = await bot.telegram.getFile((userVoice.voice as { file_id: string }).file_id);
    expect(voiceFile.file_path).toMatch(/^voice\//);
    expect(emu.userSend(ann.id, { photo: true } as unknown as Partial<TgMessage>).photo?.length).toBe(2);
    // The multipart upload is visible in the call record with decoded JSON fields.
    const rec = emu.callRecords('sendMediaGroup')[0];
    expect(Array.isArray(rec.params.media)).toBe(true);
  });

  it('edits messages with Telegram\'s errors and deletes them', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const m = await bot.telegram.sendMessage(ann.id, 'Choose', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } });
    const edited = await bot.telegram.editMessageText(ann.id, m.message_id, undefined, 'Chosen');
    expect(edited).toMatchObject({ text: 'Chosen' });
    expect((edited as { edit_date?: number }).edit_date).toBeGreaterThan(0);
    expect(emu.getMessage(ann.id, m.message_id)?.reply_markup).toBeUndefined();
    expect(await apiError(bot.telegram.editMessageText(ann.id, m.message_id, undefined, 'Chosen'))).toEqual({
      code: 400,
      description:
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    });
    expect(await apiError(bot.telegram.editMessageText(ann.id, 99, undefined, 'x'))).toEqual({
      code: 400,
      description: 'Bad Request: message to edit not found',
    });
    await bot.telegram.editMessageReplyMarkup(ann.id, m.message_id, undefined, { inline_keyboard: [[{ text: 'B', callback_data: 'b' }]] });
    expect(emu.getMessage(ann.id, m.message_id)?.reply_markup?.inline_keyboard[0][0].callback_data).toBe('b');
    const userMsg = emu.userSendText(ann.id, 'mine');
    expect(await apiError(bot.telegram.editMessageText(ann.id, userMsg.message_id, undefined, 'x'))).toEqual({
      code: 400,
      description: "Bad Request: message can't be edited",
    });
    expect(await bot.telegram.deleteMessage(ann.id, m.message_id)).toBe(true);
    expect(emu.getMessage(ann.id, m.message_id)).toBeUndefined();
    expect(await apiError(bot.telegram.deleteMessage(ann.id, m.message_id))).toEqual({
      code: 400,
      description: 'Bad Request: message to delete not found',
    });
  });

  it('answers callback queries once', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const m = await bot.telegram.sendMessage(ann.id, 'Pick', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } });
    expect(() => emu.userClick(ann.id, m.message_id, 'zzz')).toThrow(/no button/);
    const id = emu.userClick(ann.id, m.message_id, 'a');
    const [update] = await bot.telegram.getUpdates(0, 100, 0, undefined);
    expect(update).toMatchObject({ callback_query: { id, data: 'a', from: { id: ann.id }, message: { message_id: m.message_id } } });
    expect(await bot.telegram.answerCbQuery(id, 'Done')).toBe(true);
    expect(emu.callbackAnswer(id)).toMatchObject({ text: 'Done' });
    expect(await apiError(bot.telegram.answerCbQuery(id))).toEqual({
      code: 400,
      description: 'Bad Request: query is too old and response timeout expired or query ID is invalid',
    });
  });

  it('handles chat info, members, commands, actions and reactions', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const agent = emu.createAgent({ first_name: 'Op' });
    const boss = emu.createAgent({ first_name: 'Boss', admin: true });
    expect(await bot.telegram.getChat(emu.supportChatId)).toMatchObject({ id: emu.supportChatId, type: 'supergroup', is_forum: true, title: 'Support' });
    expect((await bot.telegram.getChatMember(emu.supportChatId, emu.botUser.id)) as unknown).toMatchObject({
      status: 'administrator',
      can_manage_topics: true,
    });
    expect((await bot.telegram.getChatMember(emu.supportChatId, agent.id)).status).toBe('member');
    expect((await bot.telegram.getChatMember(emu.supportChatId, boss.id)).status).toBe('administrator');
    expect((await bot.telegram.getChatMember(emu.supportChatId, ann.id)).status).toBe('left');
    expect((await bot.telegram.getChatAdministrators(emu.supportChatId)).map((m) => m.user.id)).toEqual([emu.botUser.id, boss.id]);
    await bot.telegram.setMyCommands([{ command: 'start', description: 'Start' }]);
    expect(await bot.telegram.getMyCommands()).toEqual([{ command: 'start', description: 'Start' }]);
    expect(await apiError(bot.telegram.setMyCommands([{ command: 'Bad Command', description: 'x' }]))).toEqual({
      code: 400,
      description: 'Bad Request: BOT_COMMAND_INVALID',
    });
    expect(await bot.telegram.setChatMenuButton({ menuButton: { type: 'commands' } })).toBe(true);
    expect(await bot.telegram.sendChatAction(ann.id, 'typing')).toBe(true);
    const msg = emu.userSendText(ann.id, 'hi');
    expect(await bot.telegram.setMessageReaction(ann.id, msg.message_id, [{ type: 'emoji', emoji: '👍' }])).toBe(true);
    expect(emu.messageReactions(ann.id, msg.message_id)).toEqual([{ type: 'emoji', emoji: '👍' }]);
    expect((await bot.telegram.getForumTopicIconStickers()).map((s) => s.emoji)).toEqual(expect.arrayContaining(['❗️', '💬', '✅']));
  });

  it('accepts urlencoded and multipart bodies with JSON-string parameters', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const body = new URLSearchParams({
      chat_id: String(ann.id),
      text: 'form',
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] }),
    });
    const res = await fetch(`${emu.apiRoot}/bot${emu.token}/sendMessage`, { method: 'POST', body });
    const json = (await res.json()) as { ok: boolean; result: { reply_markup: unknown } };
    expect(json.ok).toBe(true);
    expect(json.result.reply_markup).toEqual({ inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] });
    expect(emu.callRecords('sendMessage')[0].params).toEqual({
      chat_id: ann.id,
      text: 'form',
      reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] },
    });
    const form = new FormData();
    form.set('chat_id', String(emu.supportChatId));
    form.set('document', new Blob([Buffer.from('abc')]), 'a.txt');
    const up = await fetch(`${emu.apiRoot}/bot${emu.token}/sendDocument`, { method: 'POST', body: form });
    expect(((await up.json()) as { result: { document: { file_name: string; file_size: number } } }).result.document).toMatchObject({
      file_name: 'a.txt',
      file_size: 3,
    });
  });
});
