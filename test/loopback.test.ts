// The fakes' ports: one held or suspended is refused, as a server that is
// down, yet kept from every other socket, and a suspended server comes back
// on the same port.

import t from 'tap';
import { startFakeMetadata } from './helpers/fake-metadata.ts';
import { holdPort, tryConnect } from './helpers/loopback.ts';

t.test('a held port refuses connections until released', async (t) => {
  const hold = await holdPort();
  t.ok(hold.port > 0);
  t.equal(await tryConnect(hold.port), 'ECONNREFUSED');
  await hold.release();
});

t.test('suspend and resume: refused while down, the same port after', async (t) => {
  const metadata = await startFakeMetadata();
  t.teardown(() => metadata.close());
  const port = metadata.port;
  await metadata.suspend();
  t.equal(await tryConnect(port), 'ECONNREFUSED', 'down');
  await metadata.resume();
  t.equal(metadata.port, port, 'the same port');
  const res = await fetch(`http://127.0.0.1:${port}/computeMetadata/v1/project/project-id`, { headers: { 'metadata-flavor': 'Google' } });
  t.equal(await res.text(), 'fake-project', 'serving again');
});
