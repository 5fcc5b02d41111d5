import type { Language } from '../../config/app-config';
import { en, MessageKey } from './messages.en';
import { ru } from './messages.ru';

export type { MessageKey } from './messages.en';

/**
 * Every text the bot composes, in every language, in one catalog (a file per language beside this
 * one). Texts are Telegram HTML; `{name}` placeholders are filled by `I18n.t`, which escapes the values.
 */
export const CATALOG: Record<Language, Record<MessageKey, string>> = { en, ru };
