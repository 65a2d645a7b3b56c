import { InvalidCursorError } from '../store/list-page.ts';
import { badRequest } from './plugins/error-handler.ts';

/** A list read whose cursor did not come from this API answers 400 (`cursor`), as GET /v1/jobs does. */
export async function readPage<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw badRequest([{ path: 'cursor', message: 'not a cursor from this API (use nextCursor)' }]);
    }
    throw error;
  }
}
