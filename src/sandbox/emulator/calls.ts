import { performance } from 'node:perf_hooks';
import type { EmulatorCore } from './core';
import { ApiError, tooManyRequests } from './errors';
import type { Faults } from './faults';
import { JSON_KEYS, type ApiRequest, type ApiResponse } from './http-server';
import { Described, type MethodDef } from './methods';
import { Params } from './params';
import type { CallRecord, UploadedFile } from './types';

/** One Bot API call from arrival to answer: auth, the call record, faults, flood control, the handler. */
export class ApiCalls {
  private callCounter = 0;

  constructor(
    private readonly core: EmulatorCore,
    private readonly methods: Map<string, MethodDef>,
    private readonly faults: Faults,
  ) {}

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const { core, faults } = this;
    if (req.token !== core.token) {
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    }
    const def = this.methods.get(req.method.toLowerCase());
    const params = { ...req.params };
    // telegraf repeats the method name as a multipart field; Telegram ignores it.
    if (typeof params.method === 'string' && params.method.toLowerCase() === req.method.toLowerCase()) delete params.method;
    const record: CallRecord = {
      id: ++this.callCounter,
      method: def?.name ?? req.method,
      params: describeParams(params, req.files),
      startSeq: core.world.nextSeq(),
      startedAt: performance.now(),
    };
    core.records.push(record);
    if (!def) return this.finish(record, new ApiError(404, 'Not Found: method not found'));

    const active = faults.faultsFor(def.name);
    const latency = Math.max(0, ...active.map((f) => f.latencyMs ?? 0));
    if (latency > 0) await faults.delay(latency);
    try {
      for (const fault of active) faults.applyFault(fault, params);
      const p = new Params(params, req.files);
      const limitChat = def.send ? p.int('chat_id') : undefined;
      if (limitChat !== undefined && faults.limiter.enforced) {
        const wait = faults.limiter.check(limitChat);
        if (wait > 0) throw tooManyRequests(wait);
      }
      const result = await def.handler(p, { signal: req.signal });
      if (limitChat !== undefined) faults.limiter.consume(limitChat, Array.isArray(result) ? Math.max(1, result.length) : 1);
      return this.finish(record, undefined, result);
    } catch (err) {
      if (err instanceof ApiError) return this.finish(record, err);
      core.log(`emulator: ${def.name} crashed: ${(err as Error).stack ?? String(err)}`);
      return this.finish(record, new ApiError(500, `Internal Server Error: ${(err as Error).message}`));
    }
  }

  private finish(record: CallRecord, error?: ApiError, result?: unknown): ApiResponse {
    record.endSeq = this.core.world.nextSeq();
    record.finishedAt = performance.now();
    let response: ApiResponse;
    if (error) {
      const body: Record<string, unknown> = { ok: false, error_code: error.code, description: error.description };
      if (error.parameters) body.parameters = error.parameters;
      response = { status: error.code, body };
      if (error.parameters?.retry_after !== undefined) response.headers = { 'retry-after': String(error.parameters.retry_after) };
      record.status = error.code;
      record.ok = false;
      record.description = error.description;
    } else {
      const described = result instanceof Described ? result : undefined;
      const value = described ? described.result : result;
      const body: Record<string, unknown> = { ok: true, result: value };
      if (described) body.description = described.description;
      response = { status: 200, body };
      record.status = 200;
      record.ok = true;
      record.result = structuredClone(value);
      if (described) record.description = described.description;
    }
    this.core.log(`emulator: ${record.method} -> ${record.status}${record.ok ? '' : ` ${record.description ?? ''}`}`);
    this.core.emit('call', { ...record });
    this.core.changed();
    return response;
  }
}

function describeParams(params: Record<string, unknown>, files: Map<string, UploadedFile>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && JSON_KEYS.has(k)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON after all; keep the text
      }
    }
    out[k] = v;
  }
  for (const [field, f] of files) {
    out[field] = { upload: true, filename: f.filename, size: f.data.length, mime_type: f.mimeType };
  }
  return out;
}
