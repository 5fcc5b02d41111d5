import { existsSync, readFileSync, statSync } from 'node:fs';
import type * as http from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { BotApiEmulator } from '../emulator';
import { HttpError, sendJson } from './http';

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** A file of the built page under `root`; paths that leave it are not found. */
export function serveStatic(res: http.ServerResponse, root: string | undefined, relative: string): boolean {
  const index = root ? join(root, 'index.html') : '';
  if (!root || !existsSync(index)) {
    const body = 'The sandbox page is not built. Run: npm run sandbox:web (npm run sandbox builds it for you).\n';
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
    return true;
  }
  const file = normalize(join(root, relative));
  if (!file.startsWith(normalize(root) + sep) || !existsSync(file) || !statSync(file).isFile()) {
    sendJson(res, 404, { ok: false, error: `not found: /${relative}` });
    return true;
  }
  const data = readFileSync(file);
  const cache = relative.startsWith('assets/') ? 'max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { 'content-type': STATIC_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(data.length), 'cache-control': cache });
  res.end(data);
  return true;
}

/** A file's bytes as the page shows them: an uploaded picture as it is, anything else drawn. */
export function serveFile(res: http.ServerResponse, emu: BotApiEmulator, fileId: string): void {
  const file = emu.fileContent(fileId);
  if (!file) throw new HttpError(404, `no file ${fileId}`);
  const type = file.bytes ? sniffImage(file.bytes) : undefined;
  if (file.bytes && type) {
    res.writeHead(200, { 'content-type': type, 'content-length': String(file.bytes.length), 'cache-control': 'max-age=86400, immutable' });
    res.end(file.bytes);
    return;
  }
  // A generated file has no picture: draw one, tinted by its id so that two photos look different.
  const hue = [...fileId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
  const label = file.kind === 'photo' ? 'photo' : file.kind;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">` +
    `<rect width="320" height="240" fill="hsl(${hue},45%,78%)"/>` +
    `<path d="M40 190 L120 100 L175 160 L215 120 L280 190 Z" fill="hsl(${hue},40%,55%)"/>` +
    `<circle cx="235" cy="70" r="22" fill="hsl(${(hue + 40) % 360},70%,88%)"/>` +
    `<text x="160" y="222" font-family="sans-serif" font-size="15" text-anchor="middle" fill="hsl(${hue},35%,30%)">emulated ${label}</text></svg>`;
  res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400, immutable' });
  res.end(svg);
}

/** The picture's type from its first bytes, or undefined when it is none of the four Telegram shows. */
export function sniffImage(b: Buffer): string | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && b.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}
