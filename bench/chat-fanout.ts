/**
 * Fan-out latency between two chat instances sharing Redis: a subscriber on instance A, messages
 * sent through instance B, with 1 and with 8 senders at a time. Reports p50/p95/p99 of
 * - end to end: the sendMessage request leaving the client → the event reaching the subscriber;
 * - after commit: the message's stored time (its transaction) → the event reaching the subscriber.
 *
 *   npx tsx --conditions=development bench/chat-fanout.ts [--full] [--write]
 *
 * `--full` sends 2000 messages per row instead of 300; `--write` replaces this benchmark's section
 * of docs/BENCHMARKS.md. Needs Redis (REDIS_URL, default 127.0.0.1:6379); everything else runs in
 * this process as in the tests (embedded MongoDB, PostgreSQL from the harness), on loopback only.
 */
import { postGraphQL } from '@social/testing';
import { createClient } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startChatTestbed } from '../subgraphs/chat/test/helpers.js';
import { isolatedRedisUrl, startSecondInstance } from '../subgraphs/chat/test/instances.js';
import { chatClient } from '../subgraphs/chat/test/operations.js';
import { percentile, publishSection, runIfScript, type BenchOptions } from './report.js';

const SECTION = 'chat-fanout';
const WARMUP = 20;

interface Row {
  senders: number;
  rate: number;
  endToEnd: number[];
  afterCommit: number[];
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| senders at a time | msg/s | measured from | p50 ms | p95 ms | p99 ms | max ms |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    for (const [label, samples] of [
      ['sendMessage request', row.endToEnd],
      ['message stored', row.afterCommit],
    ] as const) {
      const sorted = [...samples].sort((a, b) => a - b);
      const f = (n: number) => n.toFixed(1);
      lines.push(
        `| ${row.senders} | ${row.rate.toFixed(0)} | ${label} | ${f(percentile(sorted, 50))} | ${f(percentile(sorted, 95))} | ${f(percentile(sorted, 99))} | ${f(sorted.at(-1) ?? Number.NaN)} |`,
      );
    }
  }
  return lines.join('\n');
}

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id createdAt } }`;
const EVENTS = `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
  ... on MessageAddedEvent { message { id } } } }`;

export async function runChatFanoutBench(options: BenchOptions): Promise<string> {
  const messages = options.full ? 2000 : 300;
  const redisUrl = await isolatedRedisUrl();
  if (!redisUrl) throw new Error('The fan-out benchmark needs Redis (REDIS_URL or 127.0.0.1:6379)');
  const bed = await startChatTestbed({ redisUrl, env: { CHAT_SEND_RATE_POINTS: String(messages * 100) } });
  const second = await startSecondInstance(bed.supergraph, redisUrl);
  let stopping = false;
  const rows: Row[] = [];
  try {
    const client = chatClient(bed);
    const [alice, bob] = [await bed.member(), await bed.member()];
    const conversation = await client.direct(alice, bob);

    // The subscriber on instance A, timestamping each event as it arrives.
    const arrivals = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    const ws = createClient({
      url: bed.supergraph.subgraphUrls.chat.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${bob.token}` },
      retryAttempts: 0,
    });
    ws.subscribe<{ conversationEvents: { message?: { id: string } } }>(
      { query: EVENTS, variables: { id: conversation.id } },
      {
        next: (value) => {
          const id = value.data?.conversationEvents.message?.id;
          if (!id) return;
          arrivals.set(id, performance.now());
          waiting.get(id)?.();
        },
        error: (error) => {
          const { code, reason } = error as { code?: number; reason?: string };
          if (!stopping)
            process.stderr.write(`subscription failed: ${code ?? ''} ${reason ?? String(error)}\n`);
        },
        complete: () => undefined,
      },
    );
    await bed.listening(`chat:conversation:${conversation.id}`);

    const waitFor = async (id: string) => {
      if (!arrivals.has(id)) await new Promise<void>((resolve) => waiting.set(id, resolve));
      waiting.delete(id);
      return arrivals.get(id) as number;
    };
    // performance.now() and Date.now() differ by a constant offset within this process.
    const offset = Date.now() - performance.now();
    let sent = 0;
    const sendOne = async (row: Row | null) => {
      const started = performance.now();
      const response = await postGraphQL<{ sendMessage: { id: string; createdAt: string } }>(
        second.url,
        SEND,
        {
          input: {
            conversationId: conversation.id,
            clientMessageId: randomUUID(),
            content: `bench ${sent++}`,
          },
        },
        { token: alice.token },
      );
      const message = response.data?.sendMessage;
      if (!message) throw new Error(JSON.stringify(response.errors));
      const arrived = await waitFor(message.id);
      if (!row) return;
      row.endToEnd.push(arrived - started);
      row.afterCommit.push(arrived + offset - Date.parse(message.createdAt));
    };

    for (let i = 0; i < WARMUP; i += 1) await sendOne(null);
    for (const senders of [1, 8]) {
      const row: Row = { senders, rate: 0, endToEnd: [], afterCommit: [] };
      const began = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: senders }, async () => {
          while (next++ < messages) await sendOne(row);
        }),
      );
      row.rate = messages / ((performance.now() - began) / 1000);
      rows.push(row);
    }
    await ws.dispose();
  } finally {
    stopping = true;
    await second.stop();
    await bed.stop();
  }

  const report = table(rows);
  await publishSection(SECTION, report, options, [
    'Two chat instances sharing Redis: a graphql-ws subscriber to `conversationEvents` on instance A,',
    `\`sendMessage\` through instance B, ${messages} messages per row after ${WARMUP} warm-up messages, all`,
    'in one direct conversation. "sendMessage request" is measured from the client sending the',
    'mutation, "message stored" from the message\'s stored creation time; both to the event arriving',
    'at the subscriber. With several senders, sends to one conversation queue behind each other',
    '(its sequence numbers are assigned one at a time), which is most of the end-to-end time.',
  ]);
  return report;
}

await runIfScript(import.meta.url, 'bench/chat-fanout.ts', runChatFanoutBench);
