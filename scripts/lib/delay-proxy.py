#!/usr/bin/env python3
"""A TCP proxy for scripts/bench: 127.0.0.1:LISTEN to 127.0.0.1:TARGET, holding every chunk the
server sends for DELAY_MS milliseconds after it came before passing it on, as a registry farther
away than the loopback would (one-way latency on the answers; chunks sent back to back arrive
back to back). Listens on 127.0.0.1 only.

usage: delay-proxy.py LISTEN TARGET DELAY_MS
"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    """Passes on what `reader` gives, each chunk `delay` seconds after it came: a latency, not a
    pause per chunk (answers sent back to back arrive back to back, later)."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                chunk = await reader.read(65536)
                await queue.put((loop.time() + delay, chunk))
                if not chunk:
                    break
        except (ConnectionError, asyncio.CancelledError):
            await queue.put((loop.time(), b""))

    reading = asyncio.ensure_future(read())
    try:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        reading.cancel()
        writer.close()


async def main(listen, target, delay):
    async def handle(client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w, 0), pipe(server_r, client_w, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000))
