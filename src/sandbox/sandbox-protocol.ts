/**
 * What the sandbox page and the control API (src/sandbox/control/) say to each other.
 * Types only, and no Node imports: the page's own build reads this file too.
 */
import type { TgMessage, TgUser, TopicInfo } from './emulator/types';

export interface SandboxFaults {
  /** Added to every Bot API method but getUpdates. */
  bot_api_latency_ms: number;
  /** Added to createForumTopic (the larger of the two applies). */
  create_topic_latency_ms: number;
  /** Probability (0..1) that a Bot API call answers 429 with retry_after 1-3 s. */
  rate_429: number;
  /** Added to every answer of the fake OpenAI server. */
  openai_latency_ms: number;
  /** How the fake OpenAI server answers: normally, or with a failure the bot must survive. */
  openai_mode: SandboxAiMode;
}

export const AI_MODES = ['ok', 'error500', 'hang', 'refuse', 'empty', 'hostile'] as const;
export type SandboxAiMode = (typeof AI_MODES)[number];

/** Which AI the bot talks to: the fake OpenAI server (adjustable), the real OpenAI, or none. */
export type SandboxAiKind = 'fake' | 'real' | 'off';

/** One finished Bot API call, for the page's call log. */
export interface CallSummary {
  id: number;
  method: string;
  status: number;
  ms: number;
  /** Which side the call wrote to; '' for the rest. */
  side: 'customer' | 'group' | '';
  description?: string;
}

export interface NewCustomer {
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** `GET /_sandbox/state`, and the `snapshot` event that opens every event stream. */
export interface SandboxState {
  bot: TgUser;
  agent: TgUser;
  supportChat: { id: number; title: string };
  customers: TgUser[];
  topics: TopicInfo[];
  /** Messages by chat id: each customer's private chat, and the support group. */
  chats: Record<string, TgMessage[]>;
  faults: SandboxFaults;
  openai: SandboxAiKind;
  calls: CallSummary[];
}

/** The events of `GET /_sandbox/events` after the snapshot, by name. */
export interface SandboxEvents {
  snapshot: SandboxState;
  /** A message stored or changed (an edit keeps its id). */
  message: { chat_id: number; message: TgMessage };
  removed: { chat_id: number; message_id: number };
  topics: TopicInfo[];
  customers: TgUser[];
  faults: SandboxFaults;
  call: CallSummary;
  /** The bot's answer to a button press, shown as Telegram shows it. */
  toast: { user_id: number; text: string; alert: boolean };
}

/** Every answer of the control API. */
export type ControlAnswer<T> = { ok: true; result: T } | { ok: false; error: string };
