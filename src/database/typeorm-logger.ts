import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerContract, QueryRunner } from 'typeorm';
import { isInfrastructureError } from './infrastructure-error';

/** What stands in a logged error for a value it quoted from the query's parameters. */
const PARAMETER = '[parameter]';
/** Shorter values (a number, a flag) are not a customer's words, and cutting them would garble the line. */
const QUOTED_MIN = 4;

/**
 * TypeORM's own loggers print a failed query with its parameters, and the parameters are customers'
 * and agents' texts. This one names the statement and the error, never the values, not even those
 * PostgreSQL quotes in its message (`invalid input syntax for type bigint: "…"`). A failure of the
 * connection itself (an outage) is the callers' to report, once: here it is debug only.
 */
export class TypeOrmLogger implements TypeOrmLoggerContract {
  private readonly logger = new Logger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string, parameters?: unknown[], _runner?: QueryRunner): void {
    const message = withoutParameters(typeof error === 'string' ? error : error.message, parameters ?? []);
    const line = `query failed: ${message} (${statement(query)})`;
    if (typeof error !== 'string' && isInfrastructureError(error)) this.logger.debug(line);
    else this.logger.warn(line);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${statement(query)}`);
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}

/** The message with every parameter it quotes cut out (a JSON parameter as PostgreSQL would quote it too). */
function withoutParameters(message: string, parameters: unknown[]): string {
  const values = parameters
    .flatMap((p) => (typeof p === 'string' ? [p] : p !== null && typeof p === 'object' && !(p instanceof Date) ? [JSON.stringify(p)] : []))
    .filter((value) => value.length >= QUOTED_MIN)
    .sort((a, b) => b.length - a.length);
  let clean = message;
  for (const value of values) clean = clean.split(value).join(PARAMETER);
  return clean;
}

/** The start of a statement, on one line: enough to recognise it. */
function statement(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
