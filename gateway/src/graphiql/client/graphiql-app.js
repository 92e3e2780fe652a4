/*
 * The GraphiQL page's own script (served as a static file: the page's CSP allows no inline script).
 * Queries and mutations are POSTed to this page's URL; subscriptions go over graphql-ws to the same
 * URL, with the Authorization header of the Headers pane as `connectionParams.authorization`.
 * Globals come from the UMD builds loaded before it: React, ReactDOM, GraphiQL, graphqlWs.
 */
/* global window, document, location, React, ReactDOM, GraphiQL, graphqlWs */
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('graphiql-config').textContent);
  const httpUrl = location.origin + location.pathname;
  const wsUrl = httpUrl.replace(/^http/, 'ws');

  /** The Headers pane's headers, without an Authorization still holding the placeholder. */
  function requestHeaders(headers) {
    const result = {};
    for (const [name, value] of Object.entries(headers || {})) {
      if (typeof value !== 'string') continue;
      if (name.toLowerCase() === 'authorization' && value.trim() === config.authorizationPlaceholder)
        continue;
      result[name] = value;
    }
    return result;
  }

  function authorizationOf(headers) {
    const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization');
    return entry ? entry[1] : undefined;
  }

  /** One lazy graphql-ws client per token: its socket closes when its last subscription ends. */
  const wsClients = new Map();
  function wsClientFor(authorization) {
    const key = authorization || '';
    let client = wsClients.get(key);
    if (!client) {
      client = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        retryAttempts: 3,
        connectionParams: authorization ? { authorization } : {},
      });
      wsClients.set(key, client);
    }
    return client;
  }

  /** The kind of the operation GraphiQL is about to run (its document is already parsed). */
  function operationKind(documentAST, operationName) {
    const operations = (documentAST ? documentAST.definitions : []).filter(
      (definition) => definition.kind === 'OperationDefinition',
    );
    const operation = operationName
      ? operations.find((definition) => definition.name && definition.name.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
    return operation ? operation.operation : 'query';
  }

  function describeFailure(failure) {
    if (Array.isArray(failure)) return failure;
    if (failure && typeof failure.code === 'number') {
      return [{ message: `The subscription socket closed: ${failure.code} ${failure.reason || ''}`.trim() }];
    }
    return [{ message: failure && failure.message ? failure.message : String(failure) }];
  }

  /** Every event of a subscription, then the end; a failure becomes the last result's errors. */
  async function* subscription(client, params) {
    const events = client.iterate({
      query: params.query,
      variables: params.variables || undefined,
      operationName: params.operationName || undefined,
    });
    try {
      for await (const event of events) yield event;
    } catch (failure) {
      yield { errors: describeFailure(failure) };
    }
  }

  async function post(params, headers) {
    const response = await fetch(httpUrl, {
      method: 'POST',
      credentials: 'omit',
      headers: {
        accept: 'application/graphql-response+json, application/json',
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
  }

  function fetcher(params, options) {
    const headers = requestHeaders(options && options.headers);
    if (operationKind(options && options.documentAST, params.operationName) === 'subscription') {
      return subscription(wsClientFor(authorizationOf(headers)), params);
    }
    return post(params, headers);
  }

  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: config.tabs,
      defaultHeaders: config.defaultHeaders,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // Tokens stay out of localStorage.
      shouldPersistHeaders: false,
    }),
  );
  window.addEventListener('beforeunload', () => {
    for (const client of wsClients.values()) client.dispose();
  });
})();
