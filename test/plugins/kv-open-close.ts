/**
 * Helper process for kv-store.test.ts: opens the store at argv[2], writes,
 * drops and closes, `argv[3]` times; prints how many rounds threw.
 */
import { KvStore } from "../../src/plugins/kv-store.ts";

const [path = "", rounds = "100"] = process.argv.slice(2);
let failures = 0;
for (let i = 0; i < Number(rounds); i++) {
  try {
    const kv = new KvStore(path);
    kv.set("build", `p${process.pid}`, new TextEncoder().encode(`k${i}`), new Uint8Array(8));
    kv.dropOwner("build", `p${process.pid}`);
    kv.close();
  } catch (error) {
    failures++;
    if (failures === 1) console.error(error);
  }
}
console.log(failures);
