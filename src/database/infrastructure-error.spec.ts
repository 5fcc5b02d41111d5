import { isInfrastructureError } from './infrastructure-error';

describe('isInfrastructureError', () => {
  it('knows the database going away, refusing or hanging', () => {
    expect(isInfrastructureError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isInfrastructureError(new Error('database "helpdesk" is not currently accepting connections'))).toBe(true);
    expect(isInfrastructureError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    // pg's client-side read timeout (query_timeout), as a hung server gives it.
    expect(isInfrastructureError(new Error('Query read timeout'))).toBe(true);
  });

  it('looks through TypeORM and cause wrappers', () => {
    expect(isInfrastructureError({ message: 'Query failed', driverError: { code: '08006', message: 'connection failure' } })).toBe(true);
    expect(isInfrastructureError({ message: 'wrapped', cause: new Error('Connection terminated unexpectedly') })).toBe(true);
  });

  it('leaves a wrong query to be one', () => {
    expect(isInfrastructureError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isInfrastructureError(Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))).toBe(false);
    expect(isInfrastructureError(new Error('ticket #4 does not exist'))).toBe(false);
  });
});
