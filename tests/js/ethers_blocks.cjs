// ethers v6 against a replay: `node ethers_blocks.cjs WS_URL COUNT` connects a WebSocketProvider
// (which asks eth_chainId before it subscribes), listens for "block" events and prints
// {"chainId":…, "blocks":[…]} once COUNT blocks arrived (exit 0), or fails after 20 s.
// Modules come from .peers/js (NODE_PATH, set by tests/replay.rs).
const { WebSocketProvider } = require("ethers");

const [url, wanted] = [process.argv[2], Number(process.argv[3] || 3)];
const blocks = [];
const timer = setTimeout(() => {
  console.error(`timed out after 20 s with ${blocks.length} of ${wanted} blocks: ${blocks}`);
  process.exit(1);
}, 20000);

async function main() {
  const provider = new WebSocketProvider(url);
  const network = await provider.getNetwork();
  provider.on("block", async (number) => {
    blocks.push(number);
    if (blocks.length === wanted) {
      clearTimeout(timer);
      console.log(JSON.stringify({ chainId: network.chainId.toString(), blocks }));
      await provider.destroy();
      process.exit(0);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
