import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { unitConfig } from '../../test/support/unit-fixtures';
import { createRootLogger, nestLoggerFor } from '../logging/logger';
import { TypeOrmLogger } from './typeorm-logger';

const CUSTOMER_TEXT = 'my passport number is 4509 118822, please hurry';
const INSERT = `INSERT INTO ticket_messages (ticket_id, direction, text) VALUES ($1, $2, $3) RETURNING id`;

/** A driver error as pg gives one, with PostgreSQL's SQLSTATE. */
function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('TypeOrmLogger', () => {
  const chunks: string[] = [];
  const lines = () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: string; msg: string; context: string });

  beforeEach(() => {
    chunks.length = 0;
    const root = createRootLogger(unitConfig({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' }), { write: (chunk: string) => void chunks.push(chunk) });
    Logger.overrideLogger(nestLoggerFor(root));
  });
  afterEach(() => Logger.overrideLogger(false));

  it("names a failed query's statement and error, and leaves out its parameters", () => {
    const parameters = [42, 'customer', CUSTOMER_TEXT];
    const error = new QueryFailedError(INSERT, parameters, pgError('insert or update on table "ticket_messages" violates foreign key constraint', '23503'));

    new TypeOrmLogger().logQueryError(error, INSERT, parameters);

    expect(lines()).toEqual([
      expect.objectContaining({ level: 'warn', context: 'Database', msg: expect.stringMatching(/^query failed: insert or update .* \(INSERT INTO ticket_messages/) }),
    ]);
    expect(chunks.join('')).not.toContain('passport');
  });

  it('cuts out a parameter that PostgreSQL quotes in its message, a JSON one too', () => {
    const entities = [{ type: 'bold', offset: 0, length: 8, note: CUSTOMER_TEXT }];
    const parameters = [CUSTOMER_TEXT, entities];
    const logger = new TypeOrmLogger();

    logger.logQueryError(pgError(`invalid input syntax for type bigint: "${CUSTOMER_TEXT}"`, '22P02'), INSERT, parameters);
    logger.logQueryError(`invalid input syntax for type json: ${JSON.stringify(entities)}`, INSERT, parameters);

    const [quoted, json] = lines();
    expect(quoted.msg).toMatch(/^query failed: invalid input syntax for type bigint: "\[parameter\]" \(INSERT/);
    expect(json.msg).toMatch(/^query failed: invalid input syntax for type json: \[parameter\] \(INSERT/);
    expect(chunks.join('')).not.toContain('passport');
  });

  it("logs a failure of the connection itself at debug only (the callers report an outage once), still without the parameters", () => {
    new TypeOrmLogger().logQueryError(pgError('Connection terminated unexpectedly', 'ECONNRESET'), INSERT, [1, 'customer', CUSTOMER_TEXT]);

    expect(lines()).toEqual([expect.objectContaining({ level: 'debug', msg: expect.stringMatching(/^query failed: Connection terminated unexpectedly/) })]);
    expect(chunks.join('')).not.toContain('passport');
  });
});
