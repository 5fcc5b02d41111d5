import { Injectable } from '@nestjs/common';
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'telegraf/types';
import { LANGUAGES, Language } from '../config/app-config';
import { I18n } from '../telegram/i18n/i18n.service';
import { CategoryCatalog } from './category-catalog.service';

/** Callback data of the intake buttons (each well under Telegram's 64 bytes). */
export const CALLBACK = {
  language: /^lang:(ru|en)$/,
  category: /^cat:([a-z0-9_-]{1,24})$/,
  subcategory: /^sub:([a-z0-9_-]{1,24}):([a-z0-9_-]{1,24})$/,
  back: /^back:(lang|cat)$/,
};

/** The inline keyboards of the intake dialogue: language, categories, subcategories. */
@Injectable()
export class IntakeKeyboards {
  constructor(
    private readonly i18n: I18n,
    private readonly catalog: CategoryCatalog,
  ) {}

  languages(selected: Language): InlineKeyboardMarkup {
    return {
      inline_keyboard: [
        LANGUAGES.map((language) => ({
          text: `${language === selected ? '✓ ' : ''}${this.i18n.t(language, 'language.name')}`,
          callback_data: `lang:${language}`,
        })),
      ],
    };
  }

  categories(language: Language): InlineKeyboardMarkup {
    const rows: InlineKeyboardButton[][] = this.catalog.categories.map((category) => [
      { text: category.title[language], callback_data: `cat:${category.id}` },
    ]);
    rows.push([{ text: this.i18n.t(language, 'button.back'), callback_data: 'back:lang' }]);
    return { inline_keyboard: rows };
  }

  subcategories(language: Language, categoryId: string): InlineKeyboardMarkup {
    const { category } = this.catalog.find(categoryId);
    const rows: InlineKeyboardButton[][] = (category?.subcategories ?? []).map((sub) => [
      { text: sub.title[language], callback_data: `sub:${categoryId}:${sub.id}` },
    ]);
    rows.push([{ text: this.i18n.t(language, 'button.back'), callback_data: 'back:cat' }]);
    return { inline_keyboard: rows };
  }

  /** Under the "describe your problem" prompt: a way back to the categories. */
  backToCategories(language: Language): InlineKeyboardMarkup {
    return { inline_keyboard: [[{ text: this.i18n.t(language, 'button.back'), callback_data: 'back:cat' }]] };
  }
}
