import { Inject, Injectable } from '@nestjs/common';
import type { Message } from 'telegraf/types';
import { APP_CONFIG, AppConfig, parseDuration } from '../config/app-config';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { AgentDirectory } from './agent-directory.service';
import { ReadyAnswers } from './ready-answers';
import { TeamRepository } from './repositories/team.repository';
import { Agent, TeamService } from './team.service';
import { TeamNotes } from './team-notes.service';

const TAKE = /^\/take(@\w+)?\s*$/i;
const RELEASE = /^\/release(@\w+)?\s*$/i;
const READY = /^\/r(@\w+)?(?:\s+(\S+))?\s*$/i;
const BAN = /^\/ban(@\w+)?(?:\s+([\s\S]*))?$/i;
const UNBAN = /^\/unban(@\w+)?\s*$/i;
/** A command with a bot's name: `/close@otherbot`. */
const ADDRESSED = /^\/\w+@(\w+)/;

/**
 * The support group's door: who may act as an agent in a ticket's topic, and the team's own commands
 * there (/take, /release, /r, /ban, /unban). The forum asks it before it treats a message as an answer.
 */
@Injectable()
export class TeamGate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly agents: AgentDirectory,
    private readonly tickets: TicketRepository,
    private readonly team: TeamRepository,
    private readonly service: TeamService,
    private readonly answers: ReadyAnswers,
    private readonly notes: TeamNotes,
  ) {}

  /** A command addressed to another bot in the group is not ours: nothing happens. */
  addressedElsewhere(text: string, botUsername: string | undefined): boolean {
    const to = ADDRESSED.exec(text)?.[1];
    return to !== undefined && to.toLowerCase() !== (botUsername ?? '').toLowerCase();
  }

  /** The sender is of the team (an agent, or an administrator writing as the group): for desk-wide commands. */
  async isTeam(message: Message): Promise<boolean> {
    const groupId = message.chat.id;
    if ((message as { sender_chat?: { id: number } }).sender_chat?.id === groupId) return true;
    return this.agents.isAgent(groupId, message.from!.id);
  }

  /**
   * The agent who wrote the message, or null when the writer is not on the team: then nothing they
   * wrote reaches the customer, and the topic tells them so once.
   */
  async agentOf(groupId: number, message: Message, threadId: number): Promise<Agent | null> {
    const from = message.from!;
    if ((message as { sender_chat?: { id: number } }).sender_chat?.id === groupId) {
      return { id: from.id, name: this.teamName(), anonymous: true };
    }
    if (await this.agents.isAgent(groupId, from.id)) return { id: from.id, name: from.first_name, anonymous: false };
    const ticket = await this.tickets.ofThread(groupId, threadId);
    if (ticket && (await this.team.claimOutsiderNotice(ticket.id, from.id))) {
      await this.notes.post({ groupId, threadId, replyTo: message.message_id, ticketId: ticket.id }, 'team.outsider', { name: from.first_name });
    }
    return null;
  }

  teamName(): string {
    return this.config.teamName || this.notes.text('team.defaultName');
  }

  /** Runs one of the team's commands; false when the text is none of them. */
  async command(updateId: number, groupId: number, threadId: number, message: Message, agent: Agent): Promise<boolean> {
    const text = 'text' in message ? message.text.trim() : '';
    if (!text.startsWith('/')) return false;
    const reply = (key: Parameters<TeamNotes['post']>[1], vars: Record<string, string | number> = {}) =>
      this.notes.post({ groupId, threadId, replyTo: message.message_id }, key, vars);
    const topic = { groupId, threadId };
    if (TAKE.test(text)) {
      // Written as the group, the sender is Telegram's anonymous-admin account: nobody to assign, only
      // the agent replied to.
      const to = (await this.repliedAgent(groupId, message)) ?? (agent.anonymous ? null : { id: agent.id, name: agent.name });
      if (to) await this.service.assign(updateId, topic, to, agent.name);
      else await reply('team.takeAnonymous');
      return true;
    }
    if (RELEASE.test(text)) {
      const result = await this.service.assign(updateId, topic, null, agent.name);
      if (result.outcome === 'same') await reply('team.notTaken');
      return true;
    }
    const ready = READY.exec(text);
    if (ready) {
      const name = ready[2];
      if (!name) {
        await reply(this.answers.answers.length ? 'ready.list' : 'ready.none', { names: this.answers.answers.map((a) => a.name).join(', ') });
      } else if (!this.answers.find(name)) {
        const closest = this.answers.closest(name);
        await reply(closest.length ? 'ready.unknown' : 'ready.unknownNone', { name, names: closest.join(', ') });
      } else {
        await this.service.readyAnswer(updateId, topic, name.toLowerCase(), agent.name);
      }
      return true;
    }
    const ban = BAN.exec(text);
    if (ban) {
      const parsed = parseBan(ban[2] ?? '');
      if (!parsed) await reply('ban.badDuration');
      else await this.service.ban(updateId, topic, parsed.until, parsed.reason, agent.name);
      return true;
    }
    if (UNBAN.test(text)) {
      const result = await this.service.unban(updateId, topic, agent.name);
      if (result.outcome === 'not-banned') await reply('ban.notBanned');
      return true;
    }
    return false;
  }

  /** /take as a reply to another agent's message gives the ticket to that agent. */
  private async repliedAgent(groupId: number, message: Message): Promise<{ id: number; name: string } | null> {
    const target = (message as { reply_to_message?: Message & { forum_topic_created?: unknown } }).reply_to_message;
    const author = target && !target.forum_topic_created ? target.from : undefined;
    if (!author || author.is_bot || author.id === message.from?.id) return null;
    return (await this.agents.isAgent(groupId, author.id)) ? { id: author.id, name: author.first_name } : null;
  }
}

/** "/ban", "/ban 7d", "/ban 7d spam", "/ban spam": a duration first if it is one, the rest the reason. */
export function parseBan(args: string, now = Date.now()): { until: Date | null; reason: string | null } | null {
  const trimmed = args.trim();
  if (!trimmed) return { until: null, reason: null };
  const [first, ...rest] = trimmed.split(/\s+/);
  const looksLikeDuration = /^\d/.test(first);
  const ms = looksLikeDuration ? parseDuration(first) : undefined;
  if (looksLikeDuration && (!ms || ms < 60_000)) return null;
  const reason = (looksLikeDuration ? rest.join(' ') : trimmed).slice(0, 200) || null;
  return { until: ms ? new Date(now + ms) : null, reason };
}
