import { ConfigError, loadConfig } from '../config/app-config';

/** The AI part of the configuration (src/config/app-config.ts). */
describe('AI configuration', () => {
  const valid = { BOT_TOKEN: '123:abc', SUPPORT_CHAT_ID: '-1001234567890' };

  it('has defaults that keep agents in control', () => {
    const config = loadConfig(valid);
    expect(config.openaiApiKey).toBe('');
    expect(config.aiAnswerMode).toBe('draft');
    expect(config.aiTitleBudgetMs).toBe(1500);
    expect(config.openaiTimeoutMs).toBe(15_000);
    expect(config.knowledgeDir).toMatch(/knowledge$/);
  });

  it('accepts durations with units', () => {
    const config = loadConfig({ ...valid, AI_TITLE_BUDGET_MS: '2s', OPENAI_TIMEOUT_MS: '20000', AI_ANSWER_MODE: 'AUTO' });
    expect(config.aiTitleBudgetMs).toBe(2000);
    expect(config.openaiTimeoutMs).toBe(20_000);
    expect(config.aiAnswerMode).toBe('auto');
  });

  it('names every bad AI variable', () => {
    try {
      loadConfig({
        ...valid,
        OPENAI_API_KEY: 'sk-x',
        OPENAI_BASE_URL: 'localhost:11434',
        AI_ANSWER_MODE: 'sometimes',
        AI_TITLE_BUDGET_MS: 'soon',
        OPENAI_TIMEOUT_MS: '100',
        KNOWLEDGE_DIR: 'no/such/folder',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).message;
      expect(text).toContain('OPENAI_BASE_URL must be an http(s) URL');
      expect(text).toContain('AI_ANSWER_MODE must be one of off, draft, auto');
      expect(text).toContain('AI_TITLE_BUDGET_MS must be a duration');
      expect(text).toContain('OPENAI_TIMEOUT_MS must be a duration');
      // Reported only because it would be used (a key, and answers not off).
      expect(text).toContain('KNOWLEDGE_DIR not found');
    }
    expect(() => loadConfig({ ...valid, OPENAI_API_KEY: 'sk-x', AI_ANSWER_MODE: 'off', KNOWLEDGE_DIR: 'no/such/folder' })).not.toThrow();
    expect(() => loadConfig({ ...valid, KNOWLEDGE_DIR: 'no/such/folder' })).not.toThrow();
  });
});
