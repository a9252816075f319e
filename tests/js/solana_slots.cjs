// @solana/web3.js v1 against a replay: `node solana_slots.cjs WS_URL COUNT` makes a Connection
// whose wsEndpoint is the replay, calls onSlotChange and prints {"slots":[…]} once COUNT slot
// notifications arrived (exit 0), or fails after 20 s. Modules come from .peers/js
// (NODE_PATH, set by tests/replay.rs).
const { Connection } = require("@solana/web3.js");

const [url, wanted] = [process.argv[2], Number(process.argv[3] || 3)];
const slots = [];
const timer = setTimeout(() => {
  console.error(`timed out after 20 s with ${slots.length} of ${wanted} slots: ${slots}`);
  process.exit(1);
}, 20000);

// The HTTP endpoint is never used: only subscriptions are made, over wsEndpoint.
const connection = new Connection(url.replace(/^ws/, "http"), { wsEndpoint: url, commitment: "confirmed" });
const id = connection.onSlotChange(async (info) => {
  slots.push(info.slot);
  if (slots.length === wanted) {
    clearTimeout(timer);
    await connection.removeSlotChangeListener(id);
    console.log(JSON.stringify({ slots }));
    process.exit(0);
  }
});
