"""web3.py v8 against a WebSocket endpoint: `python web3_blocks.py WS_URL COUNT`.

Watches blocks as web3.py's documentation shows: subscribes to newHeads and fetches each head's
block with `eth.get_block` (eth_getBlockByNumber). Prints {"chainId": ..., "heads": [...],
"blocks": [...]} once COUNT blocks came (exit 0), each head and block as its number, hash,
parentHash, timestamp, stateRoot and miner (lowercase 0x-hex), or fails after 20 s.
Runs in the venv of .peers/py (scripts/install-peers.sh).
"""

import asyncio
import json
import sys

from web3 import AsyncWeb3, WebSocketProvider


def header(block) -> dict:
    def hexed(value):
        if isinstance(value, int):
            return hex(value)
        if isinstance(value, (bytes, bytearray)):
            return "0x" + bytes(value).hex()
        return str(value).lower()

    return {
        name: hexed(block[name]).lower()
        for name in ("number", "hash", "parentHash", "timestamp", "stateRoot", "miner")
    }


async def main(url: str, wanted: int) -> None:
    heads, blocks = [], []
    async with AsyncWeb3(WebSocketProvider(url)) as w3:
        chain_id = await w3.eth.chain_id
        await w3.eth.subscribe("newHeads")
        async for message in w3.socket.process_subscriptions():
            head = message["result"]
            heads.append(header(head))
            blocks.append(header(await w3.eth.get_block(head["number"])))
            if len(blocks) == wanted:
                break
    print(json.dumps({"chainId": chain_id, "heads": heads, "blocks": blocks}))


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1], int(sys.argv[2])), 20))
