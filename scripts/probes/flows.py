"""The flows probes are built from: a whole TLS 1.3 or 1.2 handshake followed by an echo,
with hooks for what to change."""

from wire import (Client12, Client13, OK, Outcome, APPDATA, HANDSHAKE, KEY_UPDATE,
                  default_extensions12, default_extensions13)


def hello13(addr, edit=None, **kw):
    """A TLS 1.3 handshake whose ClientHello extensions pass through `edit` (a function
    from the client and the default list to the list sent); success is the echo."""
    c = Client13(addr)
    exts = default_extensions13(c.share)
    if edit is not None:
        exts = edit(c, exts)
    c.full(exts, **kw)
    return c.echo()


def hello12(addr, edit=None, ems=True, **kw):
    """A TLS 1.2 handshake whose ClientHello extensions pass through `edit`."""
    c = Client12(addr)
    exts = default_extensions12(ems=ems)
    if edit is not None:
        exts = edit(c, exts)
    c.full(exts, **kw)
    return c.echo()


def replace(exts, name, body):
    """The extension list with `name`'s body replaced (or added at the end)."""
    out, done = [], False
    for n, b in exts:
        if n == name:
            out.append((n, body))
            done = True
        else:
            out.append((n, b))
    if not done:
        out.append((name, body))
    return out


def without(exts, *names):
    return [(n, b) for n, b in exts if n not in names]


def connected13(addr, **kw):
    """A finished TLS 1.3 connection (its NewSessionTickets may still be in flight)."""
    c = Client13(addr)
    c.full(**kw)
    return c


def connected12(addr, **kw):
    c = Client12(addr)
    c.full(**kw)
    return c


def echo13(c, data=b"ping\n"):
    """Echo over TLS 1.3, following the server's KeyUpdates."""
    c.c.send_record(APPDATA, data)
    got = b""
    while len(got) < len(data):
        ctype, body = c.c.read_record()
        if ctype == APPDATA:
            got += body
        elif ctype == HANDSHAKE:
            c.c.hs_buf += body
            while len(c.c.hs_buf) >= 4:
                length = int.from_bytes(c.c.hs_buf[1:4], "big")
                if len(c.c.hs_buf) < 4 + length:
                    break
                msg, c.c.hs_buf = c.c.hs_buf[:4 + length], c.c.hs_buf[4 + length:]
                if msg[0] == KEY_UPDATE:
                    c.update_read()
                    c.server_key_updates = getattr(c, "server_key_updates", 0) + 1
    return OK if got == data else Outcome("mismatch", note="echo differs")
