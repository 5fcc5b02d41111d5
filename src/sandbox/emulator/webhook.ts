import * as http from 'node:http';
import * as https from 'node:https';
import type { QueuedUpdate, UpdateQueue } from './update-queue';

export interface WebhookConfig {
  url: string;
  secretToken?: string;
  maxConnections: number;
  ipAddress?: string;
}

export interface WebhookHooks {
  log: (line: string) => void;
  onDelivered: (updateId: number) => void;
  onChange: () => void;
  /** Telegram executes a Bot API call returned in the webhook response body. */
  onReplyCall: (method: string, params: Record<string, unknown>) => void;
  isPaused: () => boolean;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Webhook delivery modelled on TBA's WebhookActor: one POST per update, 2xx acknowledges it, anything
 * else is retried (first retry at once, then doubling delays up to a cap). Each chat's updates wait for
 * their predecessor (head-of-line blocking), while different chats are delivered in parallel up to
 * max_connections.
 */
export class WebhookDeliverer {
  private readonly busyKeys = new Set<string>();
  private readonly attempts = new WeakMap<QueuedUpdate, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requests = new Set<http.ClientRequest>();
  private readonly agent: http.Agent;
  private readonly secureAgent: https.Agent;
  private inFlight = 0;
  private stopped = false;
  lastErrorDate?: number;
  lastErrorMessage?: string;

  constructor(
    readonly config: WebhookConfig,
    private readonly queue: UpdateQueue,
    private readonly retry: { baseMs: number; maxMs: number },
    private readonly hooks: WebhookHooks,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: config.maxConnections });
    this.secureAgent = new https.Agent({ keepAlive: true, maxSockets: config.maxConnections, rejectUnauthorized: false });
  }

  /** Starts whatever deliveries the queue, ordering and connection limit allow right now. */
  pump(): void {
    if (this.stopped || this.hooks.isPaused()) return;
    const seen = new Set<string>();
    for (const entry of this.queue.list()) {
      if (this.inFlight >= this.config.maxConnections) return;
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      if (this.busyKeys.has(entry.key)) continue;
      this.deliver(entry);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.requests) r.destroy();
    this.requests.clear();
    this.agent.destroy();
    this.secureAgent.destroy();
  }

  private deliver(entry: QueuedUpdate): void {
    this.busyKeys.add(entry.key);
    this.inFlight++;
    const body = Buffer.from(JSON.stringify(entry.update));
    const url = new URL(this.config.url);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': body.length,
      connection: 'keep-alive',
    };
    if (this.config.secretToken) headers['x-telegram-bot-api-secret-token'] = this.config.secretToken;
    if (url.username) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    const isHttps = url.protocol === 'https:';
    const req = (isHttps ? https : http).request(url, {
      method: 'POST',
      headers,
      agent: isHttps ? this.secureAgent : this.agent,
      timeout: REQUEST_TIMEOUT_MS,
    });
    this.requests.add(req);
    let settled = false;
    const finish = (ok: boolean, error?: string, replyBody?: Buffer): void => {
      if (settled) return;
      settled = true;
      this.requests.delete(req);
      this.inFlight--;
      if (this.stopped) return;
      if (ok) {
        this.busyKeys.delete(entry.key);
        this.queue.remove(entry);
        this.hooks.onDelivered(entry.update.update_id);
        if (replyBody) this.executeReply(replyBody);
      } else {
        this.lastErrorDate = Math.floor(Date.now() / 1000);
        this.lastErrorMessage = error;
        const attempt = (this.attempts.get(entry) ?? 0) + 1;
        this.attempts.set(entry, attempt);
        const delay = attempt === 1 ? 0 : Math.min(this.retry.baseMs * 2 ** (attempt - 2), this.retry.maxMs);
        this.hooks.log(`webhook: update ${entry.update.update_id} failed (${error}); retry #${attempt} in ${delay} ms`);
        this.hooks.onChange();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.busyKeys.delete(entry.key);
          this.pump();
        }, delay);
        this.timers.add(timer);
      }
      this.pump();
    };
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) finish(true, undefined, Buffer.concat(chunks));
        else finish(false, `Wrong response from the webhook: ${status} ${res.statusMessage ?? http.STATUS_CODES[status] ?? ''}`.trim());
      });
      res.on('error', () => finish(false, 'Connection reset by peer'));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'ECONNREFUSED'
          ? 'Connection refused'
          : err.message === 'timeout'
            ? 'Timeout expired'
            : err.code === 'ENOTFOUND'
              ? 'Failed to resolve host: Name or service not known'
              : 'Connection reset by peer';
      finish(false, reason);
    });
    req.end(body);
  }

  private executeReply(body: Buffer): void {
    if (body.length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return; // Telegram ignores non-JSON webhook answers.
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const { method, ...params } = parsed as Record<string, unknown>;
    if (typeof method !== 'string') return;
    const lower = method.toLowerCase();
    if (lower.startsWith('get') || ['setwebhook', 'deletewebhook', 'close', 'logout'].includes(lower)) return;
    this.hooks.onReplyCall(method, params);
  }
}
