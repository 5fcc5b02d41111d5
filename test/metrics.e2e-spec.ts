import { MetricsServer } from '../src/operations/metrics-server';
import { TestDesk, ackFor, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** A metric's value in Prometheus' text format (`name{labels} value`), or undefined when the line is missing. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const portOf = (desk: TestDesk) => (desk.app.getHttpServer().address() as { port: number }).port;

describe('/metrics (Prometheus)', () => {
  describe('on the app port', () => {
    let desk: TestDesk;
    beforeAll(async () => (desk = await startDesk()));
    afterAll(() => desk?.close());
    afterEach(() => desk.emu.clearFaults());

    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${portOf(desk)}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    /** Scrapes until `ready` holds (the app records a call once Telegram's answer is back, a moment after the emulator shows it). */
    const scrapeUntil = async (ready: (text: string) => boolean) => {
      let text = await scrape();
      for (let i = 0; i < 50 && !ready(text); i++) {
        await sleep(100);
        text = await scrape();
      }
      return text;
    };

    it('counts one acknowledgement for one ticket and shows the group backlog while the topic is held, then its drain', async () => {
      const { emu } = desk;
      const group = `{group="${emu.supportChatId}"}`;
      const before = await scrape();
      expect(sample(before, 'helpdesk_ack_seconds_count')).toBe(0);
      expect(sample(before, 'helpdesk_tickets_open')).toBe(0);

      emu.setFault('createForumTopic', { latencyMs: 3000 });
      const customer = emu.createUser({ first_name: 'Mira', language_code: 'en' });
      await chooseCategory(emu, customer);
      emu.userSendText(customer.id, 'the scanner eats my documents');
      await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });

      // The topic is still being created: the customer's message waits for the group.
      const held = await scrapeUntil((text) => sample(text, 'helpdesk_ack_seconds_count') === 1 && sample(text, `helpdesk_group_backlog${group}`) === 1);
      expect(sample(held, 'helpdesk_ack_seconds_count')).toBe(1);
      expect(sample(held, `helpdesk_group_backlog${group}`)).toBe(1);
      expect(sample(held, 'helpdesk_tickets_open')).toBe(1);
      expect(sample(held, 'helpdesk_tickets_waiting')).toBe(1);
      expect(sample(held, 'helpdesk_topic_lag_seconds_count')).toBe(0);

      const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.includes('scanner')), { what: 'the topic', timeoutMs: 15_000 });
      await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === 'the scanner eats my documents'), { what: 'the copy' });
      const drained = await scrapeUntil((text) => sample(text, `helpdesk_group_backlog${group}`) === 0);
      expect(sample(drained, 'helpdesk_ack_seconds_count')).toBe(1);
      expect(sample(drained, `helpdesk_group_backlog_oldest_seconds${group}`)).toBe(0);
      expect(sample(drained, 'helpdesk_topic_lag_seconds_count')).toBe(1);
      // /start and the message; the language and topic buttons.
      expect(sample(drained, 'helpdesk_updates_total{type="message:text",outcome="handled"}')).toBe(2);
      expect(sample(drained, 'helpdesk_updates_total{type="callback_query",outcome="handled"}')).toBeGreaterThanOrEqual(2);
      expect(sample(drained, 'helpdesk_update_handling_seconds_count{type="message:text"}')).toBe(2);
      expect(sample(drained, 'helpdesk_telegram_calls_total{method="createForumTopic",outcome="ok"}')).toBe(1);
      expect(sample(drained, 'helpdesk_telegram_429_total')).toBe(0);
      expect(sample(drained, 'helpdesk_jobs_waiting{queue="ticket.sync"}')).toBe(0);
      // Without OPENAI_API_KEY the model is never asked.
      expect(drained).not.toMatch(/^helpdesk_ai_requests_total\{/m);
      // The default Node process metrics.
      expect(sample(drained, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(drained).toMatch(/^nodejs_eventloop_lag_seconds /m);
    });

    it('counts a 429 by method and class', async () => {
      const { emu } = desk;
      emu.setFault('sendMessage', { failNext: { count: 1, code: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 } });
      const customer = emu.createUser({ first_name: 'Nils', language_code: 'en' });
      emu.userSendText(customer.id, '/start');
      await emu.waitFor(() => emu.callRecords('sendMessage').filter((c) => c.params.chat_id === customer.id && c.ok).length > 0, { what: 'the greeting' });
      const text = await scrapeUntil((t) => sample(t, 'helpdesk_telegram_429_total') === 1);
      expect(sample(text, 'helpdesk_telegram_429_total')).toBe(1);
      expect(sample(text, 'helpdesk_telegram_calls_total{method="sendMessage",outcome="retry-after"}')).toBe(1);
    });
  });

  it('moves to METRICS_PORT, leaving the app port without it', async () => {
    const desk = await startDesk({ env: { METRICS_PORT: '0' } });
    try {
      expect((await fetch(`http://127.0.0.1:${portOf(desk)}/metrics`)).status).toBe(404);
      const port = desk.app.get(MetricsServer).port;
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^helpdesk_ack_seconds_count 0$/m);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
    } finally {
      await desk.close();
    }
  });

  it('is not served with METRICS_PORT=off', async () => {
    const desk = await startDesk({ env: { METRICS_PORT: 'off' } });
    try {
      expect((await fetch(`http://127.0.0.1:${portOf(desk)}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${portOf(desk)}/health`)).status).toBe(200);
    } finally {
      await desk.close();
    }
  });
});
