import { Inject } from '@nestjs/common';
import { Ctx, Next, On, Update } from 'nestjs-telegraf';
import type { Context } from 'telegraf';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TopicAdoption } from './topic-adoption.service';

type NextFn = () => Promise<void>;

/** Updates from the support group. */
@Update()
export class ForumUpdate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adoption: TopicAdoption,
  ) {}

  @On('message')
  async onGroupMessage(@Ctx() ctx: Context, @Next() next: NextFn): Promise<void> {
    if (ctx.chat?.id !== this.config.supportChatId) return next();
    const message = ctx.message;
    if (message && 'forum_topic_created' in message && message.from?.id === ctx.botInfo.id && message.message_thread_id) {
      await this.adoption.onTopicCreated(message.message_thread_id, message.forum_topic_created.name);
    }
  }
}
