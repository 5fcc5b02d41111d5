import { badRequest } from '../errors';
import { botCan } from '../membership';
import { Params } from '../params';
import type { ChatRecord, StoredMessage, TopicRecord } from '../state';
import { formatText } from '../text-format';
import type { InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, TgMessage } from '../types';
import type { MethodContext } from './context';
import { resolveUser, topicOf } from './lookup';

const BUTTON_ACTIONS = [
  'url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay',
];

const botMayPostInClosed = (ctx: MethodContext, topic: TopicRecord): boolean =>
  ctx.botCanPostInClosedTopics && (botCan(ctx.world, 'can_manage_topics') || topic.creatorId === ctx.world.botUser.id);

/** The topic a send goes to (undefined = General / not a forum), with Telegram's checks. */
export function threadFor(ctx: MethodContext, rec: ChatRecord, p: Params, reply?: StoredMessage, checkClosed = true): number | undefined {
  if (!rec.chat.is_forum) return undefined;
  let tid = p.int('message_thread_id') ?? 0;
  if (tid < 0) tid = 0;
  // Replying without message_thread_id places the reply in the replied message's topic.
  if (tid === 0 && reply?.message.is_topic_message) tid = reply.message.message_thread_id ?? 0;
  if (tid === 0) return undefined;
  const topic = topicOf(ctx, rec.chat.id, tid);
  if (checkClosed && topic.closed && !botMayPostInClosed(ctx, topic)) throw badRequest('TOPIC_CLOSED');
  return tid;
}

export function replyFor({ world }: MethodContext, rec: ChatRecord, p: Params): StoredMessage | undefined {
  let messageId: number | undefined;
  let allowWithout = p.bool('allow_sending_without_reply');
  if (p.has('reply_parameters')) {
    const rp = p.json('reply_parameters');
    if (typeof rp !== 'object' || rp === null) throw badRequest("can't parse reply parameters JSON object");
    const r = new Params(rp as Record<string, unknown>);
    messageId = r.int('message_id');
    if (r.has('allow_sending_without_reply')) allowWithout = r.bool('allow_sending_without_reply');
    // Replies into another chat (external_reply) are not modelled: such a target counts as missing,
    // and allow_sending_without_reply is "always False for replies in another chat".
    if (r.has('chat_id') && r.int('chat_id') !== rec.chat.id) {
      if (messageId) throw badRequest('message to be replied not found');
    }
  } else {
    messageId = p.int('reply_to_message_id');
  }
  if (!messageId) return undefined;
  const target = world.getStored(rec.chat.id, messageId);
  if (!target) {
    if (allowWithout) return undefined;
    throw badRequest('message to be replied not found');
  }
  return target;
}

export function markupOf(p: Params): InlineKeyboardMarkup | undefined {
  if (!p.has('reply_markup')) return undefined;
  const value = p.json('reply_markup');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  const markup = value as Record<string, unknown>;
  if (markup.inline_keyboard === undefined) {
    if (markup.keyboard !== undefined || markup.remove_keyboard !== undefined || markup.force_reply !== undefined) {
      return undefined; // accepted, but reply keyboards never appear on the Message
    }
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  const clean: InlineKeyboardButton[][] = [];
  for (const row of rows as unknown[][]) {
    const out: InlineKeyboardButton[] = [];
    for (const b of row) {
      if (typeof b !== 'object' || b === null) throw badRequest("can't parse inline keyboard button: Object expected");
      const button = b as Record<string, unknown>;
      if (typeof button.text !== 'string') {
        throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
      }
      if (button.callback_data !== undefined) {
        const data = button.callback_data;
        if (typeof data !== 'string' || Buffer.byteLength(data, 'utf8') < 1 || Buffer.byteLength(data, 'utf8') > 64) {
          throw badRequest('BUTTON_DATA_INVALID');
        }
      } else if (button.url !== undefined) {
        if (typeof button.url !== 'string' || !/^(https?|tg):\/\/\S+$/i.test(button.url)) throw badRequest('BUTTON_URL_INVALID');
      } else if (!BUTTON_ACTIONS.some((k) => button[k] !== undefined)) {
        throw badRequest('can\'t parse inline keyboard button: Text buttons are unallowed in the inline keyboard');
      }
      out.push(structuredClone(button) as InlineKeyboardButton);
    }
    clean.push(out);
  }
  return { inline_keyboard: clean };
}

/** Stores a bot message with Telegram's reply/thread/markup handling; returns the message. */
export function sendFromBot(
  ctx: MethodContext,
  rec: ChatRecord,
  p: Params,
  content: Partial<TgMessage>,
  extra: { markup?: boolean; mediaGroupId?: string; reply?: StoredMessage | null; thread?: number | null } = {},
): TgMessage {
  const reply = extra.reply === undefined ? replyFor(ctx, rec, p) : (extra.reply ?? undefined);
  const thread = extra.thread === undefined ? threadFor(ctx, rec, p, reply) : (extra.thread ?? undefined);
  const markup = extra.markup === false ? undefined : markupOf(p);
  return ctx.world.storeMessage(rec.chat.id, {
    from: ctx.world.botShort(),
    content,
    threadId: thread,
    replyToId: reply?.message.message_id,
    replyMarkup: markup,
    protect: p.bool('protect_content'),
    mediaGroupId: extra.mediaGroupId,
  });
}

export function formatCaption(ctx: MethodContext, p: Params, keyPrefix = ''): Partial<TgMessage> {
  const raw = p.str(`${keyPrefix}caption`);
  if (raw === undefined) return {};
  const { text, entities } = formatText(raw, p.raw.parse_mode, p.json('caption_entities'), {
    kind: 'caption',
    resolveUser: (id) => resolveUser(ctx, id),
  });
  const out: Partial<TgMessage> = {};
  if (text) out.caption = text;
  if (entities.length) out.caption_entities = entities;
  return out;
}

/** Formats a `text` field (sendMessage, editMessageText) by its parse_mode or entities. */
export function formatMessageText(ctx: MethodContext, p: Params): { text: string; entities: MessageEntity[] } {
  return formatText(p.str('text') ?? '', p.raw.parse_mode, p.json('entities'), { kind: 'text', resolveUser: (id) => resolveUser(ctx, id) });
}

export const textContent = (text: string, entities: MessageEntity[]): Partial<TgMessage> =>
  entities.length ? { text, entities } : { text };

export const newMediaGroupId = (ctx: MethodContext): string =>
  String(13_000_000_000_000_000n + BigInt(Math.floor(ctx.random() * 1e15)));
