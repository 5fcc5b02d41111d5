import OpenAI from 'openai';
import { fakeAnswer, FakeOpenAI, fakeTitle } from './fake-openai';

describe('FakeOpenAI', () => {
  const fake = new FakeOpenAI({ apiKey: 'sk-fake-test' });
  let openai: OpenAI;

  beforeAll(async () => {
    const baseURL = await fake.start();
    openai = new OpenAI({ apiKey: 'sk-fake-test', baseURL, maxRetries: 0, timeout: 2000 });
  });
  afterAll(() => fake.stop());

  it('serves the OpenAI shapes to the official SDK', async () => {
    const models = await openai.models.list();
    expect(models.data[0].id).toBe('fake-model');
    fake.setResponder(() => 'hello');
    const completion = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    fake.setResponder(null);
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0].message.content).toBe('hello');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(fake.requests().at(-1)).toMatchObject({ model: 'm', user: 'hi', status: 200 });
  });

  it('refuses a wrong key with 401', async () => {
    const wrong = new OpenAI({ apiKey: 'nope', baseURL: fake.baseUrl, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it('titles and answers deterministically from the prompt contract', () => {
    expect(fakeTitle('my app crashes on start. Please help!', 'en')).toBe('My app crashes on start');
    const excerpts = ['## Refund\n\nRefunds take 5 to 10 business days after we confirm the refund.'];
    expect(fakeAnswer('How many days does a refund take?', excerpts, 'en')).toEqual({
      covered: true,
      answer: 'Refunds take 5 to 10 business days after we confirm the refund.',
    });
    expect(fakeAnswer('My cat ate the router', excerpts, 'ru').covered).toBe(false);
  });
});
