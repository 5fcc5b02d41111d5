import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AiAnswerMode, AppConfig, BotMode, Language, LANGUAGES, TOPIC_STATUSES, TopicStatus } from './config.types';

export * from './config.types';

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `30m`, `48h`, `7d` or plain milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()];
}

/**
 * Validates the environment and returns the config, or throws a ConfigError that lists every bad
 * variable by name, so that an operator fixes `.env` in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const str = (name: string, fallback = ''): string => (env[name] ?? '').trim() || fallback;

  const botToken = str('BOT_TOKEN');
  if (!botToken) problems.push('BOT_TOKEN is required (the token BotFather gave you)');
  else if (!/^\d+:[\w-]+$/.test(botToken)) problems.push('BOT_TOKEN does not look like a bot token (expected 123456:ABC-...)');

  const supportChatRaw = str('SUPPORT_CHAT_ID');
  const supportChatIds: number[] = [];
  if (!supportChatRaw) problems.push('SUPPORT_CHAT_ID is required (the id of the support supergroup, e.g. -1001234567890)');
  else {
    for (const part of supportChatRaw.split(',').map((p) => p.trim())) {
      if (!/^-100\d+$/.test(part)) problems.push(`SUPPORT_CHAT_ID must be a supergroup id starting with -100 (several: comma-separated), got "${part}"`);
      else if (supportChatIds.includes(Number(part))) problems.push(`SUPPORT_CHAT_ID lists the group ${part} twice`);
      else supportChatIds.push(Number(part));
    }
  }
  const supportChatId = supportChatIds[0] ?? 0;

  const telegramApiRoot = str('TELEGRAM_API_ROOT', 'https://api.telegram.org').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(telegramApiRoot)) problems.push(`TELEGRAM_API_ROOT must be an http(s) URL, got "${telegramApiRoot}"`);

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL must be a postgres:// URL (or unset for the embedded database)');

  const botMode = str('BOT_MODE', 'polling').toLowerCase();
  if (botMode !== 'polling' && botMode !== 'webhook') problems.push(`BOT_MODE must be "polling" or "webhook", got "${botMode}"`);
  const webhookUrl = str('WEBHOOK_URL');
  const webhookSecret = str('WEBHOOK_SECRET');
  if (botMode === 'webhook') {
    if (!/^https?:\/\/[^\s]+$/.test(webhookUrl)) problems.push('WEBHOOK_URL is required in webhook mode (the public https URL Telegram posts to)');
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(webhookSecret))
      problems.push('WEBHOOK_SECRET is required in webhook mode: 1-256 characters of A-Z a-z 0-9 _ -');
  }

  const port = Number(str('PORT', '3000'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be a port number, got "${str('PORT')}"`);

  const language = (name: string, fallback: string): Language => {
    const value = str(name, fallback).toLowerCase();
    if (!(LANGUAGES as readonly string[]).includes(value)) {
      problems.push(`${name} must be one of ${LANGUAGES.join(', ')}, got "${value}"`);
      return 'en';
    }
    return value as Language;
  };
  const defaultLanguage = language('DEFAULT_LANGUAGE', 'ru');
  const supportLanguage = language('SUPPORT_LANGUAGE', defaultLanguage);

  const autoCloseRaw = str('AUTO_CLOSE_AFTER', '48h');
  const autoCloseAfterMs = parseDuration(autoCloseRaw);
  if (autoCloseAfterMs === undefined) problems.push(`AUTO_CLOSE_AFTER must be a duration like 48h or 30m, got "${autoCloseRaw}"`);

  const reopenRaw = str('REOPEN_WINDOW', '24h');
  const reopenWindowMs = parseDuration(reopenRaw);
  if (reopenWindowMs === undefined) problems.push(`REOPEN_WINDOW must be a duration like 24h or 30m, got "${reopenRaw}"`);

  const signatureRaw = str('AGENT_SIGNATURE', 'false').toLowerCase();
  if (!['true', 'false', '1', '0', 'yes', 'no'].includes(signatureRaw)) problems.push(`AGENT_SIGNATURE must be true or false, got "${signatureRaw}"`);

  const categoriesFile = resolve(str('CATEGORIES_FILE', 'catalog/categories.json'));
  if (!existsSync(categoriesFile)) problems.push(`CATEGORIES_FILE not found: ${str('CATEGORIES_FILE', 'catalog/categories.json')}`);

  const dbPoolSize = Number(str('DB_POOL_SIZE', '12'));
  if (!Number.isInteger(dbPoolSize) || dbPoolSize < 2 || dbPoolSize > 200) problems.push('DB_POOL_SIZE must be an integer between 2 and 200');
  const jobConcurrency = Number(str('JOB_CONCURRENCY', '16'));
  if (!Number.isInteger(jobConcurrency) || jobConcurrency < 1 || jobConcurrency > 64)
    problems.push('JOB_CONCURRENCY must be an integer between 1 and 64');

  const rate = (name: string, fallback: string): number => {
    const value = Number(str(name, fallback));
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number, got "${str(name)}"`);
    return value;
  };
  const rateLimits = {
    globalPerSecond: rate('RATE_LIMIT_GLOBAL_PER_SECOND', '30'),
    perChatPerSecond: rate('RATE_LIMIT_CHAT_PER_SECOND', '1'),
    perChatBurst: Math.max(1, Math.floor(rate('RATE_LIMIT_CHAT_BURST', '3'))),
    perGroupPerSecond: rate('RATE_LIMIT_GROUP_PER_SECOND', str('RATE_LIMIT_CHAT_PER_SECOND', '1')),
    perGroupPerMinute: rate('RATE_LIMIT_GROUP_PER_MINUTE', '20'),
  };

  const millis = (name: string, fallback: string, min: number, max: number): number => {
    const raw = str(name, fallback);
    const value = parseDuration(raw);
    if (value === undefined || value < min || value > max)
      problems.push(`${name} must be a duration between ${min} ms and ${max / 1000} s (like 1500 or 2s), got "${raw}"`);
    return value ?? 0;
  };
  const openaiTimeoutMs = millis('OPENAI_TIMEOUT_MS', '15000', 500, 600_000);
  const aiTitleBudgetMs = millis('AI_TITLE_BUDGET_MS', '1500', 0, 30_000);
  const iconsRaw = str('TOPIC_ICONS', 'waiting=❗️,answered=💬,closed=✅');
  let topicIcons: Record<TopicStatus, string> | null = null;
  if (iconsRaw.toLowerCase() !== 'off') {
    const pairs = iconsRaw.split(',').map((part) => part.split('=').map((x) => x.trim()));
    const icons = Object.fromEntries(pairs) as Record<string, string>;
    if (pairs.some((pair) => pair.length !== 2 || !pair[1]) || TOPIC_STATUSES.some((status) => !icons[status]) || pairs.length !== TOPIC_STATUSES.length) {
      problems.push(`TOPIC_ICONS must be "waiting=<emoji>,answered=<emoji>,closed=<emoji>" (icons of Telegram's topic set) or off, got "${iconsRaw}"`);
    } else {
      topicIcons = icons as Record<TopicStatus, string>;
    }
  }
  const aiAnswerMode = str('AI_ANSWER_MODE', 'draft').toLowerCase();
  if (!['off', 'draft', 'auto'].includes(aiAnswerMode)) problems.push(`AI_ANSWER_MODE must be one of off, draft, auto, got "${aiAnswerMode}"`);
  const openaiBaseUrl = str('OPENAI_BASE_URL', 'https://api.openai.com/v1').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(openaiBaseUrl)) problems.push(`OPENAI_BASE_URL must be an http(s) URL, got "${openaiBaseUrl}"`);
  const knowledgeDir = resolve(str('KNOWLEDGE_DIR', 'knowledge'));
  // Only checked when it is used: an unset key or AI_ANSWER_MODE=off needs no knowledge base.
  if (str('OPENAI_API_KEY') && aiAnswerMode !== 'off' && !existsSync(knowledgeDir))
    problems.push(`KNOWLEDGE_DIR not found: ${str('KNOWLEDGE_DIR', 'knowledge')} (a folder of Markdown files, or set AI_ANSWER_MODE=off)`);

  const logLevel = str('LOG_LEVEL', 'log').toLowerCase();
  if (!['error', 'warn', 'log', 'debug', 'verbose'].includes(logLevel))
    problems.push('LOG_LEVEL must be one of error, warn, log, debug, verbose');

  const logFormatRaw = str('LOG_FORMAT').toLowerCase();
  let logFormat: AppConfig['logFormat'] = str('NODE_ENV') === 'production' || !prettyAvailable() ? 'json' : 'pretty';
  if (logFormatRaw === 'json' || logFormatRaw === 'pretty') logFormat = logFormatRaw;
  else if (logFormatRaw) problems.push(`LOG_FORMAT must be json or pretty, got "${logFormatRaw}"`);
  if (logFormat === 'pretty' && !prettyAvailable())
    problems.push('LOG_FORMAT=pretty needs the development dependency pino-pretty (installed by npm ci without --omit=dev); use LOG_FORMAT=json');

  const metricsRaw = str('METRICS_PORT').toLowerCase();
  const metrics = { enabled: metricsRaw !== 'off', port: null as number | null };
  if (metricsRaw && metricsRaw !== 'off') {
    const metricsPort = Number(metricsRaw);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
      problems.push(`METRICS_PORT must be a port number or "off", got "${str('METRICS_PORT')}"`);
    else if (metricsPort !== port) metrics.port = metricsPort;
  }

  const readyMaxBacklog = Number(str('READY_MAX_BACKLOG', '1000'));
  if (!Number.isInteger(readyMaxBacklog) || readyMaxBacklog < 0)
    problems.push(`READY_MAX_BACKLOG must be a whole number of messages (0: no limit), got "${str('READY_MAX_BACKLOG')}"`);

  const updateRetentionRaw = str('UPDATE_RETENTION', '7d');
  const updateRetentionMs = parseDuration(updateRetentionRaw);
  // Telegram redelivers an update it did not get a confirmation for within a day: its id must still be known then.
  if (updateRetentionMs === undefined || updateRetentionMs < UNIT_MS.d)
    problems.push(`UPDATE_RETENTION must be a duration of at least 1d (like 7d or 48h), got "${updateRetentionRaw}"`);
  const ticketRetentionRaw = str('TICKET_RETENTION');
  const ticketRetentionMs = ticketRetentionRaw ? parseDuration(ticketRetentionRaw) : 0;
  if (ticketRetentionMs === undefined || (ticketRetentionRaw && ticketRetentionMs < UNIT_MS.h))
    problems.push(`TICKET_RETENTION must be a duration of at least 1h (like 90d), or unset to keep texts, got "${ticketRetentionRaw}"`);

  const agentIdsRaw = str('AGENT_IDS');
  const agentIds = agentIdsRaw ? agentIdsRaw.split(',').map((id) => id.trim()).filter(Boolean) : null;
  if (agentIds && (!agentIds.length || agentIds.some((id) => !/^\d{1,15}$/.test(id))))
    problems.push(`AGENT_IDS must be a comma-separated list of Telegram user ids, got "${agentIdsRaw}"`);
  const agentsRefreshRaw = str('AGENTS_REFRESH', '5m');
  const agentsRefreshMs = parseDuration(agentsRefreshRaw);
  if (agentsRefreshMs === undefined || agentsRefreshMs < 10_000)
    problems.push(`AGENTS_REFRESH must be a duration of at least 10s (like 5m), got "${agentsRefreshRaw}"`);
  const slaRaw = str('SLA_FIRST_RESPONSE', '30m').toLowerCase();
  const slaFirstResponseMs = slaRaw === 'off' ? 0 : parseDuration(slaRaw);
  if (slaFirstResponseMs === undefined || (slaRaw !== 'off' && slaFirstResponseMs < 1000))
    problems.push(`SLA_FIRST_RESPONSE must be a duration like 30m or 2h, or "off", got "${slaRaw}"`);
  // Unset: answers.md beside the categories, if it is there (without it /r has nothing to send).
  const readyAnswersFile = str('READY_ANSWERS_FILE') ? resolve(str('READY_ANSWERS_FILE')) : join(dirname(categoriesFile), 'answers.md');
  if (str('READY_ANSWERS_FILE') && !existsSync(readyAnswersFile)) problems.push(`READY_ANSWERS_FILE not found: ${str('READY_ANSWERS_FILE')}`);
  const maxTicketsPerHour = Number(str('MAX_TICKETS_PER_HOUR', '5'));
  if (!Number.isInteger(maxTicketsPerHour) || maxTicketsPerHour < 0)
    problems.push(`MAX_TICKETS_PER_HOUR must be a whole number (0: no limit), got "${str('MAX_TICKETS_PER_HOUR')}"`);

  if (problems.length) throw new ConfigError(problems);

  return {
    botToken,
    supportChatId,
    supportChatIds,
    telegramApiRoot,
    databaseUrl,
    embeddedDataDir: resolve(str('EMBEDDED_DATABASE_DIR', 'data/postgres')),
    skipMigrations: ['1', 'true', 'yes'].includes(str('DB_SKIP_MIGRATIONS').toLowerCase()),
    botMode: botMode as BotMode,
    webhookUrl,
    webhookSecret,
    port,
    defaultLanguage,
    supportLanguage,
    categoriesFile,
    autoCloseAfterMs: autoCloseAfterMs ?? 0,
    reopenWindowMs: reopenWindowMs ?? 0,
    agentSignature: ['true', '1', 'yes'].includes(signatureRaw),
    openaiApiKey: str('OPENAI_API_KEY'),
    openaiBaseUrl,
    openaiModel: str('OPENAI_MODEL', 'gpt-4o-mini'),
    openaiTimeoutMs,
    aiTitleBudgetMs,
    aiAnswerMode: aiAnswerMode as AiAnswerMode,
    topicIcons,
    knowledgeDir,
    jobConcurrency,
    dbPoolSize,
    rateLimits,
    logLevel: logLevel as AppConfig['logLevel'],
    logFormat,
    metrics,
    readyMaxBacklog,
    updateRetentionMs: updateRetentionMs ?? 0,
    ticketRetentionMs: ticketRetentionMs ?? 0,
    agentIds: agentIds ? agentIds.map(Number) : null,
    agentsRefreshMs: agentsRefreshMs ?? 0,
    slaFirstResponseMs: slaFirstResponseMs ?? 0,
    readyAnswersFile,
    teamName: str('TEAM_NAME'),
    maxTicketsPerHour,
  };
}

/** pino-pretty is a development dependency: an image installed with --omit=dev logs JSON. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
