/**
 * Store writes issued without waiting for their replies, in order on one connection, at most
 * `limit` in flight; the first error surfaces at the next `push` or at `drain`. A running job
 * pipelines its point batches and progress this way while its run goes on.
 */
export class PendingWrites {
  private readonly inFlight: Promise<unknown>[] = [];
  private error: unknown = null;

  constructor(private readonly limit: number) {}

  async push(write: Promise<unknown>): Promise<void> {
    this.inFlight.push(
      write.catch((error: unknown) => {
        this.error ??= error;
      }),
    );
    while (this.inFlight.length > this.limit) await this.inFlight.shift();
    this.throwIfFailed();
  }

  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error !== null) throw this.error;
  }
}
