import { Injectable, Logger } from '@nestjs/common';
import type { Context, MiddlewareFn } from 'telegraf';
import type { Language } from '../config/app-config';
import { ChatSequencer } from './chat-sequencer';
import { I18n } from './i18n/i18n.service';
import { TelegramGateway } from './telegram.gateway';

/** "message:photo", "callback_query", "edited_message:text"... for the log line. */
function describe(ctx: Context): string {
  const type = ctx.updateType;
  const payload = (ctx.update as unknown as Record<string, Record<string, unknown>>)[type];
  if (!payload || (type !== 'message' && type !== 'edited_message')) return type;
  const kind = ['text', 'photo', 'document', 'voice', 'video', 'sticker', 'audio', 'animation', 'video_note', 'location', 'contact', 'poll', 'dice'].find(
    (k) => k in payload,
  );
  return kind ? `${type}:${kind}` : type;
}

/**
 * The first middleware of every update: serialises updates per chat, logs each handled update with its
 * type and duration, and answers the customer when a handler fails instead of leaving them in silence.
 */
@Injectable()
export class UpdatePipeline {
  private readonly logger = new Logger('Updates');
  private readonly sequencer = new ChatSequencer();

  constructor(
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  readonly middleware: MiddlewareFn<Context> = (ctx, next) => {
    const { logger, sequencer, gateway, i18n } = this;
    const key = String(ctx.chat?.id ?? ctx.from?.id ?? 'global');
    return sequencer.run(key, async () => {
      const started = performance.now();
      const what = describe(ctx);
      try {
        await next();
        logger.log(`update ${ctx.update.update_id} ${what} chat ${ctx.chat?.id ?? '-'} handled in ${Math.round(performance.now() - started)} ms`);
      } catch (error) {
        logger.error(
          `update ${ctx.update.update_id} ${what} chat ${ctx.chat?.id ?? '-'} failed after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`,
          (error as Error).stack,
        );
        if (ctx.chat?.type === 'private') {
          const language: Language = i18n.pick(ctx.from?.language_code);
          await gateway.sendMessage(ctx.chat.id, i18n.t(language, 'error.generic'), {}, { lane: 'customer', retries: 0 }).catch(() => undefined);
        }
      }
    });
  };
}
