import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, assertPrefix, type StorageProvider, type StoredObjectInfo } from './provider.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Files under one directory (default `.data/media`), one folder per media file. Writes go to a
 * `.part` file renamed into place when complete, so a reader never sees half an object.
 */
export function createLocalStorage(root: string): StorageProvider {
  const pathOf = (key: string) => {
    assertKey(key);
    return join(root, ...key.split('/'));
  };

  async function* walk(dir: string): AsyncGenerator<StoredObjectInfo> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* walk(path);
      } else if (entry.isFile()) {
        const info = await stat(path).catch(() => null);
        if (!info) continue;
        yield { key: relative(root, path).split(sep).join('/'), size: info.size, lastModified: info.mtime };
      }
    }
  }

  return {
    name: 'Local',

    async put(key, body, _options) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const part = `${path}.${randomBytes(6).toString('hex')}.part`;
      try {
        await pipeline(body, createWriteStream(part, { flags: 'wx' }));
        await rename(part, path);
      } catch (error) {
        await rm(part, { force: true });
        throw error;
      }
      return { size: (await stat(path)).size };
    },

    async get(key, range) {
      let handle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {}) as Readable;
    },

    async stat(key) {
      try {
        return { size: (await stat(pathOf(key))).size };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async deletePrefix(prefix) {
      assertPrefix(prefix);
      let count = 0;
      for await (const _object of walk(join(root, ...prefix.split('/').filter(Boolean)))) count += 1;
      if (prefix === '') {
        await rm(root, { recursive: true, force: true });
      } else {
        await rm(join(root, ...prefix.split('/').filter(Boolean)), { recursive: true, force: true });
      }
      return count;
    },

    list(prefix = '') {
      assertPrefix(prefix);
      return walk(join(root, ...prefix.split('/').filter(Boolean)));
    },
  };
}
