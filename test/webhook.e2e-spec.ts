import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BotApiEmulator, TgUser } from '../src/sandbox/emulator';
import { createTestDatabase } from './support/database';
import { TestDesk, ackFor, botMessages, chooseCategory, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const SECRET = 'test-webhook-secret_123';
const PATH = '/telegram/webhook';

/**
 * A load balancer in front of the instances: round robin, and every third update is also sent to the
 * other instance (a retry after a lost response, say), so both instances really see the same update.
 */
class LoadBalancer {
  readonly server: Server;
  private next = 0;
  private count = 0;
  mirrored = 0;

  constructor(private readonly backends: () => number[]) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const ports = this.backends();
        // While the instances stop at the end, Telegram keeps delivering: with none left, it is told to retry.
        if (!ports.length) {
          res.writeHead(503).end();
          return;
        }
        const primary = ports[this.next++ % ports.length];
        const mirror = ++this.count % 3 === 0 ? ports.find((p) => p !== primary) : undefined;
        const forwards = [forward(primary, req.url ?? '/', req.headers, body)];
        if (mirror) {
          this.mirrored++;
          forwards.push(forward(mirror, req.url ?? '/', req.headers, body));
        }
        const [first] = await Promise.all(forwards);
        res.writeHead(first.status, { 'content-type': 'application/json' }).end(first.body);
      });
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)));
  }
}

function forward(port: number, path: string, headers: Record<string, unknown>, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: headers as Record<string, string> }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks) }));
    });
    req.on('error', () => resolve({ status: 502, body: Buffer.alloc(0) }));
    req.end(body);
  });
}

describe('webhook mode, two instances on one database', () => {
  let emu: BotApiEmulator;
  let balancer: LoadBalancer;
  let database: { url: string; drop(): Promise<void> };
  const desks: TestDesk[] = [];
  /** Updates of customers' private chats (the group's service messages are not recorded as handled). */
  const customerUpdates = new Set<number>();

  beforeAll(async () => {
    emu = new BotApiEmulator();
    emu.on('update', (update: { update_id: number; message?: { chat: { type: string } }; callback_query?: unknown }) => {
      if (update.callback_query || update.message?.chat.type === 'private') customerUpdates.add(update.update_id);
    });
    await emu.start();
    database = await createTestDatabase();
    // Only instances still listening (one that stopped has no address).
    balancer = new LoadBalancer(() => desks.map((d) => (d.app.getHttpServer().address() as AddressInfo | null)?.port).filter((p): p is number => p !== undefined));
    const lbPort = await balancer.listen();
    const env = { BOT_MODE: 'webhook', WEBHOOK_URL: `http://127.0.0.1:${lbPort}${PATH}`, WEBHOOK_SECRET: SECRET };
    desks.push(await startDesk({ emu, databaseUrl: database.url, env }));
    desks.push(await startDesk({ emu, databaseUrl: database.url, env }));
  });

  afterAll(async () => {
    for (const desk of desks) await desk.close();
    balancer?.server.close();
    await emu?.stop();
    await database?.drop();
  });

  it('handles each update once and opens one topic per ticket', async () => {
    const users: TgUser[] = Array.from({ length: 10 }, (_, i) => emu.createUser({ first_name: `Hook${i}`, language_code: 'en' }));
    await Promise.all(users.map((user) => chooseCategory(emu, user)));
    users.forEach((user, i) => {
      emu.userSendText(user.id, `webhook ${i} first`);
      emu.userSendText(user.id, `webhook ${i} second`);
    });
    const topicOf = (i: number) => emu.topics().find((t) => t.name.endsWith(` · webhook ${i} first`));
    const copies = (i: number) =>
      topicMessages(emu, topicOf(i)!.message_thread_id).filter((m) => m.from?.id === emu.botUser.id && /^webhook /.test(m.text ?? ''));
    await emu.waitFor(() => users.every((user, i) => ackFor(emu, user.id) && topicOf(i) && copies(i).length >= 2) || undefined, {
      what: 'all tickets to reach their topics',
      timeoutMs: 30_000,
    });

    expect(balancer.mirrored).toBeGreaterThan(5);
    expect(emu.topics()).toHaveLength(users.length);
    users.forEach((user, i) => {
      expect(copies(i).map((m) => m.text)).toEqual([`webhook ${i} first`, `webhook ${i} second`]);
      expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
      const greetings = emu.callRecords('sendMessage').filter((c) => c.ok && c.params.chat_id === user.id && String(c.params.text).startsWith('Hello'));
      expect(greetings).toHaveLength(1);
    });
    // Every customer update was delivered (some to both instances) and recorded exactly once.
    const recorded = await desks[0].sql<{ update_id: string }>('SELECT update_id FROM telegram_updates');
    expect(recorded.map((r) => Number(r.update_id)).sort()).toEqual([...customerUpdates].sort());
  });

  it('answers 401 to a request without the right secret and changes nothing', async () => {
    const port = (desks[0].app.getHttpServer().address() as AddressInfo).port;
    const user = emu.createUser({ first_name: 'Intruder', language_code: 'en' });
    const update = JSON.stringify({
      update_id: 999_999_999,
      message: { message_id: 1, date: 0, chat: { id: user.id, type: 'private', first_name: 'Intruder' }, from: { ...user }, text: '/start' },
    });
    const before = await desks[0].sql('SELECT * FROM telegram_updates');
    for (const headers of [{}, { 'x-telegram-bot-api-secret-token': 'wrong' }]) {
      const answer = await forward(port, PATH, { 'content-type': 'application/json', ...headers }, Buffer.from(update));
      expect(answer.status).toBe(401);
    }
    expect(await desks[0].sql('SELECT * FROM telegram_updates')).toEqual(before);
    expect(await desks[0].sql('SELECT * FROM customers WHERE id = $1', [user.id])).toEqual([]);
    expect(botMessages(emu, user.id)).toEqual([]);
  });
});
