import type { Params } from '../params';
import type { World } from '../state';
import type { Update } from '../types';
import type { UpdateQueue } from '../update-queue';
import type { WebhookDeliverer } from '../webhook';

export interface CallContext {
  signal?: AbortSignal;
}

export interface MethodDef {
  name: string;
  /** Sends into a chat: subject to flood control, counted on success. */
  send?: boolean;
  handler: (p: Params, ctx: CallContext) => unknown;
}

export interface WebhookSettings {
  url: string;
  secretToken?: string;
  maxConnections: number;
  ipAddress?: string;
}

/** What the method implementations need from the emulator. */
export interface MethodContext {
  world: World;
  queue: UpdateQueue;
  botCanPostInClosedTopics: boolean;
  callbackTtlMs: number;
  random: () => number;
  enqueue: (body: Omit<Update, 'update_id'>) => number;
  webhook: () => WebhookDeliverer | undefined;
  setWebhook: (settings: WebhookSettings) => void;
  removeWebhook: () => void;
}

/** One Bot API method of a family: its Telegram spelling and its implementation over the context. */
export interface MethodSpec {
  name: string;
  /** Sends into a chat: subject to flood control, counted on success. */
  send?: boolean;
  handler: (ctx: MethodContext, p: Params, call: CallContext) => unknown;
}

/** A successful result that also carries a `description`, as setWebhook's answers do. */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
