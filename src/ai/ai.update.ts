import { Inject } from '@nestjs/common';
import { Action, Ctx, Update } from 'nestjs-telegraf';
import type { Context } from 'telegraf';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SupportGroups } from '../telegram/support-groups';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { AgentDirectory } from '../team/agent-directory.service';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { AI_ACTION, AiDrafts } from './ai-drafts.service';

type ActionContext = Context & { match: RegExpExecArray };

/** The buttons of an AI draft in a ticket's topic: "Send to customer" and "Discard". */
@Update()
export class AiUpdate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly drafts: AiDrafts,
    private readonly gateway: TelegramGateway,
    private readonly agents: AgentDirectory,
    private readonly i18n: I18n,
    private readonly groups: SupportGroups,
    private readonly tickets: TicketRepository,
  ) {}

  @Action(AI_ACTION)
  async onDraftAction(@Ctx() ctx: ActionContext): Promise<void> {
    const query = ctx.callbackQuery;
    if (!query) return;
    // Only agents in the support group decide; the same data anywhere else (a forwarded message) does nothing.
    const groupId = ctx.chat?.id;
    if (!this.groups.has(groupId)) {
      await this.gateway.answerCallbackQuery(query.id);
      return;
    }
    // A member of the group who is not of the team cannot send the AI's words to a customer.
    if (!(await this.agents.isAgent(groupId, query.from.id))) {
      await this.gateway.answerCallbackQuery(query.id, this.i18n.t(this.config.supportLanguage, 'ai.callback.notAgent'));
      return;
    }
    const ticketId = Number(ctx.match[2]);
    // The draft lives in its ticket's group: the same buttons in another group decide nothing.
    if ((await this.tickets.find(ticketId))?.groupId !== groupId) {
      await this.gateway.answerCallbackQuery(query.id, this.i18n.t(this.config.supportLanguage, 'ai.callback.obsolete'));
      return;
    }
    const agent = [query.from.first_name, query.from.last_name].filter(Boolean).join(' ') || query.from.username || String(query.from.id);
    // The clicked message is the draft: edited by its own id, even if the click beat the id's recording.
    const draftId = query.message?.message_id;
    const text =
      ctx.match[1] === 'send' ? await this.drafts.send(ticketId, agent, draftId) : await this.drafts.discard(ticketId, agent, draftId);
    await this.gateway.answerCallbackQuery(query.id, text);
  }
}
