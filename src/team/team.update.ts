import { Inject } from '@nestjs/common';
import { Ctx, Next, On, Update } from 'nestjs-telegraf';
import type { Context } from 'telegraf';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AgentDirectory } from './agent-directory.service';

type NextFn = () => Promise<void>;

/** Someone in the support group was promoted or demoted: they act as an agent, or no longer, at once. */
@Update()
export class TeamUpdate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly agents: AgentDirectory,
  ) {}

  @On('chat_member')
  async onMember(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const update = ctx.chatMember;
    if (!update || update.chat.id !== this.config.supportChatId) return next();
    this.agents.memberChanged(update.new_chat_member.user.id, update.new_chat_member.status);
  }
}
