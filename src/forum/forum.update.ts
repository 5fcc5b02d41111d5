import { Logger } from '@nestjs/common';
import { Ctx, Next, On, Update } from 'nestjs-telegraf';
import type { Context } from 'telegraf';
import type { Message } from 'telegraf/types';
import type { MessageKey } from '../telegram/i18n/messages';
import { SupportGroups } from '../telegram/support-groups';
import { TeamGate } from '../team/team-gate.service';
import { ConversationService } from '../tickets/conversation.service';
import { messageKind, toIncoming } from '../tickets/incoming-message';
import { DeskCommands } from './desk-commands.service';
import { GroupAccess } from './group-access.service';
import { TopicAdoption } from './topic-adoption.service';
import { TopicNotes } from './topic-notes.service';

type NextFn = () => Promise<void>;

const CLOSE = /^\/close(@\w+)?\s*$/i;
const REOPEN = /^\/reopen(@\w+)?\s*$/i;
/** Desk-wide commands, in any topic including General. */
const OPEN = /^\/open(@\w+)?(?:\s+(\d{1,4}))?\s*$/i;
const STATS = /^\/stats(@\w+)?(?:\s+(\S+))?\s*$/i;
const TRANSCRIPT = /^\/transcript(@\w+)?\s*$/i;
/** Internal notes stay in the topic: "// text" or "/note text". */
const NOTE = /^(\/\/|\/note(@\w+)?(\s|$))/i;

/**
 * The support groups. Agents answer inside a ticket's topic; their messages are copied to the customer.
 * Nothing else reaches a customer: not the General topic, not topics that are not tickets, not
 * internal notes, not service messages, not other bots, not other chats.
 */
@Update()
export class ForumUpdate {
  private readonly logger = new Logger('Forum');

  constructor(
    private readonly groups: SupportGroups,
    private readonly adoption: TopicAdoption,
    private readonly conversation: ConversationService,
    private readonly notes: TopicNotes,
    private readonly access: GroupAccess,
    private readonly desk: DeskCommands,
    private readonly team: TeamGate,
  ) {}

  /** The bot's own membership in the support group changed: removed or demoted pauses group work, admin again resumes it. */
  @On('my_chat_member')
  async onMembership(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const update = ctx.myChatMember;
    if (!update || !this.groups.has(update.chat.id)) return next();
    const groupId = update.chat.id;
    const member = update.new_chat_member as { status: string; can_manage_topics?: boolean };
    if (member.status === 'creator' || (member.status === 'administrator' && member.can_manage_topics !== false)) {
      await this.access.restored(groupId, `the bot is an administrator again`);
    } else {
      this.access.lost(groupId, member.status === 'administrator' ? 'the bot may not manage topics' : `the bot's status is now "${member.status}"`);
    }
  }

  @On('message')
  async onGroupMessage(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    if (ctx.chat?.type === 'private') return next();
    const message = ctx.message;
    const groupId = ctx.chat?.id;
    if (!message || !this.groups.has(groupId)) return;
    if ('forum_topic_created' in message && message.from?.id === ctx.botInfo.id && message.message_thread_id) {
      await this.adoption.onTopicCreated(groupId, message.message_thread_id, message.forum_topic_created.name);
      return;
    }
    const threadId = message.is_topic_message ? message.message_thread_id : undefined;
    const text = 'text' in message ? message.text.trim() : '';
    // An anonymous administrator writes as the group (from: GroupAnonymousBot, sender_chat: the group).
    const asGroup = message.sender_chat?.id === groupId;
    const open = OPEN.exec(text);
    const stats = STATS.exec(text);
    if ((open || stats) && message.from && (!message.from.is_bot || asGroup) && !this.team.addressedElsewhere(text, ctx.botInfo.username)) {
      // Desk-wide, in any topic (General too), for the team only.
      if (!(await this.team.isTeam(message))) return;
      if (open) await this.desk.open(groupId, message, threadId, Number(open[2] ?? 1));
      else await this.desk.stats(groupId, message, threadId, stats![2]);
      return;
    }
    if (!threadId || !message.from || (message.from.is_bot && !asGroup) || !messageKind(message)) return;
    if (NOTE.test(text) || this.team.addressedElsewhere(text, ctx.botInfo.username)) return;
    // Only the team acts here: anyone else's message stays in the group (and the topic tells them once).
    const member = await this.team.agentOf(groupId, message, threadId);
    if (!member) return;
    if (await this.team.command(ctx.update.update_id, groupId, threadId, message, member)) return;
    const agent = member.name;
    if (TRANSCRIPT.test(text)) return this.desk.transcript(groupId, message, threadId);
    if (CLOSE.test(text)) {
      const result = await this.conversation.closeByAgent(ctx.update.update_id, groupId, threadId, agent);
      if (result.outcome === 'already') await this.say(groupId, threadId, message, 'topic.alreadyClosed');
      return;
    }
    if (REOPEN.test(text)) {
      const result = await this.conversation.reopenByAgent(ctx.update.update_id, groupId, threadId, agent);
      if (result.outcome === 'already') await this.say(groupId, threadId, message, 'topic.alreadyOpen');
      if (result.outcome === 'newer-open') await this.say(groupId, threadId, message, 'topic.newerTicket', { ticket: result.ticket.id });
      return;
    }
    const incoming = toIncoming(ctx.update.update_id, message);
    if (!incoming) return;
    if (member.anonymous) incoming.from = { ...incoming.from, first_name: member.name };
    const result = await this.conversation.recordAgentMessage(incoming, groupId, threadId, member.anonymous);
    if (result.outcome === 'not-ticket') this.logger.debug(`message ${message.message_id} in topic ${threadId}: not a ticket, not forwarded`);
  }

  @On('edited_message')
  async onEdited(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    const edited = ctx.editedMessage;
    if (!edited || !this.groups.has(ctx.chat?.id)) return next();
    if (!edited.from || edited.from.is_bot) return;
    const m = edited as Message & { text?: string; caption?: string; entities?: unknown[]; caption_entities?: unknown[] };
    const change = m.text !== undefined ? { text: m.text, entities: m.entities } : m.caption !== undefined ? { caption: m.caption, entities: m.caption_entities } : undefined;
    if (change) await this.conversation.recordEdit(ctx.update.update_id, edited.chat.id, edited.message_id, change);
  }

  /** A short answer to the agent in the topic, as a reply to their command. */
  private say(groupId: number, threadId: number, to: Message, key: MessageKey, vars: Record<string, string | number> = {}): Promise<void> {
    return this.notes.post(groupId, threadId, key, vars, to.message_id);
  }
}
