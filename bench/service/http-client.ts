import { createServer } from 'node:net';
import { type Dispatcher, Pool } from 'undici';

/**
 * The bench's HTTP client: undici's Pool of keep-alive loopback connections, driven through
 * `dispatch` with a handler that collects the body chunks (no response streams). The CPU this
 * process spends is taken from the service under test on two cores, while the raw BullMQ
 * reference has no HTTP client to pay for: measured on the tiny-job rounds, undici's `request`
 * (a Readable per response) cost this process ~0.10 ms per job, twice a raw socket's ~0.05, and
 * fetch (web streams) about as much as the API spent serving the request.
 */

export interface HttpResponse {
  status: number;
  body: string;
}

/** Collects one response. */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private status = 0;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (response: HttpResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  onRequestStart(): void {
    // (undici takes a handler with this method for one of its current, non-deprecated shape.)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.resolve({ status: this.status, body: body.toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export class HttpClient {
  private readonly pool: Pool;

  /** At most `connections` requests in flight, each on its own connection. */
  constructor(
    readonly baseUrl: string,
    connections = 1,
  ) {
    this.pool = new Pool(baseUrl, { connections, pipelining: 1 });
  }

  request(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const headers = body === undefined ? undefined : JSON_HEADERS;
      this.pool.dispatch({ method, path, body, headers }, new ResponseCollector(resolve, reject));
    });
  }

  /** POSTs `body` as JSON; the parsed answer, which must have status `expected`. */
  async postJson<T>(path: string, body: unknown, expected = 202): Promise<T> {
    const response = await this.request('POST', path, JSON.stringify(body));
    if (response.status !== expected) {
      throw new Error(`bench/service: POST ${path} → ${response.status}: ${response.body}`);
    }
    return JSON.parse(response.body) as T;
  }

  async ok(path: string): Promise<boolean> {
    return (await this.request('GET', path)).status === 200;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
