/**
 * Inputs the gateway fuzzer (test/reliability/fuzz.test.ts) found answered with
 * INTERNAL_SERVER_ERROR, each now a clear client error that stores nothing.
 */
import { gatewayOperations, startSupergraph, type Supergraph } from '@social/testing';
import { MongoClient } from 'mongodb';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(async () => {
  await supergraph?.stop();
});

test('requestUpload with a MIME type named like an Object member is BAD_USER_INPUT and stores nothing', async () => {
  const { failureCode, run } = gatewayOperations(supergraph);
  const alice = await supergraph.user();
  const REQUEST = `mutation ($input: RequestUploadInput!) { requestUpload(input: $input) { mediaId } }`;
  // The alias table was read with `[]`: `constructor` found Object's constructor, not a string.
  for (const mimeType of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    const input = { fileName: 'a.png', mimeType, fileSize: 100, category: 'POST' };
    expect({ mimeType, code: await failureCode(REQUEST, { input }, alice) }).toEqual({
      mimeType,
      code: 'BAD_USER_INPUT',
    });
  }
  const client = new MongoClient(supergraph.mongoUrl);
  try {
    const files = client.db(`${supergraph.mongoDbPrefix}social_media`).collection('media_files');
    expect(await files.countDocuments({ userId: alice.id })).toBe(0);
    // A real MIME type still gets a ticket.
    await run(
      REQUEST,
      { input: { fileName: 'a.png', mimeType: 'image/png', fileSize: 100, category: 'POST' } },
      alice,
    );
    expect(await files.countDocuments({ userId: alice.id })).toBe(1);
  } finally {
    await client.close();
  }
});
