#!/usr/bin/python3
"""Small servers the testbed needs that nginx/unbound/dnsdist cannot be:

  serve   the misbehaving HTTP origins behind nginx (slow, trickle, endless)
          and, when asked, the delay proxies (TCP and UDP) that add latency
          to DNS answers and HTTPS responses.
  wait    polls until TCP ports accept and DNS answers, or fails.
  dnsq    one DNS query over UDP (fallback for scripts without dig).

Standard library only (python3 from Debian). Runs inside the testbed's
private namespace; it dies with it.
"""

import argparse
import asyncio
import os
import socket
import struct
import sys
import time


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


# --- misbehaving HTTP origins ------------------------------------------------

async def read_request(reader):
    """Reads one request head; returns False on EOF."""
    try:
        await reader.readuntil(b"\r\n\r\n")
        return True
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return False


def slow_handler():
    async def handle(reader, writer):
        # Read the request, then never answer: the client (or nginx in front)
        # sees an accepted connection and a completed TLS handshake, then
        # silence. Hold the socket until the peer goes away.
        if await read_request(reader):
            try:
                while await reader.read(4096):
                    pass
            except ConnectionError:
                pass
        writer.close()
    return handle


def trickle_handler(body):
    async def handle(reader, writer):
        if not await read_request(reader):
            writer.close()
            return
        try:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
            await writer.drain()
            for i in range(len(body)):
                writer.write(body[i:i + 1])
                await writer.drain()
                await asyncio.sleep(1.0)
        except ConnectionError:
            pass
        writer.close()
    return handle


def endless_handler(head):
    async def handle(reader, writer):
        if not await read_request(reader):
            writer.close()
            return
        chunk = b"a" * 16384
        try:
            # No Content-Length, close-delimited: the body never ends.
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Connection: close\r\n\r\n" + head + b"x_padding: ")
            while True:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(0.001)  # at most ~16 MB/s: enough, and no busy loop
        except ConnectionError:
            pass
        writer.close()
    return handle


# --- delay proxies --------------------------------------------------------------

def tcp_delay_handler(upstream, delay):
    """Every chunk the upstream sends is forwarded `delay` seconds after it
    arrived (order kept); the client's bytes go upstream at once. This is a
    one-way latency on the server->client direction, like netem on egress."""
    loop = asyncio.get_event_loop()

    async def handle(creader, cwriter):
        try:
            ureader, uwriter = await asyncio.open_connection(*upstream)
        except OSError:
            cwriter.close()
            return

        async def up():
            try:
                while True:
                    data = await creader.read(65536)
                    if not data:
                        break
                    uwriter.write(data)
                    await uwriter.drain()
                if uwriter.can_write_eof():
                    uwriter.write_eof()
            except (ConnectionError, OSError):
                uwriter.close()

        queue = asyncio.Queue()

        async def down_read():
            try:
                while True:
                    data = await ureader.read(65536)
                    await queue.put((loop.time() + delay, data))
                    if not data:
                        break
            except (ConnectionError, OSError):
                await queue.put((loop.time() + delay, b""))

        async def down_write():
            try:
                while True:
                    due, data = await queue.get()
                    wait = due - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if not data:
                        break
                    cwriter.write(data)
                    await cwriter.drain()
            except (ConnectionError, OSError):
                pass
            cwriter.close()
            uwriter.close()

        await asyncio.gather(up(), down_read(), down_write(), return_exceptions=True)
    return handle


class UdpFront(asyncio.DatagramProtocol):
    """Forwards each datagram to the upstream from a fresh socket and sends
    the answer back `delay` seconds after it arrived."""

    def __init__(self, upstream, delay):
        self.upstream = upstream
        self.delay = delay
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        asyncio.ensure_future(self.forward(data, addr))

    async def forward(self, data, addr):
        loop = asyncio.get_event_loop()
        done = loop.create_future()

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self_, reply, _addr):
                if not done.done():
                    done.set_result(reply)

            def error_received(self_, exc):
                if not done.done():
                    done.set_exception(exc)

        try:
            transport, _ = await loop.create_datagram_endpoint(Back, remote_addr=self.upstream)
        except OSError:
            return
        try:
            transport.sendto(data)
            reply = await asyncio.wait_for(done, 30)
        except (asyncio.TimeoutError, OSError):
            return
        finally:
            transport.close()
        loop.call_later(self.delay, self.transport.sendto, reply, addr)


async def serve(args):
    loop = asyncio.get_event_loop()
    servers = []
    bodies = args.bodies

    def body(name):
        with open(os.path.join(bodies, name), "rb") as f:
            return f.read()

    if args.slow:
        servers.append(await asyncio.start_server(slow_handler(), *hostport(args.slow)))
    if args.trickle:
        servers.append(await asyncio.start_server(
            trickle_handler(body("trickle.txt")), *hostport(args.trickle)))
    if args.endless:
        servers.append(await asyncio.start_server(
            endless_handler(body("endless.head.txt")), *hostport(args.endless)))
    for listen, upstream, ms in args.tcp_delay or []:
        servers.append(await asyncio.start_server(
            tcp_delay_handler(hostport(upstream), int(ms) / 1000.0), *hostport(listen),
            reuse_address=True))
    for listen, upstream, ms in args.udp_delay or []:
        await loop.create_datagram_endpoint(
            lambda u=hostport(upstream), d=int(ms) / 1000.0: UdpFront(u, d),
            local_addr=hostport(listen))
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.ready + ".tmp", args.ready)
    await asyncio.Event().wait()


# --- DNS probe -------------------------------------------------------------------

def dns_query(name, qtype, server, timeout):
    """One UDP query; returns (rcode, answer count) or raises OSError."""
    qid = int.from_bytes(os.urandom(2), "big")
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q, server)
        while True:
            r, _ = s.recvfrom(65535)
            if len(r) >= 12 and struct.unpack(">H", r[:2])[0] == qid:
                flags, _, an = struct.unpack(">HHH", r[2:8])
                return flags & 0xF, an
    finally:
        s.close()


def wait(args):
    deadline = time.monotonic() + args.timeout
    tcp = [hostport(t) for t in args.tcp or []]
    dns = [hostport(d) for d in args.dns or []]
    files = list(args.file or [])
    pids = [p.split("=", 1) for p in args.pid or []]
    while True:
        for name, pid in pids:
            try:
                with open("/proc/%s/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                state = "gone"
            if state in ("Z", "X", "gone"):
                print("testbed: %s (pid %s) exited during start-up" % (name, pid), file=sys.stderr)
                return 1
        pending = []
        for f in files:
            if not os.path.exists(f):
                pending.append("file " + f)
        for hp in tcp:
            try:
                socket.create_connection(hp, timeout=0.2).close()
            except OSError:
                pending.append("tcp %s:%d" % hp)
        for hp in dns:
            try:
                rcode, an = dns_query(args.name, 6, hp, 0.3)  # SOA
                if rcode != 0 or an == 0:
                    pending.append("dns %s:%d (rcode %d)" % (hp + (rcode,)))
            except OSError:
                pending.append("dns %s:%d" % hp)
        if not pending:
            return 0
        if time.monotonic() > deadline:
            print("testbed: not ready after %ss: %s" % (args.timeout, ", ".join(pending)),
                  file=sys.stderr)
            return 1
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--bodies", required=True)
    s.add_argument("--slow")
    s.add_argument("--trickle")
    s.add_argument("--endless")
    s.add_argument("--tcp-delay", nargs=3, action="append", metavar=("LISTEN", "UPSTREAM", "MS"))
    s.add_argument("--udp-delay", nargs=3, action="append", metavar=("LISTEN", "UPSTREAM", "MS"))
    s.add_argument("--ready")
    w = sub.add_parser("wait")
    w.add_argument("--tcp", action="append")
    w.add_argument("--dns", action="append")
    w.add_argument("--file", action="append")
    w.add_argument("--pid", action="append", help="NAME=PID that must stay alive")
    w.add_argument("--name", default="mtasts.test")
    w.add_argument("--timeout", type=float, default=10)
    q = sub.add_parser("dnsq")
    q.add_argument("name")
    q.add_argument("qtype", type=int)
    q.add_argument("--server", default="127.0.0.1:53")
    args = ap.parse_args()
    if args.cmd == "serve":
        try:
            asyncio.run(serve(args))
        except KeyboardInterrupt:
            pass
        return 0
    if args.cmd == "wait":
        return wait(args)
    if args.cmd == "dnsq":
        rcode, an = dns_query(args.name, args.qtype, hostport(args.server), 2)
        print("rcode=%d answers=%d" % (rcode, an))
        return 0


if __name__ == "__main__":
    sys.exit(main())
