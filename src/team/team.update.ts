import { Ctx, Next, On, Update } from 'nestjs-telegraf';
import type { Context } from 'telegraf';
import { SupportGroups } from '../telegram/support-groups';
import { AgentDirectory } from './agent-directory.service';

type NextFn = () => Promise<void>;

/** Someone in the support group was promoted or demoted: they act as an agent, or no longer, at once. */
@Update()
export class TeamUpdate {
  constructor(
    private readonly groups: SupportGroups,
    private readonly agents: AgentDirectory,
  ) {}

  @On('chat_member')
  async onMember(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const update = ctx.chatMember;
    if (!update || !this.groups.has(update.chat.id)) return next();
    this.agents.memberChanged(update.chat.id, update.new_chat_member.user.id, update.new_chat_member.status);
  }
}
