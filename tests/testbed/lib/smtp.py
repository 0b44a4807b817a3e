#!/usr/bin/python3
"""The test bed's MX hosts: real SMTP servers (aiosmtpd, Debian
python3-aiosmtpd) on port 25 of loopback addresses, one behaviour each.

  --starttls ADDR CERT KEY   ESMTP with STARTTLS, presenting CERT (TLS 1.2+)
  --old-tls ADDR CERT KEY    ESMTP with STARTTLS, TLS 1.0 and 1.1 only
  --plain ADDR               ESMTP without STARTTLS
  --busy ADDR                greets "421 4.7.0 ... busy" and hangs up
  --delay ADDR TARGET SECS   accepts, says nothing for SECS, then relays to
                             TARGET (a tarpit / postscreen in front of a
                             healthy server)
  --ready FILE               touched once every listener is up

aiosmtpd rather than postfix/exim/opensmtpd: it runs unprivileged in the
foreground with no spool, queue or system configuration, several instances
with different certificates in one process start in milliseconds, and it is
a real RFC 5321/3207 implementation (EHLO, STARTTLS with the real OpenSSL).
Runs inside the testbed's private namespace; it dies with it.
"""

import argparse
import asyncio
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


class Refuse:
    """No mail is ever accepted: the probe must never get this far."""

    async def handle_MAIL(self, server, session, envelope, address, options):
        return "550 5.7.1 this test server accepts no mail"


def context(cert, key, old=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if old:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        # OpenSSL 3 refuses TLS 1.0/1.1 at the default security level.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


async def smtp_server(addr, ctx):
    host, port = hostport(addr)
    name = f"mx.{host}.testbed"

    def factory():
        return SMTP(Refuse(), hostname=name, tls_context=ctx, timeout=30)

    return await asyncio.get_running_loop().create_server(factory, host, port)


async def busy_server(addr):
    host, port = hostport(addr)

    async def handle(reader, writer):
        writer.write(b"421 4.7.0 mx.busy.testbed too busy, try again later\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, port)


async def delay_server(addr, target, secs):
    host, port = hostport(addr)
    thost, tport = hostport(target)

    async def pipe(reader, writer):
        try:
            while data := await reader.read(4096):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader, writer):
        await asyncio.sleep(secs)
        try:
            treader, twriter = await asyncio.open_connection(thost, tport)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, twriter), pipe(treader, writer))

    return await asyncio.start_server(handle, host, port)


async def main(args):
    servers = []
    for addr, cert, key in args.starttls or []:
        servers.append(await smtp_server(addr, context(cert, key)))
    for addr, cert, key in args.old_tls or []:
        servers.append(await smtp_server(addr, context(cert, key, old=True)))
    for addr in args.plain or []:
        servers.append(await smtp_server(addr, None))
    for addr in args.busy or []:
        servers.append(await busy_server(addr))
    for addr, target, secs in args.delay or []:
        servers.append(await delay_server(addr, target, float(secs)))
    if args.ready:
        open(args.ready, "w").close()
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starttls", nargs=3, action="append", metavar=("ADDR", "CERT", "KEY"))
    p.add_argument("--old-tls", nargs=3, action="append", metavar=("ADDR", "CERT", "KEY"))
    p.add_argument("--plain", action="append", metavar="ADDR")
    p.add_argument("--busy", action="append", metavar="ADDR")
    p.add_argument("--delay", nargs=3, action="append", metavar=("ADDR", "TARGET", "SECS"))
    p.add_argument("--ready", metavar="FILE")
    try:
        asyncio.run(main(p.parse_args()))
    except KeyboardInterrupt:
        sys.exit(0)
