"""solana-py against a WebSocket endpoint: `python solana_logs.py WS_URL COUNT`.

Subscribes with `logs_subscribe()` as its users do (the library sends ["all", {}]), reads COUNT
logsNotifications and prints {"slots": [...], "signatures": [...]} (exit 0), or fails after 20 s.
Runs in the venv of .peers/py (scripts/install-peers.sh).
"""

import asyncio
import json
import sys

from solana.rpc.websocket_api import SolanaWsClient


async def main(url: str, wanted: int) -> None:
    slots, signatures = [], []
    async with SolanaWsClient(url) as ws:
        await ws.logs_subscribe()
        while len(signatures) < wanted:
            notification = await ws.recv()
            slots.append(notification.result.context.slot)
            signatures.append(str(notification.result.value.signature))
    print(json.dumps({"slots": slots, "signatures": signatures}))


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1], int(sys.argv[2])), 20))
