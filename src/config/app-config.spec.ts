import { dirname, join } from 'node:path';
import { ConfigError, loadConfig, parseDuration } from './app-config';

const valid = { BOT_TOKEN: '123:abc', SUPPORT_CHAT_ID: '-1001234567890' };

describe('loadConfig', () => {
  it('accepts the two required variables and fills the defaults', () => {
    const config = loadConfig(valid);
    expect(config.supportChatId).toBe(-1001234567890);
    expect(config.telegramApiRoot).toBe('https://api.telegram.org');
    expect(config.botMode).toBe('polling');
    expect(config.databaseUrl).toBe('');
    expect(config.autoCloseAfterMs).toBe(48 * 3_600_000);
  });

  it('names every missing or bad variable at once', () => {
    try {
      loadConfig({ SUPPORT_CHAT_ID: '12345', BOT_MODE: 'push' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).message;
      expect(text).toContain('BOT_TOKEN is required');
      expect(text).toContain('SUPPORT_CHAT_ID must be a supergroup id');
      expect(text).toContain('BOT_MODE must be "polling" or "webhook"');
    }
  });

  it('requires a URL and a secret in webhook mode', () => {
    expect(() => loadConfig({ ...valid, BOT_MODE: 'webhook' })).toThrow(/WEBHOOK_URL is required.*WEBHOOK_SECRET is required/);
    expect(loadConfig({ ...valid, BOT_MODE: 'webhook', WEBHOOK_URL: 'https://x.example/hook', WEBHOOK_SECRET: 's3cr_t' }).botMode).toBe(
      'webhook',
    );
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('logs JSON in production and readable lines otherwise, unless LOG_FORMAT says', () => {
    expect(loadConfig({ ...valid, NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig(valid).logFormat).toBe('pretty');
    expect(loadConfig({ ...valid, NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ ...valid, LOG_FORMAT: 'JSON' }).logFormat).toBe('json');
    expect(() => loadConfig({ ...valid, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be json or pretty/);
  });

  it('serves /metrics on the app port, on a port of its own, or not at all', () => {
    expect(loadConfig(valid).metrics).toEqual({ enabled: true, port: null });
    expect(loadConfig({ ...valid, METRICS_PORT: '9464' }).metrics).toEqual({ enabled: true, port: 9464 });
    expect(loadConfig({ ...valid, PORT: '9464', METRICS_PORT: '9464' }).metrics).toEqual({ enabled: true, port: null });
    expect(loadConfig({ ...valid, METRICS_PORT: 'off' }).metrics).toEqual({ enabled: false, port: null });
    expect(() => loadConfig({ ...valid, METRICS_PORT: 'soon' })).toThrow(/METRICS_PORT must be a port number or "off"/);
  });

  it('keeps updates 7 days and ticket texts forever by default, and refuses retention too short to be safe', () => {
    const config = loadConfig(valid);
    expect(config.updateRetentionMs).toBe(7 * 86_400_000);
    expect(config.ticketRetentionMs).toBe(0);
    expect(loadConfig({ ...valid, TICKET_RETENTION: '90d' }).ticketRetentionMs).toBe(90 * 86_400_000);
    expect(() => loadConfig({ ...valid, UPDATE_RETENTION: '2h' })).toThrow(/UPDATE_RETENTION must be a duration of at least 1d/);
    expect(() => loadConfig({ ...valid, TICKET_RETENTION: 'never' })).toThrow(/TICKET_RETENTION must be a duration of at least 1h/);
    expect(() => loadConfig({ ...valid, READY_MAX_BACKLOG: '-1' })).toThrow(/READY_MAX_BACKLOG must be a whole number/);
  });

  describe('the team', () => {
    it("by default: the group's administrators act as agents, the first-response reminder after 30 minutes, at most 5 tickets an hour", () => {
      const config = loadConfig(valid);
      expect(config.agentIds).toBeNull();
      expect(config.agentsRefreshMs).toBe(5 * 60_000);
      expect(config.slaFirstResponseMs).toBe(30 * 60_000);
      expect(config.maxTicketsPerHour).toBe(5);
      expect(config.readyAnswersFile).toBe(join(dirname(config.categoriesFile), 'answers.md'));
    });

    it('AGENT_IDS: exactly the listed user ids, comma-separated, spaces allowed', () => {
      expect(loadConfig({ ...valid, AGENT_IDS: '42' }).agentIds).toEqual([42]);
      expect(loadConfig({ ...valid, AGENT_IDS: ' 111, 222 ,333 ' }).agentIds).toEqual([111, 222, 333]);
      expect(loadConfig({ ...valid, AGENT_IDS: '' }).agentIds).toBeNull();
    });

    it('AGENT_IDS: refuses anything but user ids, naming the value', () => {
      expect(() => loadConfig({ ...valid, AGENT_IDS: '111,bob' })).toThrow(/AGENT_IDS must be a comma-separated list of Telegram user ids, got "111,bob"/);
      expect(() => loadConfig({ ...valid, AGENT_IDS: '-1001234567890' })).toThrow(/AGENT_IDS must be/);
      expect(() => loadConfig({ ...valid, AGENT_IDS: ',' })).toThrow(/AGENT_IDS must be/);
      expect(() => loadConfig({ ...valid, AGENT_IDS: '1.5' })).toThrow(/AGENT_IDS must be/);
    });

    it('SLA_FIRST_RESPONSE: a duration, or off (any case) for no reminder', () => {
      expect(loadConfig({ ...valid, SLA_FIRST_RESPONSE: '2h' }).slaFirstResponseMs).toBe(2 * 3_600_000);
      expect(loadConfig({ ...valid, SLA_FIRST_RESPONSE: 'off' }).slaFirstResponseMs).toBe(0);
      expect(loadConfig({ ...valid, SLA_FIRST_RESPONSE: 'OFF' }).slaFirstResponseMs).toBe(0);
      expect(() => loadConfig({ ...valid, SLA_FIRST_RESPONSE: 'never' })).toThrow(/SLA_FIRST_RESPONSE must be a duration like 30m or 2h, or "off", got "never"/);
      expect(() => loadConfig({ ...valid, SLA_FIRST_RESPONSE: '500ms' })).toThrow(/SLA_FIRST_RESPONSE must be/);
    });

    it('MAX_TICKETS_PER_HOUR: a whole number, 0 for no limit', () => {
      expect(loadConfig({ ...valid, MAX_TICKETS_PER_HOUR: '2' }).maxTicketsPerHour).toBe(2);
      expect(loadConfig({ ...valid, MAX_TICKETS_PER_HOUR: '0' }).maxTicketsPerHour).toBe(0);
      expect(() => loadConfig({ ...valid, MAX_TICKETS_PER_HOUR: '-1' })).toThrow(/MAX_TICKETS_PER_HOUR must be a whole number \(0: no limit\)/);
      expect(() => loadConfig({ ...valid, MAX_TICKETS_PER_HOUR: '2.5' })).toThrow(/MAX_TICKETS_PER_HOUR must be/);
    });
  });
});
