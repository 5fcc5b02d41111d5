import type { TgMessage, TgUser } from '../emulator/types';
import type { CallSummary, SandboxState } from '../sandbox-protocol';
import { h } from './dom';

/** General, the group's first topic, has no thread id; the page calls it 0. */
export const GENERAL = 0;

/** What the page knows: the last snapshot, kept current by the event stream, and what the person chose. */
export interface PageState {
  data?: SandboxState;
  chats: Map<number, Map<number, TgMessage>>;
  customer?: number;
  topic?: number;
  replyTo?: TgMessage;
  unreadCustomers: Set<number>;
  /** Per topic: the last message id the agent has seen. */
  seen: Map<number, number>;
  calls: CallSummary[];
}

export const state: PageState = { chats: new Map(), unreadCustomers: new Set(), seen: new Map(), calls: [] };

/** The parts of the page that re-render, at most once a frame, when their data changed. */
export type Part = 'customers' | 'customerChat' | 'topics' | 'topicView' | 'faults' | 'calls';
const ORDER: Part[] = ['customers', 'customerChat', 'topics', 'topicView', 'faults', 'calls'];
const renderers = new Map<Part, () => void>();
const dirty = new Set<Part>();
let frame = 0;

export function onRender(part: Part, render: () => void): void {
  renderers.set(part, render);
}

export function invalidate(...parts: Part[]): void {
  for (const p of parts) dirty.add(p);
  if (!frame) frame = requestAnimationFrame(renderDirty);
}

function renderDirty(): void {
  frame = 0;
  const parts = new Set(dirty);
  dirty.clear();
  for (const part of ORDER) if (parts.has(part)) renderers.get(part)?.();
}

export const messagesOf = (chatId: number): TgMessage[] =>
  [...(state.chats.get(chatId)?.values() ?? [])].sort((a, b) => a.message_id - b.message_id);

export const supportId = (): number => state.data?.supportChat.id ?? 0;

export function nameOf(user: TgUser | undefined): string {
  if (!user) return 'Someone';
  return [user.first_name, user.last_name].filter(Boolean).join(' ');
}

export function threadOf(m: TgMessage): number {
  return m.is_topic_message && m.message_thread_id ? m.message_thread_id : GENERAL;
}

export const toasts = h('div', { class: 'toasts' });

export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  const note = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  toasts.append(note);
  setTimeout(() => note.remove(), kind === 'error' ? 6000 : 3500);
}

/** Runs a request; its failure becomes a red toast with the control API's message. */
export async function attempt(request: () => Promise<unknown>): Promise<boolean> {
  try {
    await request();
    return true;
  } catch (error) {
    toast((error as Error).message, 'error');
    return false;
  }
}

/** Scrolls to a message and makes it blink (a click on a reply's quote). */
export function reveal(list: HTMLElement, id: number): void {
  const target = list.querySelector<HTMLElement>(`[data-id="${id}"]`);
  if (!target) return;
  target.scrollIntoView({ block: 'center', behavior: 'smooth' });
  target.classList.add('flash');
  setTimeout(() => target.classList.remove('flash'), 1200);
}

/** Enter sends, Shift+Enter starts a new line; the box grows with its text. */
export function enterSends(input: HTMLTextAreaElement, form: HTMLFormElement): void {
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => autosize(input));
}

export function clearInput(input: HTMLTextAreaElement): void {
  input.value = '';
  autosize(input);
}

function autosize(input: HTMLTextAreaElement): void {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}
