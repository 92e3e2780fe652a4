import type { SupergraphManager, SupergraphSdlUpdateFunction } from '@apollo/gateway';
import type { Logger } from '@social/kit';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { supergraphSubgraphs } from './supergraph.js';

export interface SupergraphFileOptions {
  /** The supergraph the gateway starts with. */
  readonly initialSdl: string;
  /** The file it came from; watched for changes when `watch` is set. */
  readonly path?: string;
  readonly watch: boolean;
  readonly logger: Logger;
  /** Quiet period after the last change event before the file is read (editors write in bursts). */
  readonly debounceMs?: number;
  /**
   * Called with a valid supergraph just before the gateway switches to it (the gateway builds the
   * new subgraphs' data sources during the switch), and again with the previous one if it fails.
   */
  readonly willApply?: (supergraphSdl: string) => void;
  /** After the gateway switched to a new supergraph. */
  readonly onUpdate?: (supergraphSdl: string) => void;
  /** A changed file that could not be applied; the gateway keeps serving the previous supergraph. */
  readonly onRejected?: (error: Error) => void;
}

export interface SupergraphFile {
  /** For ApolloGateway's `supergraphSdl` option. */
  readonly manager: SupergraphManager;
  /**
   * Reads the file again and applies it if it changed and is a valid supergraph. Resolves with
   * whether the schema changed; an invalid file is logged and leaves the current schema in place.
   */
  reload(): Promise<boolean>;
}

/**
 * A supergraph read from a file and, when watched, hot-reloaded on change without a restart:
 * `ApolloGateway` swaps its schema and query planner in place (in-flight requests finish on the
 * old one), and `onSchemaLoadOrUpdate` listeners (the subscriptions) are told, so open
 * subscriptions stay up. The directory is watched, not the file, so editors and deploy tools that
 * replace the file by rename are seen too.
 */
export function supergraphFile(options: SupergraphFileOptions): SupergraphFile {
  const { logger } = options;
  let current = options.initialSdl;
  let update: SupergraphSdlUpdateFunction | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const apply = async (): Promise<boolean> => {
    const path = options.path;
    if (!path || !update) return false;
    let sdl: string;
    try {
      sdl = await readFile(path, 'utf8');
    } catch (error) {
      // Mid-rename the file can be briefly missing: the next event applies it.
      logger.warn({ err: error, path }, 'supergraph file unreadable; keeping the current schema');
      return false;
    }
    if (sdl === current) return false;
    try {
      supergraphSubgraphs(sdl);
      options.willApply?.(sdl);
      try {
        update(sdl);
      } catch (error) {
        options.willApply?.(current);
        throw error;
      }
    } catch (error) {
      logger.error(
        { err: error, path },
        'supergraph file is not a valid supergraph; keeping the current schema',
      );
      options.onRejected?.(error as Error);
      return false;
    }
    current = sdl;
    logger.info({ path }, 'supergraph reloaded');
    options.onUpdate?.(sdl);
    return true;
  };
  // One reload at a time: ApolloGateway refuses an update while another is being applied.
  const reload = () => {
    const next = chain.then(apply);
    chain = next.catch(() => undefined);
    return next;
  };

  const manager: SupergraphManager = {
    async initialize(hooks) {
      update = hooks.update;
      let watcher: FSWatcher | undefined;
      let timer: NodeJS.Timeout | undefined;
      const path = options.path;
      if (options.watch && path) {
        const file = basename(path);
        watcher = watch(dirname(path), (_event, changed) => {
          if (changed !== null && changed !== file) return;
          clearTimeout(timer);
          timer = setTimeout(() => void reload(), options.debounceMs ?? 150);
        });
        watcher.on('error', (error) => logger.error({ err: error, path }, 'supergraph watcher failed'));
        logger.info({ path }, 'watching the supergraph file for changes');
      }
      return {
        supergraphSdl: current,
        async cleanup() {
          clearTimeout(timer);
          watcher?.close();
          update = undefined;
          await chain;
        },
      };
    },
  };
  return { manager, reload };
}
