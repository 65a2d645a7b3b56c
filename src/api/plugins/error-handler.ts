import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type FieldError, type Problem, validationProblem } from '../../schemas/problem.ts';

/**
 * The one place where errors become RFC 9457 problem+json. Routes throw an {@link HttpProblem}
 * (or one of the helpers below); schema validation throws a {@link RequestValidationError};
 * Fastify's own errors (body too large, unsupported media type, bad JSON, unknown route), the
 * rate limiter's and Redis outages are mapped here. Bad input is never a 5xx: an unexpected
 * error is logged and answered with a 500 that leaks nothing.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const PROBLEM_BASE = 'https://descent.dev/problems/';

export class HttpProblem extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(problem: Problem, headers: Record<string, string> = {}) {
    super(problem.detail);
    this.name = 'HttpProblem';
    this.problem = problem;
    this.headers = headers;
  }
}

export function problem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return { type: `${PROBLEM_BASE}${slug}`, title, status, detail, ...extra };
}

export function notFound(detail: string): HttpProblem {
  return new HttpProblem(problem(404, 'not-found', 'Not found', detail));
}

export function conflict(detail: string): HttpProblem {
  return new HttpProblem(problem(409, 'conflict', 'Conflict', detail));
}

export function badRequest(errors: FieldError[], title = 'Invalid request'): HttpProblem {
  return new HttpProblem(validationProblem(errors, title));
}

export function serviceUnavailable(detail: string, retryAfterSeconds = 1): HttpProblem {
  return new HttpProblem(problem(503, 'service-unavailable', 'Service unavailable', detail), {
    'retry-after': String(retryAfterSeconds),
  });
}

/** Thrown by the schema validator compiler: field errors with paths, e.g. `limit` or `optimizer.lr`. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  readonly errors: FieldError[];
  validationContext?: string;
  constructor(errors: FieldError[]) {
    super(errors[0] ? `${errors[0].path || '(root)'}: ${errors[0].message}` : 'invalid request');
    this.name = 'RequestValidationError';
    this.errors = errors;
  }
}

/** Messages of ioredis (and BullMQ through it) when the server cannot be reached. */
const REDIS_DOWN =
  /enableOfflineQueue|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EPIPE|connect ETIMEDOUT|Reached the max retries per request|MaxRetriesPerRequest|Redis is (down|not ready)/i;

export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EPIPE|ENOENT)$/.test(code)) return true;
  return REDIS_DOWN.test(error.message);
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  503: ['service-unavailable', 'Service unavailable'],
};

function fromStatus(status: number, detail: string): Problem {
  const [slug, title] =
    TITLES[status] ?? (status < 500 ? ['bad-request', 'Bad request'] : ['internal', 'Internal error']);
  return problem(status, slug, title, detail);
}

/** Ajv-style validation errors (routes of plugins that use JSON schemas) → field errors. */
function fieldErrorsFromFastify(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((issue) => {
    const path = (issue.instancePath ?? '')
      .split('/')
      .filter((part) => part !== '')
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('')
      .replace(/^\./, '');
    return { path, message: issue.message ?? 'invalid' };
  });
}

/** The body limit of a request and the setting that raises it. */
export interface BodyLimit {
  bytes: number;
  setting: string;
}

/** `… larger than the limit of 1048576 bytes (1 MiB); the server's BODY_LIMIT_BYTES raises it` */
export function tooLargeDetail(limit: BodyLimit | undefined): string {
  if (limit === undefined) return 'the request body is larger than the limit';
  const mib = limit.bytes / (1024 * 1024);
  const size = Number.isInteger(mib) ? ` (${mib} MiB)` : '';
  return (
    `the request body is larger than the limit of ${limit.bytes} bytes${size}; the server's ` +
    `${limit.setting} setting raises it`
  );
}

export function toProblem(
  error: unknown,
  bodyLimit?: BodyLimit,
): {
  problem: Problem;
  headers: Record<string, string>;
  unexpected: boolean;
} {
  if (error instanceof HttpProblem)
    return { problem: error.problem, headers: error.headers, unexpected: false };
  if (error instanceof RequestValidationError) {
    return { problem: validationProblem(error.errors), headers: {}, unexpected: false };
  }
  const fastifyError = error as FastifyError & { headers?: Record<string, string> };
  if (fastifyError?.validation) {
    return {
      problem: validationProblem(fieldErrorsFromFastify(fastifyError)),
      headers: {},
      unexpected: false,
    };
  }
  if (isRedisUnavailable(error)) {
    return {
      problem: problem(
        503,
        'service-unavailable',
        'Service unavailable',
        'the data store (Redis) is unreachable; retry shortly',
      ),
      headers: { 'retry-after': '1' },
      unexpected: false,
    };
  }
  const status = typeof fastifyError?.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    const detail =
      status === 413
        ? tooLargeDetail(bodyLimit)
        : status === 415
          ? 'unsupported Content-Type; send application/json'
          : (fastifyError.message ?? 'bad request');
    return { problem: fromStatus(status, detail), headers: {}, unexpected: false };
  }
  if (status === 503) {
    return {
      problem: fromStatus(503, fastifyError.message || 'service unavailable'),
      headers: {},
      unexpected: false,
    };
  }
  return {
    problem: problem(500, 'internal', 'Internal error', 'an unexpected error occurred'),
    headers: {},
    unexpected: true,
  };
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  body: Problem,
  headers: Record<string, string> = {},
) {
  return reply
    .code(body.status)
    .headers(headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...body, instance: request.url.split('?')[0], requestId: String(request.id) });
}

async function errorHandlerPlugin(app: FastifyInstance) {
  app.setErrorHandler((error, request, reply) => {
    const { bodyLimitBytes, datasetBodyLimitBytes } = app.config;
    const bytes = request.routeOptions.bodyLimit ?? bodyLimitBytes;
    const bodyLimit = {
      bytes,
      // Dataset uploads have a limit of their own.
      setting:
        bytes === datasetBodyLimitBytes && bytes !== bodyLimitBytes
          ? 'DATASET_BODY_LIMIT_BYTES'
          : 'BODY_LIMIT_BYTES',
    };
    const { problem: body, headers, unexpected } = toProblem(error, bodyLimit);
    if (unexpected) request.log.error({ err: error }, 'unhandled error');
    else if (body.status >= 500) {
      // Expected outages (Redis down, no worker): one line, no stack.
      const cause = error instanceof HttpProblem ? undefined : (error as Error)?.message;
      request.log.warn({ status: body.status, cause }, body.detail);
    }
    // The rate limiter sets Retry-After on the reply before it throws; keep it.
    return sendProblem(reply, request, body, headers);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      problem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}

export default fp(errorHandlerPlugin, { name: 'error-handler', dependencies: ['config'] });
