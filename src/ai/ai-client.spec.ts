import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/app-config';
import { FakeOpenAI } from '../sandbox/fake-openai';
import { Metrics } from '../metrics/metrics.service';
import { AiClient, AiFailure } from './ai-client';
import { titlePrompt } from './prompts';

/** The client against the fake server on loopback: the failure kinds the bot relies on. */
describe('AiClient', () => {
  const fake = new FakeOpenAI({ apiKey: 'sk-unit' });
  let client: AiClient;
  const prompt = titlePrompt({ language: 'en', category: 'Payments', customerText: 'I was charged twice for order 1234' });
  const options = { purpose: 'title' as const, timeoutMs: 300, maxRetries: 0, totalMs: 300, maxTokens: 40 };

  beforeAll(async () => {
    await fake.start();
    client = new AiClient(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001', OPENAI_API_KEY: 'sk-unit', OPENAI_BASE_URL: fake.baseUrl }));
  });
  afterAll(() => fake.stop());
  afterEach(() => {
    fake.setMode('ok');
    fake.setLatency(0);
    jest.restoreAllMocks();
  });

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: AiFailure) => error,
    );

  it('is off without a key', () => {
    expect(new AiClient(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001' })).enabled).toBe(false);
  });

  it('returns the content of a completion', async () => {
    expect(await client.complete(prompt, options)).toBe('I was charged twice for order');
    const [request] = fake.requests().slice(-1);
    expect(request.model).toBe('gpt-4o-mini');
    expect(request.payload).toMatchObject({ task: 'title', customer_message: 'I was charged twice for order 1234' });
  });

  it('classifies timeouts, 500s, refusals, empty answers and a wrong key', async () => {
    fake.setMode('hang');
    expect((await failure(client.complete(prompt, options))).kind).toBe('timeout');
    fake.setMode('error500');
    expect((await failure(client.complete(prompt, options))).kind).toBe('server-error');
    fake.setMode('refuse');
    expect((await failure(client.complete(prompt, options))).kind).toBe('refusal');
    fake.setMode('empty');
    expect((await failure(client.complete(prompt, options))).kind).toBe('empty');
    fake.setMode('ok');
    const wrongKey = new AiClient(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001', OPENAI_API_KEY: 'sk-wrong', OPENAI_BASE_URL: fake.baseUrl }));
    expect((await failure(wrongKey.complete(prompt, options))).kind).toBe('auth');
  });

  it('counts every request by kind and outcome in helpdesk_ai_requests_total', async () => {
    const metrics = new Metrics();
    const counted = new AiClient(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001', OPENAI_API_KEY: 'sk-unit', OPENAI_BASE_URL: fake.baseUrl }), metrics);
    await counted.complete(prompt, options);
    await counted.complete(prompt, { ...options, purpose: 'answer' });
    fake.setMode('error500');
    await failure(counted.complete(prompt, options));
    const text = await metrics.registry.metrics();
    expect(text).toContain('helpdesk_ai_requests_total{kind="title",outcome="ok"} 1');
    expect(text).toContain('helpdesk_ai_requests_total{kind="answer",outcome="ok"} 1');
    expect(text).toContain('helpdesk_ai_requests_total{kind="title",outcome="server-error"} 1');
  });

  it('caps the whole call, retries included', async () => {
    fake.setLatency(1000);
    const started = Date.now();
    const error = await failure(client.complete(prompt, { ...options, timeoutMs: 250, maxRetries: 3, totalMs: 400 }));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('warns once per failure kind, then logs at debug level', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const fresh = new AiClient(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001', OPENAI_API_KEY: 'k' }));
    fresh.report(new AiFailure('timeout', 'no answer in time'), 'ticket #1: AI title');
    fresh.report(new AiFailure('timeout', 'no answer in time'), 'ticket #2: AI title');
    fresh.report(new AiFailure('server-error', 'HTTP 500'), 'ticket #3: AI answer');
    fresh.report(new AiFailure('timeout', 'no answer in time'), 'ticket #4: AI answer');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(debug).toHaveBeenCalledTimes(2);
  });
});
