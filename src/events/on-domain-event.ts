import { OnEvent } from '@nestjs/event-emitter';
import type { Tx } from '../jobs/unit-of-work';
import type { EventMap, EventName } from './event-map';

export type DomainListener<E extends EventName> = (payload: EventMap[E], tx: Tx) => Promise<void>;

/**
 * Marks a method as a listener of a domain fact. It runs inside the publisher's transaction and is
 * awaited; its errors are not swallowed (unlike @OnEvent's default), so a job a listener failed to
 * write rolls the fact back with it instead of being lost. The method's signature is checked against
 * the event's payload.
 */
export function OnDomainEvent<E extends EventName>(event: E) {
  const decorate = OnEvent(event, { suppressErrors: false });
  return (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<DomainListener<E>>): void => {
    decorate(target, key, descriptor);
  };
}
