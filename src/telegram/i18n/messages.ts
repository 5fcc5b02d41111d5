import type { Language } from '../../config/app-config';

/**
 * Every text the bot composes, in every language, in one place. Texts are Telegram HTML; `{name}`
 * placeholders are filled by `I18n.t`, which escapes the values.
 */
const en = {
  'language.name': 'English',
  'command.start': 'Contact support',
  'start.greeting': 'Hello, {name}! This is the support service.\nPlease choose your language:',
  'start.openTicket': 'You already have an open request <b>#{ticket}</b>. Just write here: everything you send goes to the support team.',
  'category.choose': 'What is your question about? Choose a topic:',
  'category.chooseSub': '<b>{category}</b>\nPlease specify:',
  'category.describe':
    '<b>{category}</b>\nDescribe your problem in one or more messages. You can attach photos, documents, voice messages or videos.',
  'category.chooseFirst': 'To open a request, please choose a topic first — your message is saved and will be sent with it.',
  'category.unknown': 'This topic is no longer available. Please choose again.',
  'button.back': '« Back',
  'ticket.ack': 'Thank you for your request, our support team will review it in order of the queue.\nRequest number: <b>#{ticket}</b>',
  'error.generic': 'Sorry, something went wrong on our side. Please try again in a minute.',
  'card.title': '🎫 Ticket #{ticket}',
  'card.customer': 'Customer',
  'card.language': 'Language',
  'card.category': 'Category',
  'card.noUsername': 'no username',
} as const;

export type MessageKey = keyof typeof en;

const ru: Record<MessageKey, string> = {
  'language.name': 'Русский',
  'command.start': 'Написать в поддержку',
  'start.greeting': 'Здравствуйте, {name}! Это служба поддержки.\nВыберите язык:',
  'start.openTicket': 'У вас уже есть открытое обращение <b>#{ticket}</b>. Просто пишите сюда — всё, что вы отправите, получит команда поддержки.',
  'category.choose': 'С чем связан ваш вопрос? Выберите тему:',
  'category.chooseSub': '<b>{category}</b>\nУточните, пожалуйста:',
  'category.describe':
    '<b>{category}</b>\nОпишите проблему одним или несколькими сообщениями. Можно приложить фото, документы, голосовые сообщения или видео.',
  'category.chooseFirst': 'Чтобы открыть обращение, сначала выберите тему — ваше сообщение сохранено и будет отправлено вместе с ним.',
  'category.unknown': 'Эта тема больше недоступна. Пожалуйста, выберите снова.',
  'button.back': '« Назад',
  'ticket.ack': 'Спасибо за ваше обращение, наша команда поддержки рассмотрит его в порядке очереди.\nНомер обращения: <b>#{ticket}</b>',
  'error.generic': 'Извините, у нас что-то пошло не так. Попробуйте ещё раз через минуту.',
  'card.title': '🎫 Обращение #{ticket}',
  'card.customer': 'Клиент',
  'card.language': 'Язык',
  'card.category': 'Тема',
  'card.noUsername': 'без username',
};

export const CATALOG: Record<Language, Record<MessageKey, string>> = { en, ru };
