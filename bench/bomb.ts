// The gzip bomb the fake upstream sends as an error body: 1 GiB of zeros as 64
// gzip members of 16 MiB each. A multi-member stream is valid gzip (gunzip
// inflates member after member), about 1 MB on the wire, and cheap to build.

import { gzipSync } from 'node:zlib';

export const BOMB_INFLATED_BYTES = 64 * 16 * 1024 * 1024;

export function gzipBomb(): Buffer {
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  return Buffer.concat(Array.from({ length: 64 }, () => member));
}
