#!/usr/bin/env python3
"""Socket.IO server (python-socketio on aiohttp), WebSocket transport only.

Prints its port as the first line of stdout, then serves until SIGTERM or
until its stdin (when a pipe) closes.

Default namespace "/": event "add" returns a+b as its ack; event "upload"
(a dict holding bytes) acks with the byte count and emits "download" with
the bytes reversed (a BINARY_EVENT from the server).
Namespace "/chat": event "chat" (a dict) emits "reply" back to the sender.
Engine.IO pings every second, so a conversation longer than that sees a
PING (2) and a PONG (3).
"""
import asyncio
import os
import signal
import socket
import stat
import sys

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", transports=["websocket"],
                           ping_interval=1, ping_timeout=5,
                           # A relay rewrites Host but not Origin (the client sends one
                           # naming the address it dialled): accept any Origin.
                           cors_allowed_origins="*")


@sio.event
async def connect(sid, environ, auth=None):
    pass


@sio.event
async def add(sid, a, b):
    return a + b


@sio.event
async def upload(sid, data):
    await sio.emit("download", {"name": data["name"], "data": bytes(reversed(data["data"]))}, to=sid)
    return len(data["data"])


@sio.on("connect", namespace="/chat")
async def chat_connect(sid, environ, auth=None):
    pass


@sio.on("chat", namespace="/chat")
async def chat(sid, data):
    await sio.emit("reply", {"echo": data["text"], "from": "server"}, to=sid, namespace="/chat")


def stdin_is_pipe():
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def main():
    app = web.Application()
    sio.attach(app)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(sock.getsockname()[1], flush=True)

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    if stdin_is_pipe():
        def eof():
            try:
                data = os.read(0, 4096)
            except BlockingIOError:  # the pipe may be non-blocking (shared with node)
                return
            if not data:
                loop.remove_reader(0)
                stop.done() or stop.set_result(None)
        loop.add_reader(0, eof)
    await stop
    await asyncio.wait_for(runner.cleanup(), 3)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (asyncio.TimeoutError, KeyboardInterrupt):
        pass
