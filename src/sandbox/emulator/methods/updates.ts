import { badRequest, conflict } from '../errors';
import type { Params } from '../params';
import { Described, sameJson, type MethodContext, type MethodSpec, type WebhookSettings } from './context';

/** deleteWebhook, and setWebhook with an empty url, which Telegram treats the same way. */
function dropWebhook(ctx: MethodContext, p: Params): Described {
  const had = ctx.webhook() !== undefined;
  ctx.removeWebhook();
  if (p.bool('drop_pending_updates')) ctx.queue.clear();
  return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
}

export const updateMethods: MethodSpec[] = [
  {
    name: 'getUpdates',
    handler: async (ctx, p, call) => {
      if (ctx.webhook()) {
        throw conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      }
      if (p.has('allowed_updates')) ctx.queue.setAllowedUpdates(p.json('allowed_updates'));
      const limit = Math.min(100, Math.max(1, p.int('limit') ?? 100));
      const timeout = Math.min(50, Math.max(0, p.int('timeout') ?? 0));
      return ctx.queue.poll(p.int('offset') ?? 0, limit, timeout, call.signal);
    },
  },
  {
    name: 'setWebhook',
    handler: (ctx, p) => {
      const url = (p.str('url') ?? '').trim();
      if (url === '') return dropWebhook(ctx, p);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      }
      const secret = p.str('secret_token');
      if (secret !== undefined && secret !== '') {
        if (secret.length > 256) throw badRequest('secret token is too long');
        if (!/^[A-Za-z0-9_-]+$/.test(secret)) throw badRequest('secret token contains unallowed characters');
      }
      const maxConnections = p.int('max_connections') ?? 40;
      if (maxConnections < 1 || maxConnections > 100_000) throw badRequest('max_connections must be between 1 and 100000');
      const settings: WebhookSettings = { url, secretToken: secret || undefined, maxConnections, ipAddress: p.str('ip_address') };
      const current = ctx.webhook()?.config;
      const sameAllowed = !p.has('allowed_updates') || sameJson(p.json('allowed_updates'), ctx.queue.allowedUpdates ?? []);
      if (p.has('allowed_updates')) ctx.queue.setAllowedUpdates(p.json('allowed_updates'));
      if (p.bool('drop_pending_updates')) ctx.queue.clear();
      if (current && sameJson(current, settings) && sameAllowed) return new Described(true, 'Webhook is already set');
      ctx.queue.abortPending(conflict('terminated by setWebhook request'));
      ctx.setWebhook(settings);
      return new Described(true, 'Webhook was set');
    },
  },
  { name: 'deleteWebhook', handler: (ctx, p) => dropWebhook(ctx, p) },
  {
    name: 'getWebhookInfo',
    handler: (ctx) => {
      const hook = ctx.webhook();
      const info: Record<string, unknown> = {
        url: hook?.config.url ?? '',
        has_custom_certificate: false,
        pending_update_count: ctx.queue.size,
      };
      if (hook) {
        if (hook.config.ipAddress) info.ip_address = hook.config.ipAddress;
        if (hook.lastErrorDate !== undefined) {
          info.last_error_date = hook.lastErrorDate;
          info.last_error_message = hook.lastErrorMessage;
        }
        info.max_connections = hook.config.maxConnections;
        if (ctx.queue.allowedUpdates) info.allowed_updates = ctx.queue.allowedUpdates;
      }
      return info;
    },
  },
];
