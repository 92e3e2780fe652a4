// Run once per `docker compose up` by the `mongo-init` service (mongosh against mongo:27017):
// initiates the single-member replica set `rs0` unless it exists, then waits until this member is
// primary, so the services that depend on mongo-init start against a writable replica set.
// Transactions and change streams (DESIGN 6, the outbox and the social replica) need one.
/* global rs, db, print, quit, sleep -- mongosh globals */
const config = { _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] };

try {
  const status = rs.status();
  print(`replica set ${status.set} already initiated`);
} catch (error) {
  if (error.codeName !== 'NotYetInitialized') throw error;
  rs.initiate(config);
  print(`replica set ${config._id} initiated`);
}

const deadline = Date.now() + 60_000;
while (!db.hello().isWritablePrimary) {
  if (Date.now() > deadline) {
    print('no primary within 60 s');
    quit(1);
  }
  sleep(500);
}
print('primary ready');
