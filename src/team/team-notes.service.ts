import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { I18n } from '../telegram/i18n/i18n.service';
import type { MessageKey } from '../telegram/i18n/messages';
import { TelegramGateway } from '../telegram/telegram.gateway';

/** Where a note goes: a support group, and a topic in it (none: its General topic). */
export interface NoteTarget {
  groupId: number;
  threadId?: number | null;
  replyTo?: number;
  ticketId?: number;
}

/** The bot's short notes for the team, in the support language: in a topic, or (no thread) in General. */
@Injectable()
export class TeamNotes {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  text(key: MessageKey, vars: Record<string, string | number> = {}): string {
    return this.i18n.t(this.config.supportLanguage, key, vars);
  }

  async post(where: NoteTarget, key: MessageKey, vars: Record<string, string | number> = {}): Promise<void> {
    await this.postHtml(where, this.text(key, vars));
  }

  async postHtml(where: NoteTarget, html: string): Promise<void> {
    await this.gateway.sendMessage(
      where.groupId,
      html,
      {
        ...(where.threadId ? { message_thread_id: where.threadId } : {}),
        ...(where.replyTo ? { reply_parameters: { message_id: where.replyTo, allow_sending_without_reply: true } } : {}),
        link_preview_options: { is_disabled: true },
      },
      { lane: 'group', ...(where.ticketId ? { key: where.ticketId } : {}) },
    );
  }
}
