import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerContract, QueryRunner } from 'typeorm';
import { isInfrastructureError } from './infrastructure-error';

/**
 * TypeORM's own loggers print a failed query with its parameters, and the parameters are customers'
 * and agents' texts. This one names the statement and the error, never the values. A failure of the
 * connection itself (an outage) is the callers' to report, once: here it is debug only.
 */
export class TypeOrmLogger implements TypeOrmLoggerContract {
  private readonly logger = new Logger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    const message = typeof error === 'string' ? error : error.message;
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

/** The start of a statement, on one line: enough to recognise it. */
function statement(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
