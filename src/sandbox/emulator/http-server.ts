import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { UploadedFile } from './types';

/** What the transport hands to the emulator for one `/bot<token>/<method>` request. */
export interface ApiRequest {
  token: string;
  method: string;
  params: Record<string, unknown>;
  files: Map<string, UploadedFile>;
  /** Aborted when the client closes the connection before the answer is written. */
  signal: AbortSignal;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HttpHandlers {
  api: (req: ApiRequest) => Promise<ApiResponse>;
  file: (token: string, filePath: string) => { status: number; data: Buffer; contentType: string };
  isNetworkDown: () => boolean;
  log: (line: string) => void;
  /** Serves other paths first (the sandbox page and its control API); answers false to leave the request to the Bot API routes. */
  extension?: HttpExtension;
}

export type HttpExtension = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

const MAX_BODY_BYTES = 60 * 1024 * 1024;

/**
 * In form posts every value is a string. These keys carry JSON objects/arrays (TBA json-decodes them),
 * integers or booleans; decoding them here gives handlers and call records the same shapes a JSON
 * request would have.
 */
export const JSON_KEYS: ReadonlySet<string> = new Set([
  'reply_markup', 'reply_parameters', 'entities', 'caption_entities', 'message_ids', 'media', 'allowed_updates',
  'link_preview_options', 'commands', 'scope', 'menu_button', 'reaction', 'results', 'permissions', 'rights',
]);
const INT_KEYS = new Set([
  'chat_id', 'from_chat_id', 'message_id', 'message_thread_id', 'reply_to_message_id', 'offset', 'limit', 'timeout',
  'max_connections', 'icon_color', 'user_id', 'cache_time', 'duration', 'width', 'height', 'until_date',
  'video_start_timestamp', 'length',
]);
const BOOL_KEYS = new Set([
  'disable_notification', 'protect_content', 'allow_sending_without_reply', 'drop_pending_updates', 'show_alert',
  'disable_web_page_preview', 'is_big', 'remove_caption', 'show_caption_above_media', 'has_spoiler',
  'disable_content_type_detection', 'supports_streaming', 'allow_paid_broadcast', 'only_if_banned',
]);

export function decodeFormValue(key: string, value: string): unknown {
  if (JSON_KEYS.has(key)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  if (INT_KEYS.has(key) && /^-?\d{1,17}$/.test(value.trim())) return Number(value.trim());
  if (BOOL_KEYS.has(key)) {
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0' || v === '') return false;
  }
  return value;
}

/** Minimal multipart/form-data reader for fully buffered bodies (uploads in tests are small). */
export function parseMultipart(body: Buffer, boundary: string): { fields: Record<string, string>; files: UploadedFile[] } {
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing delimiter
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) break;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) break;
    const headers = body.subarray(start, headerEnd).toString('utf8');
    const data = body.subarray(headerEnd + 4, next);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim();
    if (name !== undefined) {
      if (filename !== undefined) {
        files.push({ field: name, filename, mimeType: contentType ?? 'application/octet-stream', data: Buffer.from(data) });
      } else {
        fields[name] = data.toString('utf8');
      }
    }
    pos = next + 2;
  }
  return { fields, files };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length), ...headers });
  res.end(data);
}

const notFound = { ok: false, error_code: 404, description: 'Not Found' };

/** Plain-HTTP Bot API transport: `/bot<token>/<method>` and `/file/bot<token>/<path>`. */
export class EmulatorHttpServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly handlers: HttpHandlers) {
    this.server = http.createServer((req, res) => {
      void this.onRequest(req, res);
    });
    this.server.keepAliveTimeout = 5_000;
    this.server.on('connection', (socket: Socket) => {
      if (this.handlers.isNetworkDown()) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Simulates a network cut: every open connection (pending long polls included) is reset. */
  destroySockets(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.destroySockets();
      this.server.closeAllConnections?.();
    });
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.handlers.isNetworkDown()) {
      req.socket.destroy();
      return;
    }
    if (this.handlers.extension && (await this.handlers.extension(req, res))) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) {
      req.resume();
      const { status, data, contentType } = this.handlers.file(fileMatch[1], decodeURIComponent(fileMatch[2]));
      if (status !== 200) {
        sendJson(res, status, status === 401 ? { ok: false, error_code: 401, description: 'Unauthorized' } : notFound);
        return;
      }
      res.writeHead(200, { 'content-type': contentType, 'content-length': String(data.length) });
      res.end(data);
      return;
    }
    const match = /^\/bot([^/]*)\/([^/]*)\/?$/.exec(url.pathname);
    if (!match) {
      req.resume();
      sendJson(res, 404, notFound);
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      sendJson(res, 413, { ok: false, error_code: 413, description: 'Request Entity Too Large' });
      return;
    }

    const params: Record<string, unknown> = {};
    const files = new Map<string, UploadedFile>();
    for (const [k, v] of url.searchParams) params[k] = decodeFormValue(k, v);
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    try {
      if (body.length > 0 && contentType.startsWith('application/json')) {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) Object.assign(params, parsed);
      } else if (body.length > 0 && contentType.startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = decodeFormValue(k, v);
      } else if (contentType.startsWith('multipart/form-data')) {
        const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
        const parsed = parseMultipart(body, (boundary?.[1] ?? boundary?.[2] ?? '').trim());
        for (const [k, v] of Object.entries(parsed.fields)) params[k] = decodeFormValue(k, v);
        for (const f of parsed.files) files.set(f.field, f);
      }
    } catch {
      sendJson(res, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON encoded request body" });
      return;
    }

    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const answer = await this.handlers.api({
        token: match[1],
        method: match[2],
        params,
        files,
        signal: controller.signal,
      });
      sendJson(res, answer.status, answer.body, answer.headers);
    } catch (err) {
      this.handlers.log(`emulator: unexpected error: ${(err as Error).stack ?? String(err)}`);
      sendJson(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    }
  }
}
