import type { ControlAnswer, NewCustomer, SandboxEvents, SandboxFaults } from '../sandbox-protocol';
import type { TgMessage, TgUser } from '../emulator/types';

const BASE = '/_sandbox';

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, init);
  } catch {
    throw new Error('the sandbox is not reachable (stopped?)');
  }
  const answer = (await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }))) as ControlAnswer<T>;
  if (!answer.ok) throw new Error(answer.error);
  return answer.result;
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const api = {
  addCustomer: (customer: NewCustomer) => call<TgUser>('/customers', json('POST', customer)),
  customerText: (userId: number, text: string) => call<TgMessage>(`/customers/${userId}/text`, json('POST', { text })),
  customerClick: (userId: number, messageId: number, data: string) =>
    call<{ callback_query_id: string }>(`/customers/${userId}/click`, json('POST', { message_id: messageId, data })),
  customerPhoto: (userId: number, file: Blob, o: { caption?: string; width?: number; height?: number }) => {
    const query = new URLSearchParams();
    if (o.caption) query.set('caption', o.caption);
    if (o.width) query.set('width', String(o.width));
    if (o.height) query.set('height', String(o.height));
    return call<TgMessage>(`/customers/${userId}/photo?${query}`, { method: 'POST', headers: { 'content-type': file.type }, body: file });
  },
  agentClick: (messageId: number, data: string) => call<{ callback_query_id: string }>('/agent/click', json('POST', { message_id: messageId, data })),
  agentText: (text: string, threadId?: number, replyTo?: number) =>
    call<TgMessage>('/agent/text', json('POST', { text, thread_id: threadId, reply_to_message_id: replyTo })),
  setFaults: (faults: Partial<SandboxFaults>) => call<SandboxFaults>('/faults', json('PUT', faults)),
  fileUrl: (fileId: string) => `${BASE}/files/${encodeURIComponent(fileId)}`,
};

type Handlers = { [K in keyof SandboxEvents]: (data: SandboxEvents[K]) => void };

/** The live stream; EventSource reconnects by itself and every (re)connection starts with a snapshot. */
export function subscribe(handlers: Handlers, onStatus: (live: boolean) => void): EventSource {
  const source = new EventSource(`${BASE}/events`);
  for (const name of Object.keys(handlers) as (keyof SandboxEvents)[]) {
    source.addEventListener(name, (e) => {
      const handler = handlers[name] as (data: unknown) => void;
      handler(JSON.parse((e as MessageEvent<string>).data));
    });
  }
  source.addEventListener('open', () => onStatus(true));
  source.addEventListener('error', () => onStatus(false));
  return source;
}
