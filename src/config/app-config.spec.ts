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
});
