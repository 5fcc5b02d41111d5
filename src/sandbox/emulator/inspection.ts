import type { EventEmitter } from 'node:events';
import type { EmulatorCore } from './core';
import type { CallRecord, TgMessage, TopicInfo, Update } from './types';

/** Read-only views of the emulator for assertions; everything handed out is a copy. */
export class Inspection {
  constructor(
    private readonly core: EmulatorCore,
    private readonly events: EventEmitter,
  ) {}

  chatMessages(chatId: number): TgMessage[] {
    const rec = this.core.world.chats.get(chatId);
    if (!rec) return [];
    return rec.order
      .map((id) => rec.messages.get(id))
      .filter((s) => s !== undefined && !s.deleted)
      .map((s) => structuredClone(s!.message));
  }

  topicMessages(threadId: number, chatId = this.core.supportChatId): TgMessage[] {
    return this.chatMessages(chatId).filter(
      (m) => m.message_thread_id === threadId && m.message_id !== threadId,
    );
  }

  topics(): TopicInfo[] {
    return [...this.core.world.topics.values()].map((t) => {
      const info: TopicInfo = {
        chat_id: t.chatId,
        message_thread_id: t.threadId,
        name: t.name,
        icon_color: t.iconColor,
        closed: t.closed,
        deleted: t.deleted,
        createdSeq: t.createdSeq,
      };
      if (t.iconCustomEmojiId) info.icon_custom_emoji_id = t.iconCustomEmojiId;
      return info;
    });
  }

  getMessage(chatId: number, messageId: number): TgMessage | undefined {
    const s = this.core.world.getStored(chatId, messageId);
    return s ? structuredClone(s.message) : undefined;
  }

  messageSeq(chatId: number, messageId: number): number {
    const s = this.core.world.chats.get(chatId)?.messages.get(messageId);
    if (!s) throw new Error(`no message ${messageId} in chat ${chatId}`);
    return s.seq;
  }

  fileContent(fileId: string): { kind: string; bytes?: Buffer } | undefined {
    const f = this.core.world.files.get(fileId);
    return f ? { kind: f.kind, bytes: f.bytes } : undefined;
  }

  callbackAnswer(queryId: string): Record<string, unknown> | undefined {
    return this.core.world.callbacks.get(queryId)?.answer;
  }

  messageReactions(chatId: number, messageId: number): unknown[] {
    return structuredClone(this.core.world.chats.get(chatId)?.messages.get(messageId)?.reactions ?? []);
  }

  isBlocked(userId: number): boolean {
    return this.core.world.users.get(userId)?.blocked ?? false;
  }

  callRecords(method?: string): CallRecord[] {
    return this.core.records.filter((r) => method === undefined || r.method === method).map((r) => ({ ...r }));
  }

  updatesDelivered(): number[] {
    return [...this.core.delivered];
  }

  pendingUpdates(): Update[] {
    return this.core.queue.list().map((e) => structuredClone(e.update));
  }

  /** Resolves with the probe's first truthy value, re-checked on every change and every 50 ms. */
  waitFor<T>(probe: () => T | undefined | null | false, opts: { timeoutMs?: number; what?: string }): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 5_000;
    const what = opts.what ?? 'condition';
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const check = (): void => {
        if (done) return;
        let value: T | undefined | null | false;
        try {
          value = probe();
        } catch {
          value = undefined; // a probe that throws simply is not satisfied yet
        }
        if (value !== undefined && value !== null && value !== false) {
          finish();
          resolve(value);
        }
      };
      const interval = setInterval(check, 50);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`));
      }, timeoutMs);
      const finish = (): void => {
        done = true;
        clearInterval(interval);
        clearTimeout(timer);
        this.events.off('change', check);
      };
      this.events.on('change', check);
      check();
    });
  }
}
