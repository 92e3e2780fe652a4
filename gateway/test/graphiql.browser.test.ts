/**
 * GraphiQL in a real browser (Debian's headless Chromium through playwright-core): the page the
 * gateway serves at GET /graphql runs a query with the token from its Headers pane, then a
 * subscription over graphql-ws receiving an event a mutation caused, without any request leaving
 * the gateway's origin. It saves a screenshot (docs/graphiql.png with UPDATE_SCREENSHOTS=1).
 */
import { eventually, startSupergraph, type Supergraph } from '@social/testing';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// docs/graphiql.png is the committed picture: rewritten when missing or with UPDATE_SCREENSHOTS=1,
// so an ordinary test run leaves the working tree clean (the ids in it differ on every run).
const COMMITTED = new URL('../../docs/graphiql.png', import.meta.url).pathname;
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(COMMITTED)
    ? COMMITTED
    : join(tmpdir(), `graphiql-${process.pid}.png`);

let supergraph: Supergraph;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  supergraph = await startSupergraph({ env: { BCRYPT_COST: '4' } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await supergraph?.stop();
  if (SCREENSHOT !== COMMITTED) await rm(SCREENSHOT, { force: true });
}, 60_000);

type Editor = 'query' | 'variables' | 'headers';

/** Replaces an editor's text the way a person does: focus it, select all, type (paste) the new text. */
async function fillEditor(page: Page, editor: Editor, text: string): Promise<void> {
  if (editor !== 'query') {
    await page
      .locator('.graphiql-editor-tools button', { hasText: editor === 'headers' ? 'Headers' : 'Variables' })
      .click();
  }
  const selector =
    editor === 'query'
      ? '.graphiql-query-editor .CodeMirror'
      : `.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror`;
  await page.locator(selector).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  // insertText sends no key presses, so the editor's bracket auto-closing adds nothing.
  await page.keyboard.insertText(text);
  const value = await page.locator(selector).evaluate((node) => {
    const editorNode = node as unknown as { CodeMirror: { getValue(): string } };
    return editorNode.CodeMirror.getValue();
  });
  expect(value).toBe(text);
  if (editor === 'query') {
    // GraphiQL re-reads the operations a moment after an edit (the tab takes the operation's name);
    // clicking run before that would act on the previous document.
    const name = /^(?:query|mutation|subscription)\s+(\w+)/.exec(text)?.[1] ?? '';
    await eventually(
      () => page.locator('.graphiql-tab-active').innerText(),
      (title) => title.trim() === name,
      { what: `the tab named ${name}` },
    );
  }
}

/** The text of the result pane, as shown. */
function resultText(page: Page): Promise<string> {
  return page.locator('.result-window').innerText();
}

async function waitForResult(page: Page, what: string, fragments: readonly string[]): Promise<string> {
  let shown = '';
  try {
    return await eventually(
      async () => (shown = await resultText(page)),
      (text) => fragments.every((fragment) => text.includes(fragment)),
      { timeoutMs: 30_000, what },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the result pane shows: ${shown || '(nothing)'}`);
  }
}

test('GraphiQL runs a query and a subscription with the token from its Headers pane, offline', async () => {
  // Fixed names (each harness has its own databases) make a readable screenshot.
  const alice = await supergraph.user({ username: 'alice' });
  const bob = await supergraph.user({ username: 'bob', firstName: 'Bob', lastName: 'Marley' });
  // Chat learns about new accounts from auth's events: retry until it knows Bob.
  const started = await eventually(
    () =>
      supergraph.query<{ startDirectConversation: { id: string } }>(
        'mutation ($userId: ID!) { startDirectConversation(userId: $userId) { id } }',
        { userId: bob.id },
        { token: alice.token },
      ),
    (response) => Boolean(response.data?.startDirectConversation),
    { timeoutMs: 20_000, what: 'a conversation between Alice and Bob' },
  );
  const conversationId = started.data?.startDirectConversation.id ?? '';

  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const gatewayOrigin = new URL(supergraph.gatewayUrl).origin;
  const contacted: string[] = [];
  page.on('request', (request) => contacted.push(request.url()));
  page.on('websocket', (socket) => contacted.push(socket.url()));
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });

  // GraphiQL introspects the schema for its docs and completion: the gateway's limits must allow it.
  const introspection = page.waitForResponse(
    (response) => response.request().postDataJSON()?.operationName === 'IntrospectionQuery',
    { timeout: 30_000 },
  );
  await page.goto(supergraph.gatewayUrl);
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ timeout: 30_000 });
  const schema = (await (await introspection).json()) as { data?: { __schema?: { types?: unknown[] } } };
  expect(schema.data?.__schema?.types?.length).toBeGreaterThan(100);
  // One tab per subgraph, named after its first operation.
  expect(await page.locator('.graphiql-tab').allInnerTexts()).toEqual([
    'Me',
    'Profile',
    'HomeFeed',
    'Conversations',
    'MyMedia',
    'Notifications',
  ]);

  // A query with Alice's token, typed in the Headers pane.
  await fillEditor(page, 'headers', JSON.stringify({ Authorization: `Bearer ${alice.token}` }, null, 2));
  await fillEditor(page, 'query', 'query Viewer {\n  me {\n    username\n  }\n}');
  await page.locator('.graphiql-execute-button').click();
  await waitForResult(page, 'the viewer in the result pane', ['"me"', `"username": "${alice.username}"`]);
  await page.screenshot({ path: SCREENSHOT });

  // A subscription over graphql-ws: Alice watches the conversation, Bob writes in it.
  await fillEditor(
    page,
    'query',
    [
      'subscription Events($conversationId: ID!) {',
      '  conversationEvents(conversationId: $conversationId) {',
      '    __typename',
      '    ... on MessageAddedEvent {',
      '      message {',
      '        content',
      '        sender {',
      '          username',
      '          displayName',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ].join('\n'),
  );
  await fillEditor(page, 'variables', JSON.stringify({ conversationId }, null, 2));
  const channel = `chat:conversation:${conversationId}`;
  const pubsub = supergraph.stack.resources.pubsub;
  const listenersBefore = pubsub.listenerCount(channel);
  await page.locator('.graphiql-execute-button').click();
  // The stream is live once chat listens on the conversation (through the gateway's upstream).
  await eventually(
    async () => pubsub.listenerCount(channel),
    (count) => count > listenersBefore,
    { timeoutMs: 30_000, what: 'the subscription reaching chat' },
  );
  const sent = await supergraph.query(
    'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
    {
      input: { conversationId, clientMessageId: 'graphiql-browser-test', content: 'Hi Alice, from the API' },
    },
    { token: bob.token },
  );
  expect(sent.errors).toBeUndefined();
  await waitForResult(page, 'the message event in the result pane', [
    '"__typename": "MessageAddedEvent"',
    '"content": "Hi Alice, from the API"',
    `"username": "${bob.username}"`,
  ]);
  await page.screenshot({ path: SCREENSHOT });

  // Stop the subscription (the execute button became a stop button).
  await page.locator('.graphiql-execute-button').click();
  await page.close();

  expect(problems).toEqual([]);
  expect(contacted.length).toBeGreaterThan(0);
  for (const url of contacted) expect(new URL(url).host).toBe(new URL(gatewayOrigin).host);
}, 180_000);
