import { badRequest } from '../errors';
import { botChatMember } from '../membership';
import { shortUser } from '../state';
import type { TgUser } from '../types';
import type { MethodSpec } from './context';
import { chatOf, messageIdOf, writableChat } from './lookup';
import { threadFor } from './outgoing';

const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document',
  'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);

const agentMember = (user: TgUser, admin: boolean): Record<string, unknown> =>
  admin
    ? {
        user: shortUser(user), status: 'administrator', can_be_edited: false, is_anonymous: false, can_manage_chat: true,
        can_delete_messages: true, can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false,
        can_change_info: true, can_invite_users: true, can_post_stories: false, can_edit_stories: false,
        can_delete_stories: false, can_pin_messages: true, can_manage_topics: true,
      }
    : { user: shortUser(user), status: 'member' };

export const chatMethods: MethodSpec[] = [
  {
    name: 'getChat',
    handler: (ctx, p) => {
      const rec = chatOf(ctx, p);
      const base: Record<string, unknown> = { ...rec.chat, accent_color_id: 0, max_reaction_count: 11 };
      if (rec.kind !== 'private') {
        base.permissions = {
          can_send_messages: true, can_send_audios: true, can_send_documents: true, can_send_photos: true,
          can_send_videos: true, can_send_video_notes: true, can_send_voice_notes: true, can_send_polls: true,
          can_send_other_messages: true, can_add_web_page_previews: true, can_change_info: false,
          can_invite_users: true, can_pin_messages: false, can_manage_topics: false,
        };
      }
      base.accepted_gift_types = { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false, gifts_from_channels: false };
      return base;
    },
  },
  {
    name: 'getChatMember',
    handler: (ctx, p) => {
      const { world } = ctx;
      const rec = chatOf(ctx, p);
      const userId = p.int('user_id');
      if (userId === undefined) throw badRequest('invalid user_id specified');
      const known = world.users.get(userId);
      if (rec.kind === 'support') {
        if (userId === world.botUser.id) return botChatMember(world);
        if (known?.role === 'agent') return agentMember(known.user, known.admin);
      } else if (rec.kind === 'private') {
        if (userId === world.botUser.id) return { user: world.botShort(), status: 'member' };
        if (userId === rec.chat.id && known) return { user: shortUser(known.user), status: 'member' };
      } else if (userId === world.botUser.id) {
        return { user: world.botShort(), status: 'member' };
      }
      return { user: known ? shortUser(known.user) : { id: userId, is_bot: false, first_name: '' }, status: 'left' };
    },
  },
  {
    name: 'getChatAdministrators',
    handler: (ctx, p) => {
      const rec = chatOf(ctx, p);
      if (rec.kind === 'private') throw badRequest('there are no administrators in the private chat');
      if (rec.kind !== 'support') return [];
      // A demoted bot is no longer listed among the administrators.
      const admins = ctx.world.botStatus === 'administrator' ? [botChatMember(ctx.world)] : [];
      for (const u of ctx.world.users.values()) if (u.role === 'agent' && u.admin) admins.push(agentMember(u.user, true));
      return admins;
    },
  },
  {
    name: 'sendChatAction',
    handler: (ctx, p) => {
      const rec = writableChat(ctx, p);
      const action = p.str('action') ?? '';
      if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
      threadFor(ctx, rec, p, undefined, false);
      return true;
    },
  },
  {
    name: 'setMessageReaction',
    handler: (ctx, p) => {
      const rec = chatOf(ctx, p);
      const stored = ctx.world.getStored(rec.chat.id, messageIdOf(p));
      if (!stored) throw badRequest('message to react not found');
      const reaction = p.has('reaction') ? p.json('reaction') : [];
      if (!Array.isArray(reaction)) throw badRequest("can't parse reaction types JSON object");
      for (const r of reaction) {
        const t = r as Record<string, unknown>;
        if (typeof t !== 'object' || t === null || !['emoji', 'custom_emoji', 'paid'].includes(String(t.type))) {
          throw badRequest('REACTION_INVALID');
        }
        if (t.type === 'emoji' && (typeof t.emoji !== 'string' || t.emoji.length === 0)) throw badRequest('REACTION_INVALID');
      }
      if (reaction.length > 1) throw badRequest('REACTIONS_TOO_MANY');
      stored.reactions = structuredClone(reaction);
      return true;
    },
  },
];
