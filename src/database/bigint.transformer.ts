import { ValueTransformer } from 'typeorm';

/**
 * Telegram ids use up to 52 bits (safe in a JS number) but need `bigint` columns; pg returns those as
 * strings, so they are turned back into numbers here.
 */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null || value === undefined ? value : Number(value)),
};
