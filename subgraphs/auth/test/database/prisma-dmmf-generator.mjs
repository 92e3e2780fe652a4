// A Prisma generator that writes the datamodel part of the DMMF (the schema as parsed and
// validated by Prisma's own schema engine) to the file named by DMMF_OUT. `prisma generate` talks
// to generators with JSON-RPC: requests on stdin, responses on stderr, one JSON object per line.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const respond = (id, result) => process.stderr.write(`${JSON.stringify({ jsonrpc: '2.0', id, result })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  if (message.method === 'getManifest') {
    respond(message.id, { manifest: { prettyName: 'DMMF dump (schema agreement test)' } });
  } else if (message.method === 'generate') {
    writeFileSync(process.env.DMMF_OUT, JSON.stringify(message.params.dmmf.datamodel));
    respond(message.id, null);
  }
});
