import type { UploadedFile } from './types';

/** Tolerant accessors over decoded request parameters (JSON bodies and form posts look alike here). */
export class Params {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly files: Map<string, UploadedFile> = new Map(),
  ) {}

  has(key: string): boolean {
    const v = this.raw[key];
    return v !== undefined && v !== null && v !== '';
  }

  str(key: string): string | undefined {
    const v = this.raw[key];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  }

  int(key: string): number | undefined {
    const v = this.raw[key];
    if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
    return undefined;
  }

  bool(key: string): boolean {
    const v = this.raw[key];
    if (typeof v === 'string') return v.toLowerCase() === 'true' || v === '1';
    return v === true || v === 1;
  }

  /** Objects/arrays may arrive already decoded (JSON body) or as JSON text (forms, query strings). */
  json(key: string): unknown {
    const v = this.raw[key];
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
}
