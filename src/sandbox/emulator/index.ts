/**
 * In-process Telegram Bot API emulator. Typical use in a test:
 *
 *   const emu = new BotApiEmulator();
 *   await emu.start();                       // ephemeral port on 127.0.0.1
 *   const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
 *   const ann = emu.createUser({ first_name: 'Ann' });
 *   emu.userSendText(ann.id, '/start');      // queued as an update for getUpdates / the webhook
 *   await emu.waitFor(() => emu.chatMessages(ann.id).find((m) => m.from?.is_bot), { what: 'a reply' });
 *   await emu.stop();
 */
export { BotApiEmulator } from './emulator';
export { ApiError } from './errors';
export { parseHtml, HtmlParseError } from './html-parser';
export { formatText, detectEntities } from './text-format';
export { RateLimiter } from './rate-limiter';
export { TOPIC_COLORS } from './state';
export type {
  BotGroupStatus,
  BotRights,
  CallRecord,
  CallbackQuery,
  ChatMemberUpdated,
  EmulatorOptions,
  Fault,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  LimitOptions,
  MessageEntity,
  MessageOrigin,
  PhotoSize,
  TgChat,
  TgFile,
  TgMessage,
  TgUser,
  TopicInfo,
  Update,
} from './types';
