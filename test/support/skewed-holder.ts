// Another runner of the 'staging' lock of an S3 store, its wall clock `skewMs` off:
//   node skewed-holder.ts '<S3Location JSON>' <skewMs> <leaseSeconds> hold|take
// hold: prints READY once it holds the lease, then renews it until killed (LOST <why> if it loses it).
// take: tries every 100 ms until it gets the lease, then prints TAKEN <epoch ms> and exits.
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { S3Ledger } from '../../tools/deploy-plugin/src/store/s3/ledger.ts';
import { S3Locks } from '../../tools/deploy-plugin/src/store/s3/lock.ts';
import { S3Objects } from '../../tools/deploy-plugin/src/store/s3/objects.ts';
import { LockHeld } from '../../tools/deploy-plugin/src/store/state-store.ts';

const [location, skewMs, leaseSeconds, mode] = process.argv.slice(2);
const objects = new S3Objects(JSON.parse(location!));
const locks = new S3Locks(objects, new S3Ledger(objects, new Redactor()), Number(leaseSeconds), () => Date.now() + Number(skewMs));
const who = { actor: `runner ${skewMs} ms off`, what: 'deploy api-server' };
if (mode === 'take') {
  for (;;) {
    const lease = await locks.acquire('staging', who).catch((err: unknown) => {
      if (err instanceof LockHeld) return undefined;
      throw err;
    });
    if (lease) {
      console.log(`TAKEN ${Date.now()}`);
      await lease.release();
      process.exit(0);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
const lease = await locks.acquire('staging', who);
console.log('READY');
setInterval(() => {
  if (lease.lost()) console.log(`LOST ${lease.lost()}`);
}, 200);
