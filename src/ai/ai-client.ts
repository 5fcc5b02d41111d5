import { Inject, Injectable, Logger } from '@nestjs/common';
import OpenAI from 'openai';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AiPurpose, Metrics } from '../metrics/metrics.service';
import type { ChatPromptMessage } from './prompts';

/** Why an AI call gave nothing usable. The bot's reaction is the same for all (the ticket flows on); the log says which. */
export type AiFailureKind =
  | 'timeout'
  | 'network'
  | 'server-error'
  | 'rate-limited'
  | 'auth'
  | 'rejected'
  | 'refusal'
  | 'empty'
  | 'invalid-output';

export class AiFailure extends Error {
  constructor(
    readonly kind: AiFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'AiFailure';
  }
}

export interface CompleteOptions {
  /** What the answer is for (the `kind` of helpdesk_ai_requests_total). */
  purpose: AiPurpose;
  /** Per attempt (the SDK's `timeout`). */
  timeoutMs: number;
  /** Retries of the SDK (429, 5xx, connection errors), within `totalMs`. */
  maxRetries: number;
  /** Hard cap for the whole call, retries included; the SDK's timeout alone is per attempt. */
  totalMs: number;
  json?: boolean;
  maxTokens: number;
}

/**
 * The one door to the model (the official SDK, any OpenAI-compatible server). Every call has an
 * explicit timeout and retry policy — the SDK's defaults (10 minutes, 2 retries) are far too long for a
 * helpdesk — and every failure is classified once. A failure is logged as a warning the first time its
 * kind is seen and at debug level afterwards, so an outage or a bad key does not flood the log.
 */
@Injectable()
export class AiClient {
  private readonly logger = new Logger('AI');
  private readonly openai: OpenAI | null;
  private readonly warned = new Set<AiFailureKind>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics = new Metrics(),
  ) {
    this.openai = config.openaiApiKey
      ? new OpenAI({
          apiKey: config.openaiApiKey,
          baseURL: config.openaiBaseUrl,
          timeout: config.openaiTimeoutMs,
          maxRetries: 1,
          // Failures are reported here, once per kind; the SDK's own retry warnings would repeat them.
          logLevel: 'off',
        })
      : null;
  }

  /** AI is on exactly when OPENAI_API_KEY is set; without it nothing ever calls the model. */
  get enabled(): boolean {
    return this.openai !== null;
  }

  async complete(messages: ChatPromptMessage[], options: CompleteOptions): Promise<string> {
    if (!this.openai) throw new AiFailure('auth', 'OPENAI_API_KEY is not set');
    const deadline = AbortSignal.timeout(options.totalMs);
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.openai.chat.completions.create(
        {
          model: this.config.openaiModel,
          messages,
          temperature: 0.2,
          max_tokens: options.maxTokens,
          ...(options.json ? { response_format: { type: 'json_object' as const } } : {}),
        },
        { timeout: options.timeoutMs, maxRetries: options.maxRetries, signal: deadline },
      );
    } catch (error) {
      const failure = classify(error, deadline);
      this.metrics.aiRequest(options.purpose, failure.kind);
      throw failure;
    }
    const choice = completion.choices?.[0];
    const refusal = choice?.message?.refusal;
    const content = choice?.message?.content?.trim();
    const failure =
      refusal || choice?.finish_reason === 'content_filter'
        ? new AiFailure('refusal', `the model refused: ${refusal ?? 'content filter'}`)
        : !content
          ? new AiFailure('empty', 'the model returned no text')
          : undefined;
    this.metrics.aiRequest(options.purpose, failure?.kind ?? 'ok');
    if (failure) throw failure;
    return content!;
  }

  /** Logs a failure: a warning the first time its kind occurs in this process, debug after that. */
  report(failure: AiFailure, context: string): void {
    const line = `${context}: ${failure.kind} (${failure.message}); the ticket goes on without it`;
    if (this.warned.has(failure.kind)) {
      this.logger.debug(line);
      return;
    }
    this.warned.add(failure.kind);
    this.logger.warn(`${line}. Further "${failure.kind}" failures are logged at debug level only.`);
  }
}

function classify(error: unknown, deadline: AbortSignal): AiFailure {
  if (error instanceof AiFailure) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError || (error instanceof OpenAI.APIUserAbortError && deadline.aborted)) {
    return new AiFailure('timeout', 'no answer in time');
  }
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const status = error.status;
    const kind: AiFailureKind =
      status === 429 ? 'rate-limited' : status === 401 || status === 403 ? 'auth' : status >= 500 ? 'server-error' : 'rejected';
    return new AiFailure(kind, `HTTP ${status}: ${error.message}`);
  }
  if (error instanceof OpenAI.APIConnectionError) return new AiFailure('network', error.message);
  return new AiFailure('network', (error as Error)?.message ?? String(error));
}
