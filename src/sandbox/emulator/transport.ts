import type { EmulatorCore } from './core';
import { EmulatorHttpServer, type ApiRequest, type ApiResponse, type HttpExtension } from './http-server';
import type { WebhookSettings } from './methods';
import { WebhookDeliverer } from './webhook';

/** How the bot reaches the emulator and back: the HTTP server, file downloads, and webhook delivery. */
export class Transport {
  root = '';
  private extension?: HttpExtension;

  constructor(
    private readonly core: EmulatorCore,
    private readonly api: (req: ApiRequest) => Promise<ApiResponse>,
  ) {}

  async start(port: number, host: string): Promise<string> {
    const { core } = this;
    if (core.server) return this.root;
    const server = new EmulatorHttpServer({
      api: (req) => this.api(req),
      file: (token, path) => this.serveFile(token, path),
      isNetworkDown: () => core.networkDown,
      log: core.log,
      extension: (req, res) => this.extension?.(req, res) ?? false,
    });
    const actualPort = await server.listen(port, host);
    core.server = server;
    this.root = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    core.log(`emulator: listening on ${this.root}`);
    return this.root;
  }

  async close(): Promise<void> {
    const server = this.core.server;
    this.core.server = undefined;
    if (server) await server.close();
  }

  useHttpExtension(handler: HttpExtension | undefined): void {
    this.extension = handler;
  }

  installWebhook(settings: WebhookSettings): void {
    const { core } = this;
    core.webhook?.stop();
    core.webhook = new WebhookDeliverer(settings, core.queue, core.retry, {
      log: core.log,
      onDelivered: (id) => {
        core.delivered.push(id);
        core.changed();
      },
      onChange: () => core.changed(),
      onReplyCall: (method, params) => {
        void this.api({ token: core.token, method, params, files: new Map(), signal: new AbortController().signal });
      },
      isPaused: () => core.networkDown,
    });
    core.webhook.pump();
  }

  removeWebhook(): void {
    this.core.webhook?.stop();
    this.core.webhook = undefined;
  }

  private serveFile(token: string, path: string): { status: number; data: Buffer; contentType: string } {
    if (token !== this.core.token) return { status: 401, data: Buffer.alloc(0), contentType: '' };
    for (const f of this.core.world.files.values()) {
      if (f.filePath === path) {
        const data = f.bytes ?? Buffer.from(`emulated ${f.kind} ${f.fileId}`.padEnd(Math.min(f.size, 4096), '.'));
        const mime = (Array.isArray(f.descriptor) ? undefined : f.descriptor.mime_type) as string | undefined;
        return { status: 200, data, contentType: mime ?? (f.kind === 'photo' ? 'image/jpeg' : 'application/octet-stream') };
      }
    }
    return { status: 404, data: Buffer.alloc(0), contentType: '' };
  }
}
