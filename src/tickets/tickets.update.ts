import { Action, Ctx, Next, On, Start, Update } from 'nestjs-telegraf';
import type { Context } from 'telegraf';
import type { CallbackQuery, InlineKeyboardMarkup } from 'telegraf/types';
import { Language } from '../config/app-config';
import { escapeHtml } from '../telegram/html';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { stars } from './rating';
import { LOW_RATING } from './repositories/ticket.repository';
import { BanScreen } from './ban-screen.service';
import { CategoryCatalog } from './category-catalog.service';
import { ConversationService } from './conversation.service';
import { Customer } from './customer.entity';
import { toIncoming } from './incoming-message';
import { CALLBACK, IntakeKeyboards } from './intake-keyboards';
import { MAX_DRAFT, ReceiveResult, TicketsService } from './tickets.service';

type NextFn = () => Promise<void>;
type ActionContext = Context & { match: RegExpExecArray };

const START = /^\/start(@\w+)?(\s|$)/;
const CLOSE = /^\/close(@\w+)?\s*$/i;

/**
 * The customer's private chat: /start, language and category buttons, and the messages that open and
 * feed tickets. Each handler does one short transaction and at most one or two sends, then returns.
 */
@Update()
export class TicketsUpdate {
  constructor(
    private readonly tickets: TicketsService,
    private readonly conversation: ConversationService,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly keyboards: IntakeKeyboards,
    private readonly catalog: CategoryCatalog,
    private readonly bans: BanScreen,
  ) {}

  @Start()
  async onStart(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    if (ctx.chat?.type !== 'private' || !ctx.from) return next();
    if (await this.screened(ctx)) return;
    const result = await this.tickets.start(ctx.update.update_id, ctx.from);
    if (result.outcome === 'duplicate' || !result.greet) return;
    const { customer, openTicket } = result;
    if (openTicket) {
      await this.send(customer.id, this.i18n.t(customer.language, 'start.openTicket', { ticket: openTicket.id }));
      return;
    }
    await this.send(customer.id, this.greeting(customer), this.keyboards.languages(customer.language));
  }

  @Action(CALLBACK.language)
  async onLanguage(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    const language = ctx.match[1] as Language;
    const result = await this.tickets.chooseLanguage(ctx.update.update_id, ctx.from!, language);
    await this.answer(ctx);
    if (result.outcome === 'duplicate') return;
    await this.show(ctx, this.i18n.t(language, 'category.choose'), this.keyboards.categories(language));
  }

  @Action(CALLBACK.category)
  async onCategory(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    const { category } = this.catalog.find(ctx.match[1]);
    if (category?.subcategories) {
      const result = await this.tickets.moveTo(ctx.update.update_id, ctx.from!, 'category');
      await this.answer(ctx);
      if (result.outcome === 'duplicate') return;
      const language = result.customer.language;
      await this.show(ctx, this.i18n.t(language, 'category.chooseSub', { category: category.title[language] }), this.keyboards.subcategories(language, category.id));
      return;
    }
    await this.choose(ctx, ctx.match[1], null);
  }

  @Action(CALLBACK.subcategory)
  async onSubcategory(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    await this.choose(ctx, ctx.match[1], ctx.match[2]);
  }

  @Action(CALLBACK.back)
  async onBack(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    const to = ctx.match[1] === 'lang' ? 'language' : 'category';
    const result = await this.tickets.moveTo(ctx.update.update_id, ctx.from!, to);
    await this.answer(ctx);
    if (result.outcome === 'duplicate') return;
    const { customer } = result;
    if (to === 'language') await this.show(ctx, this.greeting(customer), this.keyboards.languages(customer.language));
    else await this.show(ctx, this.i18n.t(customer.language, 'category.choose'), this.keyboards.categories(customer.language));
  }

  @On('message')
  async onMessage(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const message = ctx.message;
    if (ctx.chat?.type !== 'private' || !message || ('text' in message && START.test(message.text))) return next();
    if (await this.screened(ctx)) return;
    if ('text' in message && CLOSE.test(message.text)) return this.closeByCustomer(ctx);
    const incoming = toIncoming(ctx.update.update_id, message);
    if (!incoming) return;
    const result = await this.tickets.receive(incoming);
    if (result.outcome === 'appended' && result.slowDown) {
      await this.send(result.customer.id, this.i18n.t(result.customer.language, 'flood.slowDown'));
      return;
    }
    if (result.outcome === 'commented') {
      await this.send(result.customer.id, this.i18n.t(result.customer.language, 'rating.commentThanks'));
      return;
    }
    if (result.outcome === 'limited') {
      if (result.draftFull) await this.send(result.customer.id, this.i18n.t(result.customer.language, 'draft.full', { max: MAX_DRAFT }));
      if (result.tell) await this.send(result.customer.id, this.i18n.t(result.customer.language, 'limit.tickets', { max: result.max }));
      return;
    }
    if (result.outcome === 'needs-category') {
      const { customer } = result;
      if (result.draftFull) await this.send(customer.id, this.i18n.t(customer.language, 'draft.full', { max: MAX_DRAFT }));
      if (!result.prompt) return;
      await this.send(
        customer.id,
        this.i18n.t(customer.language, 'category.chooseFirst') + '\n\n' + this.i18n.t(customer.language, 'category.choose'),
        this.keyboards.categories(customer.language),
      );
    }
  }

  /** The "Close request" button under the acknowledgement. */
  @Action(/^close:(\d+)$/)
  async onCloseButton(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    await this.closeByCustomer(ctx, Number(ctx.match[1]));
  }

  /** A rating button under the question after a close. */
  @Action(/^rate:(\d+):([1-5])$/)
  async onRate(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    const from = ctx.from!;
    const ticketId = Number(ctx.match[1]);
    const rating = Number(ctx.match[2]);
    const result = await this.conversation.rate(ctx.update.update_id, from.id, ticketId, rating);
    if (result.outcome === 'duplicate') return;
    const language = (await this.tickets.findCustomer(from.id))?.language ?? this.i18n.pick(from.language_code);
    await this.gateway.answerCallbackQuery(ctx.callbackQuery!.id, this.i18n.t(language, result.outcome === 'rated' ? 'rating.thanks' : 'rating.already'));
    const message = ctx.callbackQuery?.message;
    if (result.outcome === 'rated' && message && message.date !== 0) {
      await this.gateway
        .editMessageText(
          message.chat.id,
          message.message_id,
          this.i18n.t(language, rating <= LOW_RATING ? 'rating.doneLow' : 'rating.done', { ticket: ticketId, stars: stars(rating) }),
          { reply_markup: { inline_keyboard: [] } },
          { lane: 'customer' },
        )
        .catch(() => undefined);
    }
  }

  /** "I still need help" under the auto-close warning. */
  @Action(/^keep:(\d+)$/)
  async onKeepButton(@Ctx() ctx: ActionContext): Promise<void> {
    if (await this.screened(ctx)) return;
    const from = ctx.from!;
    const result = await this.conversation.keepOpen(ctx.update.update_id, from.id, Number(ctx.match[1]));
    if (result.outcome === 'duplicate') return;
    const language = (await this.tickets.findCustomer(from.id))?.language ?? this.i18n.pick(from.language_code);
    await this.gateway.answerCallbackQuery(ctx.callbackQuery!.id, this.i18n.t(language, result.outcome === 'none' ? 'close.alreadyClosed' : 'close.kept'));
    const message = ctx.callbackQuery?.message;
    if (message && message.date !== 0) {
      await this.gateway
        .call('editMessageReplyMarkup', { chat_id: message.chat.id, message_id: message.message_id, reply_markup: { inline_keyboard: [] } }, { lane: 'customer' })
        .catch(() => undefined);
    }
  }

  @On('edited_message')
  async onEdited(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const edited = ctx.editedMessage;
    if (ctx.chat?.type !== 'private' || !edited) return next();
    // The copy in the topic stays as it was: editing an old message is one more way to write.
    if (await this.screened(ctx)) return;
    const m = edited as typeof edited & { text?: string; caption?: string; entities?: unknown[]; caption_entities?: unknown[] };
    const change = m.text !== undefined ? { text: m.text, entities: m.entities } : m.caption !== undefined ? { caption: m.caption, entities: m.caption_entities } : undefined;
    if (change) await this.conversation.recordEdit(ctx.update.update_id, edited.chat.id, edited.message_id, change);
  }

  /** Telegram reports a private chat's my_chat_member only when the customer blocks or unblocks the bot. */
  @On('my_chat_member')
  async onMembership(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const update = ctx.myChatMember;
    if (ctx.chat?.type !== 'private' || !update) return next();
    const status = update.new_chat_member.status;
    // Recorded (answers to a blocked customer are not retried), but a banned customer's block and unblock
    // are not said in the topic: toggling them would write there.
    const announce = !(await this.bans.isListed(update.chat.id));
    await this.conversation.setBlocked(ctx.update.update_id, update.chat.id, status === 'kicked' || status === 'left', announce);
  }

  /**
   * A banned customer's update (a message, /start, a button, an edit) reaches nobody, opens nothing and
   * costs the group nothing; the first one after the ban gets one polite answer, and a pressed button
   * stops spinning. Every handler of the private chat asks this first.
   */
  private async screened(ctx: Context): Promise<boolean> {
    const from = ctx.from;
    if (!from) return false;
    const state = await this.bans.screen(from.id);
    if (state === 'free') return false;
    if (ctx.callbackQuery) await this.gateway.answerCallbackQuery(ctx.callbackQuery.id);
    if (state === 'tell') {
      const language = (await this.tickets.findCustomer(from.id))?.language ?? this.i18n.pick(from.language_code);
      await this.send(from.id, this.i18n.t(language, 'ban.customer'));
    }
    return true;
  }

  private async closeByCustomer(ctx: Context, ticketId?: number): Promise<void> {
    const from = ctx.from!;
    const result = await this.conversation.closeByCustomer(ctx.update.update_id, from.id, ticketId);
    if (result.outcome === 'duplicate') return;
    const language = (await this.tickets.findCustomer(from.id))?.language ?? this.i18n.pick(from.language_code);
    if (ctx.callbackQuery) {
      await this.gateway.answerCallbackQuery(ctx.callbackQuery.id, result.outcome === 'closed' ? undefined : this.i18n.t(language, 'close.alreadyClosed'));
      // The button has done its job: take it off the acknowledgement.
      const message = ctx.callbackQuery.message;
      if (message && message.date !== 0) {
        await this.gateway
          .call('editMessageReplyMarkup', { chat_id: message.chat.id, message_id: message.message_id, reply_markup: { inline_keyboard: [] } }, { lane: 'customer' })
          .catch(() => undefined);
      }
    }
    if (result.outcome === 'closed') await this.send(from.id, this.i18n.t(language, 'close.byCustomer', { ticket: result.ticket.id }));
    else if (!ctx.callbackQuery) await this.send(from.id, this.i18n.t(language, 'close.nothingOpen'));
  }

  private async choose(ctx: ActionContext, categoryId: string, subcategoryId: string | null): Promise<void> {
    const { category, subcategory } = this.catalog.find(categoryId, subcategoryId);
    if (!category || (subcategoryId && !subcategory)) {
      await this.answer(ctx, 'category.unknown');
      return;
    }
    const result: ReceiveResult = await this.tickets.chooseCategory(ctx.update.update_id, ctx.from!, categoryId, subcategoryId);
    await this.answer(ctx);
    if (result.outcome === 'duplicate') return;
    const language = result.customer.language;
    const label = this.catalog.label(language, categoryId, subcategoryId);
    if (result.outcome === 'awaiting-description') {
      await this.show(ctx, this.i18n.t(language, 'category.describe', { category: label }), this.keyboards.backToCategories(language));
    } else if (result.outcome === 'limited') {
      // The menu becomes the notice: the draft waits, and the customer's next message is kept with it.
      await this.show(ctx, this.i18n.t(language, 'limit.tickets', { max: result.max }), { inline_keyboard: [] });
    } else {
      // The ticket opened from messages written earlier; the acknowledgement has gone as a reply to them.
      await this.show(ctx, `<b>${this.i18n.t(language, 'card.category')}:</b> ${escapeHtml(label)}`, { inline_keyboard: [] });
    }
  }

  private greeting(customer: Customer): string {
    return this.i18n.t(customer.language, 'start.greeting', { name: customer.firstName });
  }

  private async send(chatId: number, text: string, keyboard?: InlineKeyboardMarkup): Promise<void> {
    await this.gateway.sendMessage(chatId, text, keyboard ? { reply_markup: keyboard } : {}, { lane: 'customer' });
  }

  /** Replaces the dialogue message in place, so the chat keeps one tidy menu instead of a trail of them. */
  private async show(ctx: Context, text: string, keyboard: InlineKeyboardMarkup): Promise<void> {
    const query = ctx.callbackQuery as CallbackQuery | undefined;
    const message = query?.message;
    if (message && message.date !== 0) {
      await this.gateway.editMessageText(message.chat.id, message.message_id, text, { reply_markup: keyboard }, { lane: 'customer' });
    } else if (ctx.from) {
      await this.send(ctx.from.id, text, keyboard);
    }
  }

  private async answer(ctx: Context, key?: 'category.unknown'): Promise<void> {
    const query = ctx.callbackQuery;
    if (!query) return;
    const language = this.i18n.pick(query.from.language_code);
    await this.gateway.answerCallbackQuery(query.id, key ? this.i18n.t(language, key) : undefined);
  }
}

