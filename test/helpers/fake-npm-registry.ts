// A fake npm registry on loopback that serves exactly the production
// dependencies locked in package-lock.json (or all of them), with tarballs read from npm's own
// cache (which `npm ci` filled). `npm install <our tarball>` resolves the
// package's dependency ranges against it as it would against the real
// registry, with no network.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { LoopbackServer } from './loopback.ts';

interface LockEntry {
  readonly name?: string;
  readonly version?: string;
  readonly integrity?: string;
  readonly dev?: boolean;
  readonly link?: boolean;
  readonly optional?: boolean;
  readonly [field: string]: unknown;
}

/** The manifest fields npm reads when it resolves and installs a version. */
const MANIFEST_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'license'];

/** cacache's content-addressed layout: content-v2/<algo>/<hex[0..2]>/<hex[2..4]>/<rest>. */
function cachedTarball(cacheDir: string, integrity: string): string {
  const [algorithm = '', digest = ''] = (integrity.split(/\s+/)[0] ?? '').split('-');
  const hex = Buffer.from(digest, 'base64').toString('hex');
  return join(cacheDir, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

export class FakeNpmRegistry extends LoopbackServer {
  /** Package name → version → manifest (without dist). */
  readonly #packages = new Map<string, Map<string, Record<string, unknown>>>();
  /** Tarball id → file in npm's cache. */
  readonly #tarballs = new Map<string, { file: string; integrity: string }>();
  /** Locked production packages whose tarball is not in npm's cache. */
  readonly missing: string[] = [];
  /** Packument and tarball requests, in order. */
  readonly requests: string[] = [];

  /** `dev`: serve the dev dependencies too, for installs that build (from git). */
  constructor(lockfile: string, npmCacheDir: string, options: { dev?: boolean } = {}) {
    super(createServer((req, res) => this.#handle(req, res)));
    const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || (entry.dev && !options.dev) || entry.link || !entry.version || !entry.integrity) continue;
      const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const file = cachedTarball(npmCacheDir, entry.integrity);
      // Optional packages for other platforms were never downloaded, and npm skips them.
      if (!existsSync(file) && !entry.optional) this.missing.push(`${name}@${entry.version}`);
      const id = `${this.#tarballs.size}`;
      this.#tarballs.set(id, { file, integrity: entry.integrity });
      const manifest: Record<string, unknown> = { name, version: entry.version, _tarballId: id };
      for (const field of MANIFEST_FIELDS) if (entry[field] !== undefined) manifest[field] = entry[field];
      const versions = this.#packages.get(name) ?? new Map<string, Record<string, unknown>>();
      versions.set(entry.version, manifest);
      this.#packages.set(name, versions);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://registry').pathname);
    this.requests.push(path);
    const tarball = /^\/-\/tarball\/(\d+)\.tgz$/.exec(path);
    if (tarball) {
      const found = this.#tarballs.get(tarball[1] ?? '');
      if (!found || !existsSync(found.file)) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(found.file));
    }
    const versions = this.#packages.get(path.slice(1));
    if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    const packument = {
      name: path.slice(1),
      'dist-tags': { latest: [...versions.keys()].at(-1) },
      versions: Object.fromEntries(
        [...versions].map(([version, { _tarballId: id, ...manifest }]) => {
          const { integrity } = this.#tarballs.get(String(id)) ?? { integrity: '' };
          return [version, { ...manifest, dist: { tarball: `${this.url}-/tarball/${String(id)}.tgz`, integrity } }];
        }),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  }
}
