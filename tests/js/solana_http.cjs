// @solana/web3.js v1 against the demo's HTTP side: `node solana_http.cjs HTTP_URL` makes a
// Connection (confirmed), waits until 40 slots passed, then asks getBlocks over them,
// getSignaturesForAddress of the System program (every demo transfer names it) and
// getTransaction of the newest signature, and prints
// {"slot", "start", "end", "blocks", "signature", "txSlot", "logMessages"} (exit 0), or
// fails after 20 s. Modules come from .peers/js (NODE_PATH, set by the test).
const { Connection, PublicKey, SystemProgram } = require("@solana/web3.js");
const run = require("./run.cjs");

const url = process.argv[2];

async function main() {
  const connection = new Connection(url, "confirmed");
  const start = (await connection.getSlot()) + 1;
  let slot = start;
  while (slot < start + 40) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    slot = await connection.getSlot();
  }
  const end = start + 39;
  const blocks = await connection.getBlocks(start, end, "confirmed");
  const signatures = await connection.getSignaturesForAddress(new PublicKey(SystemProgram.programId), { limit: 5 });
  const signature = signatures[0].signature;
  const tx = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0, commitment: "confirmed" });
  console.log(
    JSON.stringify({ slot, start, end, blocks, signature, txSlot: tx.slot, logMessages: tx.meta.logMessages }),
  );
}

run(main);
