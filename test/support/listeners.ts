import type { EventEmitter2 } from '@nestjs/event-emitter';
import { EVENT_LISTENER_METADATA } from '@nestjs/event-emitter/dist/constants';
import { AiTicketCreatedListener } from '../../src/ai/listeners/ticket-created.listener';
import type { AppConfig } from '../../src/config/app-config';
import { FORUM_LISTENERS } from '../../src/forum/listeners';

/**
 * Subscribes the app's real listeners to an emitter by their @OnDomainEvent metadata, as
 * @nestjs/event-emitter does in the app, so unit and medium specs see the jobs that follow each fact
 * without a Nest application (and a listener added to a module is picked up here too).
 */
export function wireListeners(emitter: EventEmitter2, config: AppConfig): void {
  const listeners: object[] = [...FORUM_LISTENERS.map((Listener) => new Listener()), new AiTicketCreatedListener(config)];
  for (const listener of listeners) {
    const prototype = Object.getPrototypeOf(listener) as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[key];
      if (typeof method !== 'function') continue;
      const subscriptions: { event: string }[] = Reflect.getMetadata(EVENT_LISTENER_METADATA, method) ?? [];
      for (const { event } of subscriptions) emitter.on(event, (...args: unknown[]) => (method as (...a: unknown[]) => unknown).apply(listener, args));
    }
  }
}
