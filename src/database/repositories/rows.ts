import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Turns a raw row (`RETURNING *` of a conditional UPDATE or an upsert) into its entity, with the same
 * column names, types and transformers as a repository read, so every repository returns entities.
 */
export function hydrate<T extends ObjectLiteral>(db: EntityManager, target: EntityTarget<T>, row: Record<string, unknown>): T {
  const metadata = db.connection.getMetadata(target);
  const entity = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    entity[column.propertyName] = db.connection.driver.prepareHydratedValue(row[column.databaseName], column);
  }
  return entity as T;
}

/**
 * The rows of an `UPDATE … RETURNING` (or DELETE). TypeORM's postgres driver answers those with
 * `[rows, rowCount]` instead of the rows; SELECT and INSERT come back as plain rows. Rows are objects,
 * never arrays, which tells the two shapes apart.
 */
export async function returning<T = Record<string, unknown>>(db: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const result: unknown = await db.query(text, values);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
