// viem v2's block watcher over a WebSocket: `node viem_watch_blocks.cjs WS_URL COUNT`.
// `watchBlocks` subscribes to newHeads and fetches every head's block with
// eth_getBlockByNumber, handing `undefined` to onBlock when that lookup fails (viem swallows the
// error), so a server that cannot answer the lookup leaves the watcher silently blind. Next to
// it a raw newHeads subscription keeps the heads the server sent. Prints
// {"blocks":[…], "heads":[…], "missing":N} once COUNT blocks arrived (exit 0): each block and
// head as its number, hash, parentHash, timestamp, stateRoot and miner (numbers as 0x-hex, as
// the server wrote them), `missing` counting the undefined blocks. Fails after 20 s.
// Modules come from .peers/js (NODE_PATH, set by the test).
const { createPublicClient, webSocket } = require("viem");
const run = require("./run.cjs");

const [url, wanted] = [process.argv[2], Number(process.argv[3] || 3)];
const hex = (value) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value);
const header = (block) => ({
  number: hex(block.number),
  hash: block.hash,
  parentHash: block.parentHash,
  timestamp: hex(block.timestamp),
  stateRoot: block.stateRoot,
  miner: block.miner.toLowerCase(),
});

async function main() {
  const client = createPublicClient({ transport: webSocket(url) });
  const heads = [];
  const { subscribe } = client.transport;
  const raw = await subscribe({ params: ["newHeads"], onData: (data) => heads.push(header(data.result)) });
  const blocks = [];
  let missing = 0;
  await new Promise((resolve, reject) => {
    const unwatch = client.watchBlocks({
      onBlock(block) {
        if (block === undefined) {
          missing += 1;
        } else {
          blocks.push(header(block));
        }
        if (blocks.length + missing === wanted) {
          unwatch();
          resolve();
        }
      },
      onError: reject,
    });
  });
  await raw.unsubscribe();
  console.log(JSON.stringify({ blocks, heads, missing }));
  process.exit(0);
}

run(main);
