import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { Browser, chromium, Locator, Page } from 'playwright-core';
import { ensureWebAssets, PROJECT_ROOT, Sandbox, startSandbox } from '../src/sandbox/sandbox';
import { createTestDatabase } from './support/database';

/**
 * The sandbox page in real Chromium (Debian's package, driven by playwright-core): a person's walk
 * through the whole desk, from /start to a closed ticket, with both sides on one page.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACT = join(PROJECT_ROOT, 'test/artifacts/sandbox.png');
const STEP = { timeout: 15_000 };

describe('sandbox page (real Chromium, the real bot, the Bot API emulator)', () => {
  let database: { url: string; drop(): Promise<void> };
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    ensureWebAssets();
    database = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, databaseUrl: database.url, customers: [], logLevels: process.env.TEST_LOGS ? undefined : ['fatal', 'error'] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    await database?.drop();
  });

  const customerPane = () => page.getByTestId('customer-messages');
  const topicPane = () => page.getByTestId('topic-messages');
  const button = (pane: Locator, label: string | RegExp) => pane.locator('.kb-button', { hasText: label }).last();

  it('goes from /start to a closed ticket, customer and agent side by side', async () => {
    try {
      await page.goto(sandbox.url);
      await page.locator('.status.live').waitFor(STEP);

      // A new customer, with a chosen name and language.
      await page.getByTestId('add-customer').click();
      await page.getByTestId('new-first-name').fill('Maria');
      await page.getByTestId('new-language').selectOption('en');
      await page.getByTestId('new-submit').click();
      await page.locator('.tab.selected', { hasText: 'Maria' }).waitFor(STEP);

      // /start, language, category.
      await page.getByTestId('start').click();
      await button(customerPane(), 'English').click(STEP);
      await button(customerPane(), 'Something else').click(STEP);
      await customerPane().getByText(/Describe your problem/).waitFor(STEP);

      // The first message: the acknowledgement in the customer's chat, the topic with the copy in the forum.
      const problem = 'My parcel <b>#1234</b> has not arrived & the tracking page is empty';
      await page.getByTestId('customer-input').fill(problem);
      await page.getByTestId('customer-input').press('Enter');
      await customerPane().getByText(/Thank you for your request/).waitFor(STEP);
      expect(await customerPane().locator('.msg.mine .text', { hasText: problem }).count()).toBe(1); // shown as text, not markup

      const topic = page.locator('[data-testid=topic]:not([data-thread="0"])').first();
      await topic.waitFor(STEP);
      await topic.click();
      const copy = topicPane().locator('.msg', { hasText: problem });
      await copy.waitFor(STEP);

      // A picture from disk: shown in the chat, copied into the topic.
      await page.getByTestId('customer-photo').setInputFiles({ name: 'parcel.png', mimeType: 'image/png', buffer: picture(160, 120) });
      await expectLoadedImage(customerPane().locator('.photo img').last());
      await expectLoadedImage(topicPane().locator('.photo img').last());

      // An internal note stays in the group; the answer, as a reply to the customer's message, reaches the customer.
      await sendAsAgent('// checked the courier: the parcel is at the depot');
      await topicPane().locator('.bubble.note', { hasText: 'checked the courier' }).waitFor(STEP);
      await copy.hover();
      await copy.locator('.reply-action').click();
      await page.locator('.reply-bar', { hasText: 'has not arrived' }).waitFor(STEP);
      const answer = 'Hello Maria! Your parcel is at the depot and will be delivered tomorrow.';
      await sendAsAgent(answer);
      await topicPane().locator('.msg.mine', { hasText: answer }).locator('.quote', { hasText: 'has not arrived' }).waitFor(STEP);
      await customerPane().getByText(answer).waitFor(STEP);

      // The agent closes the ticket: the topic shows it closed, the customer is told.
      await page.getByTestId('close-ticket').click();
      await page.getByTestId('topic-state').getByText('closed').waitFor(STEP);
      await customerPane().getByText(/closed/).waitFor(STEP);
      expect(await customerPane().getByText('checked the courier').count()).toBe(0);
      expect(pageErrors).toEqual([]);
    } finally {
      mkdirSync(join(PROJECT_ROOT, 'test/artifacts'), { recursive: true });
      await page?.screenshot({ path: ARTIFACT }).catch(() => undefined);
    }
  }, 120_000);

  it('answers bad control requests with a clear error', async () => {
    const post = (path: string, body: unknown, type = 'application/json') =>
      fetch(`${sandbox.url}_sandbox/${path}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const customer = sandbox.control.addCustomer({ first_name: 'Probe' });

    let response = await post(`customers/${customer.id}/text`, { text: '' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ ok: false, error: 'text must be a non-empty string' });
    response = await post('customers/1/text', { text: 'hi' });
    expect(response.status).toBe(404);
    response = await post(`customers/${customer.id}/photo`, 'not a picture', 'image/png');
    expect(response.status).toBe(415);
    response = await post('customers', { first_name: 'X', username: 'no spaces allowed' });
    expect(response.status).toBe(400);
    response = await fetch(`${sandbox.url}_sandbox/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rate_429: 2 }) });
    expect(await response.json()).toEqual({ ok: false, error: 'rate_429 must be between 0 and 1' });
    response = await fetch(`${sandbox.url}_sandbox/nothing`);
    expect(response.status).toBe(404);
  });

  async function sendAsAgent(text: string): Promise<void> {
    await page.getByTestId('agent-input').fill(text);
    await page.getByTestId('agent-input').press('Enter');
  }

  async function expectLoadedImage(image: Locator): Promise<void> {
    await image.waitFor(STEP);
    const deadline = Date.now() + STEP.timeout;
    const loaded = () => image.evaluate((node) => (node as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0);
    while (!(await loaded())) {
      if (Date.now() > deadline) throw new Error('the picture did not load');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

/** A small PNG (a sky-to-sand gradient), as a customer's picture from disk. */
function picture(width: number, height: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const t = y / height;
      row[1 + x * 3] = Math.round(90 + 150 * t);
      row[2 + x * 3] = Math.round(160 + 40 * t);
      row[3 + x * 3] = Math.round(230 - 120 * t + (x % 40 < 20 ? 10 : 0));
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
