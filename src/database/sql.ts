import type { DataSource, EntityManager } from 'typeorm';

/**
 * The rows of an `UPDATE … RETURNING` (or DELETE). TypeORM's postgres driver answers those with
 * `[rows, rowCount]` instead of the rows, so the raw result's `.length` is always 2; SELECT and INSERT
 * come back as plain rows. Rows are objects, never arrays, which tells the two shapes apart.
 */
export async function updateReturning<T>(executor: DataSource | EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const result: unknown = await executor.query(text, values);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
