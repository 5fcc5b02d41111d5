import type { EmulatorCore } from './core';
import { forbidden } from './errors';
import { shortUser, unixNow, type World } from './state';
import type { BotGroupStatus, BotRights, TgChat, TgUser } from './types';

type Right = keyof BotRights;

const ALL_RIGHTS: Required<BotRights> = { can_manage_topics: true, can_delete_messages: true, can_pin_messages: true };

/** A demoted bot is still in the group (as a plain member); a removed or banned one is not. */
export const botInSupportGroup = (world: World): boolean => world.botStatus === 'administrator' || world.botStatus === 'member';

/** An admin right as it applies now: botRights keeps the configured rights, but only an administrator has any. */
export const botCan = (world: World, right: Right): boolean => world.botStatus === 'administrator' && world.botRights[right];

/**
 * TBA's check_chat_access for the support supergroup: a banned bot, or one that is not a member of a
 * private supergroup, may neither read nor write it, so every method naming the chat fails with 403.
 */
export function checkChatAccess(world: World, chatId: number): void {
  if (chatId !== world.supportChatId) return;
  if (world.botStatus === 'kicked') throw forbidden('bot was kicked from the supergroup chat');
  if (world.botStatus === 'left') throw forbidden('bot is not a member of the supergroup chat');
}

/** A ChatMember object in the shape Telegram uses for `status` (ChatMemberAdministrator/Member/Left/Banned). */
export function chatMemberOf(user: TgUser, status: BotGroupStatus, rights: Required<BotRights> = ALL_RIGHTS): Record<string, unknown> {
  if (status === 'kicked') return { user, status, until_date: 0 };
  if (status !== 'administrator') return { user, status };
  return {
    user,
    status,
    can_be_edited: false,
    is_anonymous: false,
    can_manage_chat: true,
    can_delete_messages: rights.can_delete_messages,
    can_manage_video_chats: false,
    can_restrict_members: false,
    can_promote_members: false,
    can_change_info: false,
    can_invite_users: true,
    can_post_stories: false,
    can_edit_stories: false,
    can_delete_stories: false,
    can_pin_messages: rights.can_pin_messages,
    can_manage_topics: rights.can_manage_topics,
  };
}

/** The bot's ChatMember object in the support group as of now. */
export const botChatMember = (world: World): Record<string, unknown> => chatMemberOf(world.botShort(), world.botStatus, world.botRights);

/**
 * Queues a my_chat_member update (private chats: block/unblock; the support group: removal, demotion,
 * promotion). The queue keeps it only if the bot's allowed_updates admit my_chat_member, as TBA does.
 */
export function enqueueMyChatMember(
  core: EmulatorCore,
  chat: TgChat,
  from: TgUser,
  oldMember: Record<string, unknown>,
  newMember: Record<string, unknown>,
): void {
  core.enqueue({
    my_chat_member: { chat: structuredClone(chat), from, date: unixNow(), old_chat_member: oldMember, new_chat_member: newMember },
  });
}

export interface MembershipChange {
  /** The admin who made the change; by default a known admin agent or the group's owner. */
  by?: TgUser;
}

/** What the support group's admins do to the bot: remove or ban it, demote it, (re-)promote it, change its rights. */
export class BotMembership {
  constructor(
    private readonly core: EmulatorCore,
    private readonly actingAdmin: () => TgUser,
  ) {}

  get status(): BotGroupStatus {
    return this.core.world.botStatus;
  }

  remove(opts: MembershipChange & { banned?: boolean }): void {
    this.change(opts.banned ? 'kicked' : 'left', {}, opts.by);
  }

  /** Also re-adds a removed bot, as a plain member. */
  demote(opts: MembershipChange): void {
    this.change('member', {}, opts.by);
  }

  /** Rights not given are granted, as "promote with all rights" does. */
  restore(rights: Partial<BotRights>, opts: MembershipChange): void {
    this.change('administrator', { ...ALL_RIGHTS, ...definedRights(rights) }, opts.by);
  }

  setRights(rights: Partial<BotRights>, opts: MembershipChange): void {
    if (this.core.world.botStatus !== 'administrator') {
      throw new Error(`the bot is ${this.core.world.botStatus}, not an administrator: use restoreBotAsAdmin`);
    }
    this.change('administrator', definedRights(rights), opts.by);
  }

  private change(status: BotGroupStatus, rights: Partial<BotRights>, by?: TgUser): void {
    const { world } = this.core;
    const before = botChatMember(world);
    world.botStatus = status;
    Object.assign(world.botRights, rights);
    const after = botChatMember(world);
    // Telegram reports changes only: removing a bot that already left sends nothing.
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      enqueueMyChatMember(this.core, world.supportChat.chat, shortUser(by ?? this.actingAdmin()), before, after);
    }
    this.core.changed();
  }
}

/** Drops keys passed as undefined, so that `{ can_pin_messages: undefined }` leaves that right alone. */
function definedRights(rights: Partial<BotRights>): Partial<BotRights> {
  const out: Partial<BotRights> = {};
  for (const k of ['can_manage_topics', 'can_delete_messages', 'can_pin_messages'] as const) {
    if (rights[k] !== undefined) out[k] = Boolean(rights[k]);
  }
  return out;
}
