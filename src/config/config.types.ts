export type Language = 'ru' | 'en';
export const LANGUAGES: readonly Language[] = ['ru', 'en'];
export type BotMode = 'polling' | 'webhook';
/** What the AI does with its first answer: nothing, a draft agents send or discard, or send it itself. */
export type AiAnswerMode = 'off' | 'draft' | 'auto';

/** What a ticket's topic shows at a glance: the customer spoke last, an agent did, or it is closed. */
export type TopicStatus = 'waiting' | 'answered' | 'closed';
export const TOPIC_STATUSES: readonly TopicStatus[] = ['waiting', 'answered', 'closed'];

/** The one typed configuration object, built once at boot from the environment (and `.env`, see loadConfig). */
export interface AppConfig {
  botToken: string;
  /** The first support group (SUPPORT_CHAT_ID's first id): where tickets of a one-group desk live. */
  supportChatId: number;
  /** Every support group, in SUPPORT_CHAT_ID's order (one or more forum supergroups). */
  supportChatIds: number[];
  telegramApiRoot: string;
  /** Empty when the embedded PostgreSQL is to be used. */
  databaseUrl: string;
  embeddedDataDir: string;
  skipMigrations: boolean;
  botMode: BotMode;
  webhookUrl: string;
  webhookSecret: string;
  port: number;
  defaultLanguage: Language;
  supportLanguage: Language;
  categoriesFile: string;
  autoCloseAfterMs: number;
  /** A customer writing within this time after their ticket closed reopens it; later, a new ticket starts. */
  reopenWindowMs: number;
  /** Append the agent's first name to answers sent to customers. */
  agentSignature: boolean;
  openaiApiKey: string;
  openaiBaseUrl: string;
  openaiModel: string;
  /** Per-attempt timeout of an AI request (answers; titles use a shorter cap of their own). */
  openaiTimeoutMs: number;
  /** How long a new topic waits, from the ticket's creation, for its AI title before the provisional one is used. */
  aiTitleBudgetMs: number;
  aiAnswerMode: AiAnswerMode;
  /** Topic icons by ticket status (emoji of Telegram's topic icon set); null: no status icons. */
  topicIcons: Record<TopicStatus, string> | null;
  /** The folder of Markdown files the AI answers from. */
  knowledgeDir: string;
  jobConcurrency: number;
  /** Connections of this instance's database pool (pg-boss's pool and three single connections add 7: README, "Connections"). */
  dbPoolSize: number;
  /** Outbound limits kept by the gateway (Telegram's: 30/s overall, 1/s per chat, 20/min per group). */
  rateLimits: { globalPerSecond: number; perChatPerSecond: number; perChatBurst: number; perGroupPerSecond: number; perGroupPerMinute: number };
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** JSON lines (production) or readable lines (development). */
  logFormat: 'json' | 'pretty';
  /** `/metrics` on the app's port (`port: null`), on a port of its own, or not at all. */
  metrics: { enabled: boolean; port: number | null };
  /** `/ready` answers 503 while more customer messages than this wait for the support group (0: never). */
  readyMaxBacklog: number;
  /** Handled Telegram updates (the inbox, the processed-update ids) are deleted after this long. */
  updateRetentionMs: number;
  /** The texts of tickets closed longer ago than this are deleted (0: kept). */
  ticketRetentionMs: number;
  /** Who acts as an agent: these user ids if AGENT_IDS is set, else (null) the support group's administrators. */
  agentIds: number[] | null;
  /** How often the list of the support group's administrators is fetched again. */
  agentsRefreshMs: number;
  /** A ticket with no answer from the team this long is announced in the General topic (0: never). */
  slaFirstResponseMs: number;
  /** The catalog of ready answers (`/r NAME`), Markdown; a default path that does not exist means none. */
  readyAnswersFile: string;
  /** The name anonymous administrators' answers are signed with ('' : the translated "Support team"). */
  teamName: string;
  /** New tickets a customer may open per hour (0: no limit). */
  maxTicketsPerHour: number;
}
