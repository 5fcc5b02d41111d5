import { badRequest } from '../errors';
import type { MethodSpec } from './context';

export const callbackMethods: MethodSpec[] = [
  {
    name: 'answerCallbackQuery',
    handler: (ctx, p) => {
      const id = p.str('callback_query_id') ?? '';
      const text = p.str('text');
      if (text !== undefined && [...text].length > 200) throw badRequest('MESSAGE_TOO_LONG');
      const query = ctx.world.callbacks.get(id);
      if (!query || query.answered || Date.now() - query.createdAt > ctx.callbackTtlMs) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      query.answered = true;
      query.answer = { text, show_alert: p.bool('show_alert'), url: p.str('url'), cache_time: p.int('cache_time') };
      return true;
    },
  },
];
