/**
 * A fake OpenAI-compatible server for tests and the sandbox. Typical use:
 *
 *   const fake = new FakeOpenAI({ apiKey: 'sk-test' });
 *   const baseURL = await fake.start();      // http://127.0.0.1:PORT/v1 → OPENAI_BASE_URL
 *   fake.setLatency(2000); fake.setMode('error500'); fake.setResponder((req) => 'A title');
 *   fake.requests();                         // what the bot asked
 *   await fake.stop();
 */
export { FakeOpenAI, defaultResponder, fakeAnswer, fakeTitle, hostileOutput } from './fake-openai';
export type { ChatMessage, ChatRequest, FakeOpenAIMode, FakeResponder } from './fake-openai';
