/**
 * explain for find, count, distinct, aggregate, update, delete and findAndModify, in the shape of
 * MongoDB's classic query planner: `queryPlanner.winningPlan` (IDHACK / FETCH+IXSCAN / COLLSCAN /
 * TEXT, under SORT, SKIP, LIMIT and PROJECTION stages) and `executionStats`.
 */
import { CommandError, Codes } from '../errors.js';
import { describePlan } from '../planner.js';
import { runQuery, type QueryResult } from '../query.js';
import { isPlainObject, type Doc } from '../values.js';
import { executePipeline, parsePipeline, aggregateTarget } from './aggregate.js';
import { CommandContext, docArg, intArg, nonNegative, type Handler } from './context.js';
import { parseFind } from './read.js';
import { VERSION } from './server-info.js';

const VERBOSITIES = new Set(['queryPlanner', 'executionStats', 'allPlansExecution']);

interface Shape {
  readonly sort?: Doc | undefined;
  readonly skip?: number | undefined;
  readonly limit?: number | undefined;
  readonly projection?: Doc | undefined;
}

/** The access stage of a query (what reads documents), with the residual filter. */
function accessStage(result: QueryResult, ns: string): Doc {
  const p = result.plan;
  if (p.kind === 'TEXT') {
    return {
      stage: 'TEXT_MATCH',
      indexPrefix: {},
      indexName: p.index.name,
      parsedTextQuery: {},
      textIndexVersion: 3,
      inputStage: {
        stage: 'FETCH',
        inputStage: {
          stage: 'OR',
          inputStages: [{ stage: 'IXSCAN', indexName: p.index.name, keyPattern: p.index.spec.key }],
        },
      },
    };
  }
  let residual = result.residual;
  if (p.kind === 'IXSCAN') {
    residual = Object.fromEntries(Object.entries(residual).filter(([k]) => !(k in p.bounds)));
  } else if (p.kind === 'IDHACK') {
    residual = Object.fromEntries(Object.entries(residual).filter(([k]) => k !== '_id'));
  }
  return describePlan(p, residual, ns);
}

function wrap(stage: Doc, shape: Shape): Doc {
  let top = stage;
  if (shape.sort && Object.keys(shape.sort).length > 0) {
    const limitAmount = shape.limit !== undefined ? (shape.skip ?? 0) + shape.limit : undefined;
    top = {
      stage: 'SORT',
      sortPattern: shape.sort,
      memLimit: 104857600,
      ...(limitAmount ? { limitAmount } : {}),
      type: 'simple',
      inputStage: top,
    };
  }
  if (shape.skip) top = { stage: 'SKIP', skipAmount: shape.skip, inputStage: top };
  if (shape.limit !== undefined && !(shape.sort && Object.keys(shape.sort).length > 0)) {
    top = { stage: 'LIMIT', limitAmount: shape.limit, inputStage: top };
  }
  if (shape.projection && Object.keys(shape.projection).length > 0) {
    top = { stage: 'PROJECTION_DEFAULT', transformBy: shape.projection, inputStage: top };
  }
  return top;
}

/** The plan tree with per-stage execution counters, as `executionStats.executionStages`. */
function withStats(stage: Doc, result: QueryResult): Doc {
  const out: Doc = {
    ...stage,
    nReturned: result.stats.nReturned,
    executionTimeMillisEstimate: result.stats.timeMs,
    works: result.stats.docsExamined + 1,
    advanced: result.stats.nReturned,
    needTime: 0,
    needYield: 0,
    saveState: 0,
    restoreState: 0,
    isEOF: 1,
  };
  if (stage.stage === 'COLLSCAN') out.docsExamined = result.stats.docsExamined;
  if (stage.stage === 'FETCH') out.docsExamined = result.stats.docsExamined;
  if (stage.stage === 'IXSCAN' || stage.stage === 'COUNT_SCAN') out.keysExamined = result.stats.keysExamined;
  if (stage.stage === 'IDHACK') {
    out.keysExamined = result.stats.keysExamined;
    out.docsExamined = result.stats.docsExamined;
  }
  if (isPlainObject(stage.inputStage)) out.inputStage = withStats(stage.inputStage, result);
  if (Array.isArray(stage.inputStages))
    out.inputStages = stage.inputStages.map((s) => (isPlainObject(s) ? withStats(s, result) : s));
  return out;
}

function explainReply(
  ctx: CommandContext,
  ns: string,
  filter: Doc,
  winningPlan: Doc,
  result: QueryResult,
  verbosity: string,
  command: Doc,
): Doc {
  const reply: Doc = {
    explainVersion: '1',
    queryPlanner: {
      namespace: ns,
      indexFilterSet: false,
      parsedQuery: filter,
      queryHash: '00000000',
      planCacheKey: '00000000',
      maxIndexedOrSolutionsReached: false,
      maxIndexedAndSolutionsReached: false,
      maxScansToExplodeReached: false,
      winningPlan,
      rejectedPlans: [],
    },
  };
  if (verbosity !== 'queryPlanner') {
    reply.executionStats = {
      executionSuccess: true,
      nReturned: result.stats.nReturned,
      executionTimeMillis: result.stats.timeMs,
      totalKeysExamined: result.stats.keysExamined,
      totalDocsExamined: result.stats.docsExamined,
      executionStages: withStats(winningPlan, result),
      ...(verbosity === 'allPlansExecution' ? { allPlansExecution: [] } : {}),
    };
  }
  reply.command = { ...command, $db: ctx.db };
  reply.serverInfo = {
    host: ctx.services.server.host,
    port: ctx.services.server.port,
    version: VERSION,
    gitVersion: '0000000000000000000000000000000000000000',
  };
  reply.serverParameters = {
    internalQueryFacetBufferSizeBytes: 104857600,
    internalQueryMaxBlockingSortMemoryUsageBytes: 104857600,
  };
  reply.ok = 1;
  return reply;
}

function explainFind(ctx: CommandContext, verbosity: string): Doc {
  const spec = parseFind(ctx);
  const ns = `${ctx.db}.${spec.name}`;
  const result = runQuery(ctx.view(ctx.db, spec.name), spec.filter, {
    sort: spec.sort,
    skip: spec.skip,
    limit: spec.limit,
    variables: ctx.variables,
  });
  const plan = wrap(accessStage(result, ns), spec);
  return explainReply(ctx, ns, spec.filter, plan, result, verbosity, ctx.cmd);
}

function explainCount(ctx: CommandContext, verbosity: string): Doc {
  const name = ctx.collectionName();
  const ns = `${ctx.db}.${name}`;
  const query = docArg(ctx.cmd, 'query') ?? {};
  const skip = nonNegative(ctx.cmd, 'skip') ?? 0;
  const limit = Math.abs(intArg(ctx.cmd, 'limit') ?? 0);
  const result = runQuery(ctx.view(ctx.db, name), query, {
    skip,
    limit: limit || undefined,
    variables: ctx.variables,
  });
  let input: Doc;
  if (Object.keys(query).length === 0) {
    input = { stage: 'RECORD_STORE_FAST_COUNT' };
  } else {
    const access = accessStage(result, ns);
    const p = result.plan;
    if (p.kind === 'IXSCAN' && access.filter === undefined && isPlainObject(access.inputStage)) {
      const { stage: _stage, ...ix } = access.inputStage;
      input = { stage: 'COUNT', inputStage: { stage: 'COUNT_SCAN', ...ix } };
    } else {
      input = { stage: 'COUNT', inputStage: access };
    }
  }
  const plan = input.stage === 'RECORD_STORE_FAST_COUNT' ? { stage: 'COUNT', inputStage: input } : input;
  return explainReply(ctx, ns, query, plan, result, verbosity, ctx.cmd);
}

function explainAggregate(ctx: CommandContext, verbosity: string): Doc {
  const name = aggregateTarget(ctx);
  const pipeline = parsePipeline(ctx.cmd);
  const ns = `${ctx.db}.${name ?? '$cmd.aggregate'}`;
  const run = executePipeline(ctx, name, pipeline);
  if (!run.query) {
    return { explainVersion: '1', stages: pipeline, command: { ...ctx.cmd, $db: ctx.db }, ok: 1 };
  }
  const plan = accessStage(run.query, ns);
  const base = explainReply(ctx, ns, run.filter, plan, run.query, verbosity, ctx.cmd);
  if (run.rest.length === 0) return base;
  const cursorStage: Doc = { queryPlanner: base.queryPlanner };
  if (base.executionStats) cursorStage.executionStats = base.executionStats;
  return {
    ...base,
    stages: [
      { $cursor: cursorStage, nReturned: run.query.stats.nReturned },
      ...run.rest.map((stage) => ({ ...stage })),
    ],
  };
}

function explainWrite(ctx: CommandContext, verbosity: string): Doc {
  const name = ctx.collectionName();
  const ns = `${ctx.db}.${name}`;
  let filter: Doc = {};
  if (ctx.name === 'findAndModify') filter = docArg(ctx.cmd, 'query') ?? {};
  else {
    const list = ctx.cmd[ctx.name === 'update' ? 'updates' : 'deletes'];
    const first = Array.isArray(list) ? list[0] : undefined;
    if (isPlainObject(first) && isPlainObject(first.q)) filter = first.q;
  }
  const result = runQuery(ctx.view(ctx.db, name), filter, { variables: ctx.variables });
  const stageName = ctx.name === 'delete' || ctx.cmd.remove === true ? 'DELETE' : 'UPDATE';
  const plan = { stage: stageName, inputStage: accessStage(result, ns) };
  return explainReply(ctx, ns, filter, plan, result, verbosity, ctx.cmd);
}

export function explainCommand(ctx: CommandContext, verbosity: string): Doc {
  switch (ctx.name) {
    case 'find':
      return explainFind(ctx, verbosity);
    case 'count':
      return explainCount(ctx, verbosity);
    case 'aggregate':
      return explainAggregate(ctx, verbosity);
    case 'distinct': {
      const name = ctx.collectionName();
      const ns = `${ctx.db}.${name}`;
      const query = docArg(ctx.cmd, 'query') ?? {};
      const result = runQuery(ctx.view(ctx.db, name), query, { variables: ctx.variables });
      return explainReply(
        ctx,
        ns,
        query,
        { stage: 'PROJECTION_DEFAULT', inputStage: accessStage(result, ns) },
        result,
        verbosity,
        ctx.cmd,
      );
    }
    case 'update':
    case 'delete':
    case 'findAndModify':
      return explainWrite(ctx, verbosity);
    default:
      throw new CommandError(Codes.CommandNotFound, `Explain failed due to unknown command: ${ctx.name}`);
  }
}

const explain: Handler = (ctx) => {
  const inner = docArg(ctx.cmd, 'explain');
  if (!inner) throw new CommandError(Codes.FailedToParse, 'explain command requires a nested object');
  const verbosity = typeof ctx.cmd.verbosity === 'string' ? ctx.cmd.verbosity : 'allPlansExecution';
  if (!VERBOSITIES.has(verbosity))
    throw new CommandError(
      Codes.BadValue,
      `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`,
    );
  const innerName = Object.keys(inner)[0] ?? '';
  const canonical = innerName === 'findandmodify' ? 'findAndModify' : innerName;
  const innerCtx = new CommandContext(ctx.services, ctx.conn, ctx.db, inner, canonical, ctx.session, ctx.txn);
  return explainCommand(innerCtx, verbosity);
};

export const explainCommands: Record<string, Handler> = { explain };
