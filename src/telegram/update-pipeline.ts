import { Injectable, Logger } from '@nestjs/common';
import type { Context, MiddlewareFn } from 'telegraf';
import { Metrics } from '../metrics/metrics.service';

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
 * The first middleware of every update: logs and counts each handled update with its type and duration. A failure
 * is logged and thrown on, so the inbox retries the update (it is not confirmed as handled); ordering per
 * chat is the inbox's (UpdateInbox).
 */
@Injectable()
export class UpdatePipeline {
  private readonly logger = new Logger('Updates');

  constructor(private readonly metrics: Metrics) {}

  readonly middleware: MiddlewareFn<Context> = async (ctx, next) => {
    const started = performance.now();
    const what = describe(ctx);
    const where = `update ${ctx.update.update_id} ${what} chat ${ctx.chat?.id ?? '-'}`;
    try {
      await next();
    } catch (error) {
      this.metrics.updateHandled(what, 'failed', (performance.now() - started) / 1000);
      this.logger.warn(`${where} failed after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`);
      throw error;
    }
    this.metrics.updateHandled(what, 'handled', (performance.now() - started) / 1000);
    this.logger.log(`${where} handled in ${Math.round(performance.now() - started)} ms`);
  };
}
