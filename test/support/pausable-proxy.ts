import { AddressInfo, Server, Socket, createServer, connect } from 'node:net';

/**
 * A TCP proxy in front of a server (PostgreSQL) that can stop forwarding bytes without closing
 * anything: a hung server or a network partition as the client sees it. Connections stay open, writes
 * are accepted into the kernel's buffers, and no answer comes; new connections are accepted and get no
 * answer either. `resume()` forwards what waited, in order, as a healed partition does.
 */
export class PausableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Sockets held because the other side's buffer is full: only its drain lets them go. */
  private readonly held = new Set<Socket>();
  private paused = false;

  private constructor(
    private readonly target: { host: string; port: number },
  ) {
    // Not read until the upstream side is connected (and the proxy not paused).
    this.server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
  }

  /** A proxy on a free local port in front of `url`'s host and port; `url` is the address to give the app. */
  static async start(url: string): Promise<{ proxy: PausableProxy; url: string }> {
    const parsed = new URL(url);
    const proxy = new PausableProxy({ host: parsed.hostname, port: Number(parsed.port || 5432) });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    parsed.hostname = '127.0.0.1';
    parsed.port = String((proxy.server.address() as AddressInfo).port);
    return { proxy, url: parsed.toString() };
  }

  /** Stops forwarding in both directions; every connection stays open. */
  pause(): void {
    this.paused = true;
    for (const socket of this.sockets) socket.pause();
  }

  resume(): void {
    this.paused = false;
    for (const socket of this.sockets) if (!this.held.has(socket)) socket.resume();
  }

  /** Connections open through the proxy now (both sides count as one). */
  get connections(): number {
    return this.sockets.size / 2;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target);
    upstream.pause();
    const pair = [client, upstream] as const;
    for (const socket of pair) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.held.delete(socket);
        for (const other of pair) other.destroy();
      });
    }
    this.forward(client, upstream);
    this.forward(upstream, client);
    upstream.once('connect', () => {
      if (!this.paused) for (const socket of pair) socket.resume();
    });
  }

  /** Bytes from `from` to `to`, holding `from` while `to` is full; a resume never overrides that hold. */
  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk) => {
      if (to.write(chunk)) return;
      this.held.add(from);
      from.pause();
    });
    to.on('drain', () => {
      this.held.delete(from);
      if (!this.paused) from.resume();
    });
  }
}
