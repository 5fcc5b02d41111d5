import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { I18n } from '../telegram/i18n/i18n.service';
import type { MessageKey } from '../telegram/i18n/messages';
import { TelegramGateway } from '../telegram/telegram.gateway';

/** The bot's own notes in a ticket's topic, for the agents, in the support team's language. */
@Injectable()
export class TopicNotes {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  async post(groupId: number, threadId: number, key: MessageKey, vars: Record<string, string | number> = {}, replyTo?: number): Promise<void> {
    await this.gateway.sendMessage(
      groupId,
      this.i18n.t(this.config.supportLanguage, key, vars),
      { message_thread_id: threadId, ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}) },
      { lane: 'group' },
    );
  }
}
