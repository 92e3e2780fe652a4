import { readFileSync } from 'node:fs';

/** What GraphiQL's `defaultTabs` takes: one tab per subgraph. */
export interface GraphiqlTab {
  readonly query: string;
  readonly variables: string;
  readonly headers: string;
}

export interface GraphiqlExample {
  /** The subgraph whose features the tab shows (the file `examples/<subgraph>.graphql`). */
  readonly subgraph: string;
  /** A document with several named operations; GraphiQL asks which one to run. */
  readonly document: string;
  /** Variables for the document's operations (extra ones are ignored by the operations that do not declare them). */
  readonly variables: Readonly<Record<string, unknown>>;
}

/**
 * The value the Headers pane starts with. The page's fetcher leaves out an Authorization header
 * still holding the placeholder, so the public operations work before a token is pasted.
 */
export const AUTHORIZATION_PLACEHOLDER = 'Bearer <token>';
export const DEFAULT_HEADERS = JSON.stringify({ Authorization: AUTHORIZATION_PLACEHOLDER }, null, 2);

const variablesBySubgraph: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  auth: { input: { identifier: 'alice', password: 'your password' } },
  profile: { username: 'alice', query: 'ali' },
  feed: { first: 10, content: 'Hello from GraphiQL #supergraph' },
  chat: {
    conversationId: 'a conversation id from Conversations',
    content: 'Hello!',
    clientMessageId: 'graphiql-1',
  },
  media: {
    first: 20,
    input: { fileName: 'photo.jpg', mimeType: 'image/jpeg', fileSize: 123456, category: 'POST' },
  },
  notification: {},
};

/** The order of the tabs: signing in first, then the rest of a user's day. */
const EXAMPLE_SUBGRAPHS = ['auth', 'profile', 'feed', 'chat', 'media', 'notification'] as const;

/** The example operations shipped with the page, one document per subgraph. */
export function graphiqlExamples(): GraphiqlExample[] {
  return EXAMPLE_SUBGRAPHS.map((subgraph) => ({
    subgraph,
    document: readFileSync(new URL(`./examples/${subgraph}.graphql`, import.meta.url), 'utf8'),
    variables: variablesBySubgraph[subgraph] ?? {},
  }));
}

export function graphiqlTabs(examples: readonly GraphiqlExample[] = graphiqlExamples()): GraphiqlTab[] {
  return examples.map((example) => ({
    query: example.document,
    variables: JSON.stringify(example.variables, null, 2),
    headers: DEFAULT_HEADERS,
  }));
}
