import { badRequest } from '../errors';
import type { Params } from '../params';
import type { MethodSpec } from './context';
import { chatOf } from './lookup';

const commandsKey = (p: Params): string => {
  const scope = p.has('scope') ? p.json('scope') : { type: 'default' };
  return `${JSON.stringify(scope)}|${p.str('language_code') ?? ''}`;
};

/** The bot itself, its command lists per scope and language, and its menu buttons. */
export const commandMethods: MethodSpec[] = [
  { name: 'getMe', handler: (ctx) => ({ ...ctx.world.botUser }) },
  { name: 'logOut', handler: () => true },
  { name: 'close', handler: () => true },
  {
    name: 'setMyCommands',
    handler: (ctx, p) => {
      const commands = p.json('commands');
      if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
      if (commands.length > 100) throw badRequest('too many commands specified');
      const clean = commands.map((c) => {
        const cmd = c as Record<string, unknown>;
        const command = typeof cmd.command === 'string' ? cmd.command.toLowerCase() : '';
        if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
        const description = typeof cmd.description === 'string' ? cmd.description : '';
        if (description.length < 1 || description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
        return { command, description };
      });
      ctx.world.commands.set(commandsKey(p), clean);
      return true;
    },
  },
  { name: 'getMyCommands', handler: (ctx, p) => ctx.world.commands.get(commandsKey(p)) ?? [] },
  {
    name: 'deleteMyCommands',
    handler: (ctx, p) => {
      ctx.world.commands.delete(commandsKey(p));
      return true;
    },
  },
  {
    name: 'setChatMenuButton',
    handler: (ctx, p) => {
      const key = p.has('chat_id') ? String(chatOf(ctx, p).chat.id) : 'default';
      ctx.world.menuButtons.set(key, p.has('menu_button') ? p.json('menu_button') : { type: 'default' });
      return true;
    },
  },
  {
    name: 'getChatMenuButton',
    handler: (ctx, p) => {
      const key = p.has('chat_id') ? String(chatOf(ctx, p).chat.id) : 'default';
      return ctx.world.menuButtons.get(key) ?? ctx.world.menuButtons.get('default') ?? { type: 'commands' };
    },
  },
];
