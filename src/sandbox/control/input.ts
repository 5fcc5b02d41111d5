import { AI_MODES, type NewCustomer, type SandboxAiMode, type SandboxFaults } from '../sandbox-protocol';
import { HttpError } from './http';

export const NO_FAULTS: SandboxFaults = { bot_api_latency_ms: 0, create_topic_latency_ms: 0, rate_429: 0, openai_latency_ms: 0, openai_mode: 'ok' };
const MAX_LATENCY_MS = 120_000;

export function requireText(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw new HttpError(400, `${name} must be a non-empty string`);
  if ([...value].length > max) throw new HttpError(400, `${name} is longer than ${max} characters`);
  return value;
}

export function requireInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new HttpError(400, `${name} must be a positive integer`);
  return value;
}

export function optionalInt(value: unknown, name: string): number | undefined {
  return value === undefined || value === null ? undefined : requireInt(value, name);
}

export function readCustomer(body: Record<string, unknown>): NewCustomer {
  const first = requireText(body.first_name, 'first_name', 64).trim();
  const out: NewCustomer = { first_name: first };
  if (body.last_name !== undefined && body.last_name !== '') out.last_name = requireText(body.last_name, 'last_name', 64).trim();
  if (body.username !== undefined && body.username !== '') {
    const username = String(body.username).replace(/^@/, '');
    if (!/^[A-Za-z][A-Za-z0-9_]{4,31}$/.test(username)) throw new HttpError(400, 'username must be 5-32 characters of A-Z a-z 0-9 _, starting with a letter');
    out.username = username;
  }
  if (body.language_code !== undefined && body.language_code !== '') {
    if (typeof body.language_code !== 'string' || !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(body.language_code)) {
      throw new HttpError(400, 'language_code must be an IETF tag like en, ru or pt-BR');
    }
    out.language_code = body.language_code;
  }
  return out;
}

export function readFaults(body: Record<string, unknown>): Partial<SandboxFaults> {
  const out: Partial<SandboxFaults> = {};
  const known = Object.keys(NO_FAULTS) as (keyof SandboxFaults)[];
  for (const key of Object.keys(body)) {
    if (!known.includes(key as keyof SandboxFaults)) throw new HttpError(400, `unknown fault "${key}"; known: ${known.join(', ')}`);
  }
  if (body.openai_mode !== undefined) {
    if (!AI_MODES.includes(body.openai_mode as SandboxAiMode)) throw new HttpError(400, `openai_mode must be one of ${AI_MODES.join(', ')}`);
    out.openai_mode = body.openai_mode as SandboxAiMode;
  }
  for (const key of known) {
    const value = body[key];
    if (value === undefined || key === 'openai_mode') continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new HttpError(400, `${key} must be a number`);
    if (key === 'rate_429') {
      if (value < 0 || value > 1) throw new HttpError(400, 'rate_429 must be between 0 and 1');
    } else if (value < 0 || value > MAX_LATENCY_MS) {
      throw new HttpError(400, `${key} must be between 0 and ${MAX_LATENCY_MS} ms`);
    }
    out[key] = (key === 'rate_429' ? value : Math.round(value)) as never;
  }
  return out;
}
