import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_NAMES } from '../jobs/job-queue';
import type { TelegramErrorKind } from '../telegram/telegram-error';

/** What an AI request was for. */
export type AiPurpose = 'title' | 'answer';

/**
 * The desk's Prometheus metrics, in a registry of this application's own (not prom-client's global
 * one). Code that does the work reports it here in one call; `/metrics` reads the registry. Gauges
 * about the whole desk (backlog, waiting jobs, open tickets) come from the database (DeskStateSampler):
 * every instance reports the same numbers for them.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  /** When Telegram last answered this instance (epoch ms): readiness wants contact within a minute. */
  lastTelegramAnswerAt?: number;

  private readonly updates = new Counter({
    name: 'helpdesk_updates_total',
    help: 'Telegram updates handled, by type ("message:text", "callback_query", ...) and outcome (handled, failed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly updateSeconds = new Histogram({
    name: 'helpdesk_update_handling_seconds',
    help: 'Time to handle one Telegram update, from the inbox handing it over to the end of its handler.',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly ack = new Histogram({
    name: 'helpdesk_ack_seconds',
    help: "Time from a customer's first message reaching the bot to Telegram's answer to the acknowledgement.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly topicLag = new Histogram({
    name: 'helpdesk_topic_lag_seconds',
    help: "Time from a customer message reaching the bot to its copy in the ticket's topic.",
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly groupBacklog = new Gauge({
    name: 'helpdesk_group_backlog',
    help: 'Customer messages waiting for their copy in the support group (the group sends it is behind by).',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly groupBacklogAge = new Gauge({
    name: 'helpdesk_group_backlog_oldest_seconds',
    help: 'Age of the oldest customer message still waiting for its copy in the support group (0: none waits).',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly jobsWaiting = new Gauge({
    name: 'helpdesk_jobs_waiting',
    help: 'Durable jobs waiting to run (created or waiting for a retry), by queue.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private readonly telegramCalls = new Counter({
    name: 'helpdesk_telegram_calls_total',
    help: 'Bot API calls by method and outcome: ok, or the error class (retry-after, transient, blocked, no-access, ...).',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly telegram429 = new Counter({
    name: 'helpdesk_telegram_429_total',
    help: 'Bot API calls Telegram answered with 429 Too Many Requests.',
    registers: [this.registry],
  });
  private readonly telegramMessages = new Counter({
    name: 'helpdesk_telegram_messages_total',
    help: 'Messages this instance posted to Telegram, by chat: private (customers) or group (the support group).',
    labelNames: ['chat'] as const,
    registers: [this.registry],
  });
  private readonly unknownOutcomeRepeats = new Counter({
    name: 'helpdesk_telegram_unknown_outcome_repeats_total',
    help: 'Sends made again although an earlier attempt got no answer (a timeout, a dropped connection, a crash mid-call): each may have arrived twice.',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  private readonly budgetInstances = new Gauge({
    name: 'helpdesk_telegram_budget_instances',
    help: 'Live instances sharing the Telegram budget, as this instance last saw them.',
    registers: [this.registry],
  });
  private readonly budgetShare = new Gauge({
    name: 'helpdesk_telegram_budget_share',
    help: "The part of a Telegram limit this instance may spend now (0..1): overall ('global') or the support group's minute ('group').",
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly aiRequests = new Counter({
    name: 'helpdesk_ai_requests_total',
    help: 'Requests to the AI model by kind (title, answer) and outcome: ok, or the failure (timeout, server-error, ...).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly ticketsOpen = new Gauge({ name: 'helpdesk_tickets_open', help: 'Open tickets.', registers: [this.registry] });
  readonly ticketsWaiting = new Gauge({
    name: 'helpdesk_tickets_waiting',
    help: "Open tickets whose last message is the customer's: waiting for an agent's answer.",
    registers: [this.registry],
  });

  constructor() {
    for (const queue of JOB_NAMES) this.jobsWaiting.set({ queue }, 0);
  }

  /** The default Node process metrics (CPU, memory, event loop lag, GC, handles), for the instance that serves them. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  updateHandled(type: string, outcome: 'handled' | 'failed', seconds: number): void {
    this.updates.inc({ type, outcome });
    this.updateSeconds.observe({ type }, seconds);
  }

  acknowledged(seconds: number): void {
    this.ack.observe(Math.max(0, seconds));
  }

  copiedToTopic(seconds: number): void {
    this.topicLag.observe(Math.max(0, seconds));
  }

  telegramCall(method: string, outcome: 'ok' | TelegramErrorKind, answered: boolean): void {
    this.telegramCalls.inc({ method, outcome });
    if (outcome === 'retry-after') this.telegram429.inc();
    if (answered) this.lastTelegramAnswerAt = Date.now();
  }

  telegramPosted(chat: 'private' | 'group', count: number): void {
    this.telegramMessages.inc({ chat }, count);
  }

  /** A send is made again although an earlier attempt's outcome is unknown: the customer or the group may see it twice. */
  unknownOutcomeRepeat(method: string): void {
    this.unknownOutcomeRepeats.inc({ method });
  }

  telegramBudget(instances: number, globalShare: number, groupShare: number): void {
    this.budgetInstances.set(instances);
    this.budgetShare.set({ limit: 'global' }, globalShare);
    this.budgetShare.set({ limit: 'group' }, groupShare);
  }

  aiRequest(kind: AiPurpose, outcome: string): void {
    this.aiRequests.inc({ kind, outcome });
  }
}
