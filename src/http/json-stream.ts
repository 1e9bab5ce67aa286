// A JSON array streamed from an async source, in chunks of about 64 KiB: memory stays flat
// however long the list, and the socket's backpressure paces the reads from the store.
import { Readable } from 'node:stream';

export function jsonArrayStream<T>(prefix: string, items: AsyncIterable<T>, suffix: string): Readable {
  return Readable.from((async function* () {
    let chunk = prefix;
    let first = true;
    for await (const item of items) {
      chunk += (first ? '' : ',') + JSON.stringify(item);
      first = false;
      if (chunk.length >= 65536) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk + suffix;
  })());
}
