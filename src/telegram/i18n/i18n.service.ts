import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, LANGUAGES, Language } from '../../config/app-config';
import { escapeHtml } from '../html';
import { CATALOG, MessageKey } from './messages';

/**
 * The text for `key` in `language`, with `{placeholders}` filled by HTML-escaped values. What `I18n.t`
 * says, for the pure formatters (durations) that have no I18n at hand.
 */
export function translate(language: Language, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template = CATALOG[language]?.[key] ?? CATALOG.en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? escapeHtml(String(vars[name])) : whole));
}

@Injectable()
export class I18n {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The text for `key` in `language`, with `{placeholders}` filled by HTML-escaped values. */
  t(language: Language, key: MessageKey, vars: Record<string, string | number> = {}): string {
    return translate(language, key, vars);
  }

  /** The supported language closest to a Telegram `language_code` (`ru`, `en-GB`, ...), else the default. */
  pick(languageCode: string | undefined | null): Language {
    const base = (languageCode ?? '').slice(0, 2).toLowerCase();
    return (LANGUAGES as readonly string[]).includes(base) ? (base as Language) : this.config.defaultLanguage;
  }
}
