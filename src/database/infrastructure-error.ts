/** PostgreSQL error classes and codes that say "the database is not reachable now", not "this query is wrong". */
const UNAVAILABLE_CLASSES = ['08', '53', '57P'];
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const MESSAGES = [
  // ALTER DATABASE … ALLOW_CONNECTIONS false answers 55000, a code that also means other things.
  /is not currently accepting connections/i,
  /connection terminated/i, /timeout exceeded when trying to connect/i, /connection.*(closed|ended)/i, /Client has encountered a connection error/i,
  // pg's own read timeout (query_timeout): the server stopped answering, as a hung database or a partition does.
  /^Query read timeout$/,
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: ErrorLike;
  retriable?: unknown;
  cause?: unknown;
}

/**
 * True when an error comes from the infrastructure (the database went away, refused connections, the
 * pool could not connect; Telegram or the network answered with a retriable failure), so the same work
 * will succeed later: such work is retried for as long as it takes and never given up.
 */
export function isInfrastructureError(raw: unknown): boolean {
  for (let error = raw as ErrorLike | undefined, depth = 0; error && depth < 4; depth++) {
    if (error.retriable === true) return true;
    const code = typeof error.code === 'string' ? error.code : '';
    if (code && (NETWORK_CODES.has(code) || UNAVAILABLE_CLASSES.some((c) => code.startsWith(c)))) return true;
    const message = typeof error.message === 'string' ? error.message : '';
    if (MESSAGES.some((pattern) => pattern.test(message))) return true;
    error = (error.driverError ?? error.cause) as ErrorLike | undefined;
  }
  return false;
}
