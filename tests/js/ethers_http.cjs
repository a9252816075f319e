// ethers v6 against an HTTP JSON-RPC endpoint: `node ethers_http.cjs HTTP_URL [NUMBER]` makes
// a JsonRpcProvider, reads block NUMBER (without it: waits for three blocks and takes the one
// before the newest) with getBlock and its logs with getLogs({blockHash}), and prints
// {"chainId":…, "block":{number, hash, parentHash}, "logs":[{transactionHash, logIndex}]}
// (exit 0), or fails after 20 s. Modules come from .peers/js (NODE_PATH, set by the test).
const { JsonRpcProvider } = require("ethers");
const run = require("./run.cjs");

const [url, asked] = [process.argv[2], process.argv[3]];

async function main() {
  const provider = new JsonRpcProvider(url);
  const network = await provider.getNetwork();
  let number = Number(asked);
  if (asked === undefined) {
    const first = await provider.getBlockNumber();
    let newest = first;
    while (newest < first + 3) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      newest = await provider.getBlockNumber();
    }
    number = newest - 1;
  }
  const block = await provider.getBlock(number);
  const logs = await provider.getLogs({ blockHash: block.hash });
  console.log(
    JSON.stringify({
      chainId: network.chainId.toString(),
      block: { number: block.number, hash: block.hash, parentHash: block.parentHash },
      logs: logs.map((log) => ({ transactionHash: log.transactionHash, logIndex: log.index })),
    }),
  );
  provider.destroy();
}

run(main);
