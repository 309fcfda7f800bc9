"""Probes on the flow of a connection: TLS 1.2 rules, message order, ChangeCipherSpec, the
record layer, KeyUpdate, renegotiation, alerts and the Bleichenbacher family."""

import os

import wire
from wire import (OK, Outcome, fatal, warning, handshake, vec8, vec16, u8, u16, record,
                  Client12, Client13, Ended, CCS, ALERT, HANDSHAKE, APPDATA, CLIENT_HELLO,
                  SERVER_HELLO, CERTIFICATE, CERTIFICATE_VERIFY, CLIENT_KEY_EXCHANGE, FINISHED,
                  KEY_UPDATE, NEW_SESSION_TICKET, END_OF_EARLY_DATA, HELLO_REQUEST,
                  ENCRYPTED_EXTENSIONS, CERTIFICATE_REQUEST, SERVER_KEY_EXCHANGE,
                  RSA_AES128_GCM, ECDHE_RSA_AES128_GCM, SECP256R1, u16_list,
                  default_extensions12, default_extensions13, client_hello_body,
                  TLS_AES_128_GCM_SHA256, EMPTY_RENEGOTIATION_INFO_SCSV, EXT)
from flows import echo13, replace, without
from runner import Probe

UNEXPECTED = fatal("unexpected_message")
DECODE = fatal("decode_error")
ILLEGAL = fatal("illegal_parameter")
DECRYPT = fatal("decrypt_error")
BAD_MAC = fatal("bad_record_mac")
OVERFLOW = fatal("record_overflow")
HS_FAIL = fatal("handshake_failure")

MAX = 2 ** 14


def hs13(addr):
    """A TLS 1.3 client that has the server's flight and its own handshake keys on."""
    c = Client13(addr)
    c.handshake_to_finished()
    return c


def done13(addr):
    c = Client13(addr)
    c.full()
    return c


def at_cke12(addr, suites=(ECDHE_RSA_AES128_GCM,), ems=True, exts=None):
    """A TLS 1.2 client that has read ServerHelloDone."""
    c = Client12(addr)
    c.send_hello(exts if exts is not None else default_extensions12(ems=ems), suites=list(suites))
    c.read_server_flight()
    return c


def done12(addr, **kw):
    c = Client12(addr)
    c.full(**kw)
    return c


def end(c):
    return c.c.await_end()


# ---------------------------------------------------------------------------------- TLS 1.2

def tls12_probes():
    probes = []
    F = "tls12"

    def finished(name, verify_fn, expect, rfc):
        def run(addr, env):
            c = at_cke12(addr)
            c.send_key_exchange()
            c.send_ccs()
            c.send_finished(verify_fn(c.finished_data()))
            return end(c)
        probes.append(Probe(F, "finished-" + name, expect, run, rfc=rfc))

    finished("first-bit-flipped", lambda v: bytes([v[0] ^ 1]) + v[1:], DECRYPT, "RFC 5246 §7.4.9, §7.2.2")
    finished("last-bit-flipped", lambda v: v[:-1] + bytes([v[-1] ^ 0x80]), DECRYPT, "RFC 5246 §7.4.9")
    finished("all-zero", lambda v: bytes(12), DECRYPT, "RFC 5246 §7.4.9")
    for length in (0, 1, 11, 13, 32):
        finished("length-%d" % length, (lambda n: lambda v: (v + bytes(32))[:n])(length), DECODE,
                 "RFC 5246 §7.4.9 verify_data[12], §7.2.2")
    finished("padded-left", lambda v: b"\x00" + v, DECODE, "RFC 5246 §7.4.9")
    finished("server-label", None, DECRYPT, "RFC 5246 §7.4.9 (server's label)")
    probes[-1].run = _finished_with_label(b"server finished")

    def cke(name, body_fn, expect, rfc, groups=None):
        def run(addr, env):
            exts = default_extensions12()
            if groups:
                exts = replace(exts, "supported_groups", u16_list(groups))
            c = at_cke12(addr, exts=exts)
            body, _ = c.key_exchange()
            c.send_key_exchange(cke_body=body_fn(c, body), pms=bytes(32))
            c.send_ccs()
            c.send_finished()
            return end(c)
        probes.append(Probe(F, "cke-" + name, expect, run, rfc=rfc))

    cke("x25519-empty", lambda c, b: vec8(b""), DECODE, "RFC 8422 §5.7 ECPoint<1..2^8-1>")
    cke("x25519-no-length", lambda c, b: b"", DECODE, "RFC 8422 §5.7")
    cke("x25519-length-overrun", lambda c, b: u8(33) + b[1:], DECODE, "RFC 8422 §5.7")
    cke("x25519-trailing-byte", lambda c, b: b + b"\x00", DECODE, "RFC 8422 §5.7")
    cke("x25519-31-bytes", lambda c, b: vec8(b[1:32]), ILLEGAL, "RFC 8422 §5.11 (32-byte X25519)")
    cke("x25519-all-zero", lambda c, b: vec8(bytes(32)), ILLEGAL, "RFC 8422 §5.11 all-zero secret")
    cke("p256-not-on-curve", lambda c, b: vec8(b"\x04" + bytes(range(1, 65))), ILLEGAL,
        "RFC 8422 §5.11 point validation", groups=[SECP256R1])
    cke("p256-compressed", lambda c, b: vec8(b"\x02" + b[2:34]), ILLEGAL,
        "RFC 8422 §5.1.2 uncompressed only", groups=[SECP256R1])
    cke("p256-infinity", lambda c, b: vec8(b"\x00"), ILLEGAL, "RFC 8422 §5.11", groups=[SECP256R1])

    def p256_ok(addr, env):
        c = Client12(addr)
        c.full(replace(default_extensions12(), "supported_groups", u16_list([SECP256R1])),
               suites=[ECDHE_RSA_AES128_GCM])
        return c.echo()
    probes.append(Probe(F, "ecdhe-p256", OK, p256_ok, rfc="RFC 8422 §5.4"))

    def hello(name, edit, expect, rfc, suites=(ECDHE_RSA_AES128_GCM,), server="default"):
        def run(addr, env):
            c = Client12(addr)
            c.full(edit(default_extensions12()), suites=list(suites))
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc, server=server))

    hello("point-formats-without-uncompressed", lambda e: replace(e, "ec_point_formats", vec8(u8(1))),
          ILLEGAL, "RFC 8422 §5.1.2")
    hello("point-formats-compressed-and-uncompressed",
          lambda e: replace(e, "ec_point_formats", vec8(u8(1) + u8(0))), OK, "RFC 8422 §5.1.2")
    hello("no-point-formats", lambda e: without(e, "ec_point_formats"), OK, "RFC 8422 §5.1.2 (default uncompressed)")
    hello("unknown-groups-only", lambda e: replace(e, "supported_groups", u16_list([0x0a0a, 0x1234])),
          HS_FAIL, "RFC 8422 §5.1")
    hello("x448-only-group", lambda e: replace(e, "supported_groups", u16_list([30])), HS_FAIL,
          "RFC 8422 §5.1 (X448 unsupported)")
    hello("unknown-groups-with-rsa-fallback", lambda e: replace(e, "supported_groups", u16_list([0x1234])),
          OK, "RFC 8422 §5.1 (non-ECC suite chosen)", suites=(ECDHE_RSA_AES128_GCM, RSA_AES128_GCM))
    hello("sigalgs-unknown-only", lambda e: replace(e, "signature_algorithms", u16_list([0x0a0a])),
          HS_FAIL, "RFC 5246 §7.4.1.4.1")
    hello("sigalgs-rsa-pss-only", lambda e: replace(e, "signature_algorithms", u16_list([0x0804])),
          OK, "RFC 8446 §4.2.3 (PSS in TLS 1.2)")
    hello("sigalgs-ecdsa-only-rsa-suite", lambda e: replace(e, "signature_algorithms", u16_list([0x0403])),
          HS_FAIL, "RFC 5246 §7.4.1.4.1, §7.4.2")
    hello("session-ticket-garbage", lambda e: e + [("session_ticket", os.urandom(100))], OK,
          "RFC 5077 §3.4 (full handshake)")
    hello("status-request", lambda e: e + [("status_request", u8(1) + vec16(b"") + vec16(b""))], OK,
          "RFC 6066 §8 (server may not staple)")
    return probes


def _finished_with_label(label):
    def run(addr, env):
        c = at_cke12(addr)
        c.send_key_exchange()
        c.send_ccs()
        c.send_finished(c.finished_data(label))
        return end(c)
    return run


# ------------------------------------------------------------------------------ message order

def order_probes():
    probes = []
    F = "order"

    def first(name, msg, expect, rfc):
        def run(addr, env):
            c = wire.Conn(addr)
            c.send(record(HANDSHAKE, msg, 0x0301))
            return c.await_end()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    first("finished-first", handshake(FINISHED, bytes(32)), UNEXPECTED, "RFC 8446 §4, RFC 5246 §7.4")
    first("server-hello-first", handshake(SERVER_HELLO, bytes(38) + b"\x13\x01\x00"), UNEXPECTED, "RFC 8446 §4")
    first("client-key-exchange-first", handshake(CLIENT_KEY_EXCHANGE, vec8(bytes(32))), UNEXPECTED,
          "RFC 5246 §7.4")
    first("certificate-first", handshake(CERTIFICATE, vec24_empty()), UNEXPECTED, "RFC 5246 §7.4")
    first("key-update-first", handshake(KEY_UPDATE, u8(0)), UNEXPECTED, "RFC 8446 §4")
    first("hello-request-first", handshake(HELLO_REQUEST, b""), UNEXPECTED, "RFC 5246 §7.4.1.1")
    first("unknown-type-99-first", handshake(99, b"\x00"), UNEXPECTED, "RFC 8446 §4, RFC 5246 §7.4")
    first("new-session-ticket-first", handshake(NEW_SESSION_TICKET, bytes(9)), UNEXPECTED, "RFC 8446 §4")

    def mid13(name, action, expect, rfc):
        def run(addr, env):
            c = hs13(addr)
            action(c)
            return end(c)
        probes.append(Probe(F, "tls13-" + name, expect, run, rfc=rfc))

    enc = lambda ctype, body: lambda c: c.c.send_record(ctype, body)
    mid13("certificate-instead-of-finished", enc(HANDSHAKE, handshake(CERTIFICATE, u8(0) + u16(0) + b"\x00")),
          UNEXPECTED, "RFC 8446 §4.4.2 (no CertificateRequest)")
    mid13("certificate-verify-instead-of-finished",
          enc(HANDSHAKE, handshake(CERTIFICATE_VERIFY, u16(0x0403) + vec16(bytes(64)))), UNEXPECTED,
          "RFC 8446 §4.4.3")
    mid13("end-of-early-data-instead-of-finished", enc(HANDSHAKE, handshake(END_OF_EARLY_DATA, b"")),
          UNEXPECTED, "RFC 8446 §4.5 (no early data accepted)")
    mid13("new-session-ticket-instead-of-finished",
          enc(HANDSHAKE, handshake(NEW_SESSION_TICKET, bytes(9) + vec16(b"\x01") + u16(0))),
          UNEXPECTED, "RFC 8446 §4")
    mid13("encrypted-extensions-instead-of-finished", enc(HANDSHAKE, handshake(ENCRYPTED_EXTENSIONS, u16(0))),
          UNEXPECTED, "RFC 8446 §4")
    mid13("client-hello-instead-of-finished",
          lambda c: c.c.send_record(HANDSHAKE, handshake(CLIENT_HELLO, c.ch_body)), UNEXPECTED,
          "RFC 8446 §4.1.2")
    mid13("app-data-instead-of-finished", enc(APPDATA, b"GET / HTTP/1.0\r\n\r\n"), UNEXPECTED,
          "RFC 8446 §2, §5")
    mid13("plaintext-client-hello-again",
          lambda c: c.c.send(record(HANDSHAKE, handshake(CLIENT_HELLO, c.ch_body))), UNEXPECTED,
          "RFC 8446 §5 (plaintext handshake under protection)")

    def after13(name, action, expect, rfc):
        def run(addr, env):
            c = done13(addr)
            echo13(c)
            action(c)
            return end(c)
        probes.append(Probe(F, "tls13-" + name, expect, run, rfc=rfc))

    after13("finished-twice", lambda c: c.c.send_record(HANDSHAKE, handshake(FINISHED, bytes(32))),
            UNEXPECTED, "RFC 8446 §4")
    after13("client-hello-after-handshake",
            lambda c: c.c.send_record(HANDSHAKE, handshake(CLIENT_HELLO, c.ch_body)), UNEXPECTED,
            "RFC 8446 §4.1.2 no renegotiation")
    after13("new-session-ticket-from-client",
            lambda c: c.c.send_record(HANDSHAKE, handshake(NEW_SESSION_TICKET, bytes(4) + bytes(4) + vec8(b"") +
                                                           vec16(b"\x01") + u16(0))), UNEXPECTED,
            "RFC 8446 §4.6.1 (servers send it)")
    after13("certificate-request-from-client",
            lambda c: c.c.send_record(HANDSHAKE, handshake(CERTIFICATE_REQUEST, vec8(b"") + u16(0))),
            UNEXPECTED, "RFC 8446 §4.6.2")
    after13("hello-request-after-handshake", lambda c: c.c.send_record(HANDSHAKE, handshake(HELLO_REQUEST, b"")),
            UNEXPECTED, "RFC 8446 §4")
    after13("certificate-after-handshake",
            lambda c: c.c.send_record(HANDSHAKE, handshake(CERTIFICATE, u8(0) + u16(0) + b"\x00")),
            UNEXPECTED, "RFC 8446 §4.6.2 (no post-handshake CertificateRequest)")
    after13("unknown-handshake-type", lambda c: c.c.send_record(HANDSHAKE, handshake(99, b"")),
            UNEXPECTED, "RFC 8446 §4")

    def mid12(name, steps, expect, rfc):
        def run(addr, env):
            c = at_cke12(addr)
            steps(c)
            return end(c)
        probes.append(Probe(F, "tls12-" + name, expect, run, rfc=rfc))

    def ccs_finished(c):
        body, pms = c.key_exchange()
        c.derive(pms)
        c.send_ccs()
        c.send_finished()

    mid12("finished-without-key-exchange", ccs_finished, UNEXPECTED, "RFC 5246 §7.4")
    mid12("key-exchange-twice", lambda c: (c.send_key_exchange(),
                                           c.c.send_record(HANDSHAKE, handshake(CLIENT_KEY_EXCHANGE, vec8(c.share.public)))),
          UNEXPECTED, "RFC 5246 §7.4")
    mid12("certificate-unsolicited", lambda c: c.c.send_record(HANDSHAKE, handshake(CERTIFICATE, u24(0))),
          UNEXPECTED, "RFC 5246 §7.4.6 (no CertificateRequest)")
    mid12("certificate-verify-unsolicited",
          lambda c: (c.send_key_exchange(), c.c.send_record(HANDSHAKE, handshake(CERTIFICATE_VERIFY, u16(0x0401) + vec16(bytes(256))))),
          UNEXPECTED, "RFC 5246 §7.4.8")
    mid12("finished-before-ccs", lambda c: (c.send_key_exchange(), c.send_finished()), UNEXPECTED,
          "RFC 5246 §7.4.9")
    mid12("app-data-before-ccs", lambda c: (c.send_key_exchange(), c.c.send_record(APPDATA, b"x")),
          UNEXPECTED, "RFC 5246 §7.4, §6")
    mid12("app-data-instead-of-finished",
          lambda c: (c.send_key_exchange(), c.send_ccs(), c.c.send_record(APPDATA, b"x")),
          UNEXPECTED, "RFC 5246 §7.4.9")
    mid12("client-hello-again", lambda c: c.c.send_record(HANDSHAKE, handshake(CLIENT_HELLO, client_hello_body(
        default_extensions12(), [ECDHE_RSA_AES128_GCM]))), UNEXPECTED, "RFC 5246 §7.4")
    mid12("server-hello-from-client",
          lambda c: c.c.send_record(HANDSHAKE, handshake(SERVER_HELLO, bytes(38) + b"\xc0\x2f\x00")),
          UNEXPECTED, "RFC 5246 §7.4")
    mid12("server-key-exchange-from-client",
          lambda c: c.c.send_record(HANDSHAKE, handshake(SERVER_KEY_EXCHANGE, b"\x03\x00\x1d" + vec8(bytes(32)))),
          UNEXPECTED, "RFC 5246 §7.4")
    mid12("new-session-ticket-from-client",
          lambda c: (c.send_key_exchange(), c.c.send_record(HANDSHAKE, handshake(NEW_SESSION_TICKET, bytes(4) + vec16(b"x")))),
          UNEXPECTED, "RFC 5077 §3.3")
    mid12("finished-then-key-exchange",
          lambda c: (c.send_key_exchange(), c.send_ccs(), c.send_finished(), c.read_server_finish(),
                     c.c.send_record(HANDSHAKE, handshake(CLIENT_KEY_EXCHANGE, vec8(c.share.public)))),
          UNEXPECTED, "RFC 5246 §7.4")
    mid12("key-update-in-tls12", lambda c: c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(0))),
          UNEXPECTED, "RFC 5246 §7.4 (no such message in TLS 1.2)")

    def after12(name, action, expect, rfc):
        def run(addr, env):
            c = done12(addr)
            c.echo()
            action(c)
            return end(c)
        probes.append(Probe(F, "tls12-" + name, expect, run, rfc=rfc))

    after12("hello-request-from-client", lambda c: c.c.send_record(HANDSHAKE, handshake(HELLO_REQUEST, b"")),
            UNEXPECTED, "RFC 5246 §7.4.1.1 (servers send it)")
    after12("finished-after-handshake", lambda c: c.c.send_record(HANDSHAKE, handshake(FINISHED, bytes(12))),
            UNEXPECTED, "RFC 5246 §7.4")
    after12("key-exchange-after-handshake",
            lambda c: c.c.send_record(HANDSHAKE, handshake(CLIENT_KEY_EXCHANGE, vec8(c.share.public))),
            UNEXPECTED, "RFC 5246 §7.4")
    after12("key-update-after-handshake", lambda c: c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(0))),
            UNEXPECTED, "RFC 5246 §7.4")
    return probes


def vec24_empty():
    return b"\x00\x00\x00"


def u24(n):
    return n.to_bytes(3, "big")


# --------------------------------------------------------------------------- ChangeCipherSpec

def ccs_probes():
    probes = []
    F = "ccs"

    def before_hello(addr, env):
        c = wire.Conn(addr)
        c.send(record(CCS, b"\x01"))
        return c.await_end()
    probes.append(Probe(F, "before-client-hello", UNEXPECTED, before_hello, rfc="RFC 8446 §5"))

    def tls13(name, action, expect, rfc, finish=False):
        def run(addr, env):
            c = hs13(addr)
            action(c)
            if finish:
                c.send_finished()
                return echo13(c)
            return end(c)
        probes.append(Probe(F, "tls13-" + name, expect, run, rfc=rfc))

    tls13("valid-after-server-hello", lambda c: c.c.send(record(CCS, b"\x01")), OK, "RFC 8446 §5, §D.4",
          finish=True)
    tls13("payload-02", lambda c: c.c.send(record(CCS, b"\x02")), UNEXPECTED, "RFC 8446 §5")
    tls13("payload-00", lambda c: c.c.send(record(CCS, b"\x00")), UNEXPECTED, "RFC 8446 §5")
    tls13("empty", lambda c: c.c.send(record(CCS, b"")), UNEXPECTED, "RFC 8446 §5")
    tls13("two-bytes", lambda c: c.c.send(record(CCS, b"\x01\x01")), UNEXPECTED, "RFC 8446 §5")
    tls13("protected", lambda c: c.c.send_record(CCS, b"\x01"), UNEXPECTED, "RFC 8446 §5")

    def right_after_hello(addr, env):
        c = Client13(addr)
        c.send_hello()
        c.c.send(record(CCS, b"\x01"))
        c.read_server_hello()
        c.start_encryption()
        c.read_server_flight()
        c.c.write_cipher = c.cipher(c.c_hs)
        c.send_finished()
        return echo13(c)
    probes.append(Probe(F, "tls13-right-after-client-hello", OK, right_after_hello, rfc="RFC 8446 §5, §D.4"))

    def after_finished(protected):
        def run(addr, env):
            c = done13(addr)
            echo13(c)
            if protected:
                c.c.send_record(CCS, b"\x01")
            else:
                c.c.send(record(CCS, b"\x01"))
            return end(c)
        return run
    probes.append(Probe(F, "tls13-after-finished", UNEXPECTED, after_finished(False), rfc="RFC 8446 §5"))
    probes.append(Probe(F, "tls13-after-finished-protected", UNEXPECTED, after_finished(True), rfc="RFC 8446 §5"))

    def tls12(name, steps, expect, rfc):
        def run(addr, env):
            c = at_cke12(addr)
            steps(c)
            return end(c)
        probes.append(Probe(F, "tls12-" + name, expect, run, rfc=rfc))

    tls12("before-key-exchange", lambda c: c.c.send(record(CCS, b"\x01")), UNEXPECTED, "RFC 5246 §7.1, §7.4")
    # RFC 5246 §7.1 defines the message as the single byte 1 and names no alert for anything
    # else; what is not that byte is not a ChangeCipherSpec, as RFC 8446 §5 spells out.
    tls12("payload-02", lambda c: (c.send_key_exchange(), c.c.send(record(CCS, b"\x02"))), UNEXPECTED,
          "RFC 5246 §7.1, as RFC 8446 §5")
    tls12("empty", lambda c: (c.send_key_exchange(), c.c.send(record(CCS, b""))), UNEXPECTED,
          "RFC 5246 §7.1, as RFC 8446 §5")
    tls12("two-bytes", lambda c: (c.send_key_exchange(), c.c.send(record(CCS, b"\x01\x01"))), UNEXPECTED,
          "RFC 5246 §7.1, as RFC 8446 §5")
    tls12("twice", lambda c: (c.send_key_exchange(), c.send_ccs(), c.c.send_record(CCS, b"\x01")),
          UNEXPECTED, "RFC 5246 §7.1")

    def after12(protected):
        def run(addr, env):
            c = done12(addr)
            c.echo()
            if protected:
                c.c.send_record(CCS, b"\x01")
            else:
                c.c.send(record(CCS, b"\x01"))
            return end(c)
        return run
    probes.append(Probe(F, "tls12-after-handshake-protected", UNEXPECTED, after12(True), rfc="RFC 5246 §7.1"))
    probes.append(Probe(F, "tls12-after-handshake-plaintext", BAD_MAC, after12(False),
                        rfc="RFC 5246 §6.2.3 (records are protected now)"))
    return probes


# ------------------------------------------------------------------------------- record layer

def record_probes():
    probes = []
    F = "record"

    def raw_first(name, data, expect, rfc):
        def run(addr, env):
            c = wire.Conn(addr)
            c.send(data)
            return c.await_end()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    raw_first("unknown-type-before-hello", record(99, b"\x01"), UNEXPECTED, "RFC 8446 §5, RFC 5246 §6")
    raw_first("app-data-before-hello", record(APPDATA, b"hello"), UNEXPECTED, "RFC 8446 §5")
    raw_first("zero-length-app-data-before-hello", record(APPDATA, b""), UNEXPECTED, "RFC 8446 §5")
    raw_first("zero-length-handshake-before-hello", record(HANDSHAKE, b""), UNEXPECTED,
              "RFC 8446 §5.1, RFC 5246 §6.2.1 (no zero-length handshake fragments)")
    raw_first("zero-length-alert-before-hello", record(ALERT, b""), DECODE,
              "RFC 8446 §5.1, §6 (an alert is two bytes, never fragmented)")
    raw_first("plaintext-length-over-2^14", wire.u8(HANDSHAKE) + u16(0x0301) + u16(MAX + 1) + bytes(MAX + 1),
              OVERFLOW, "RFC 8446 §5.1, RFC 5246 §6.2.1")
    raw_first("plaintext-length-max-u16", wire.u8(HANDSHAKE) + u16(0x0301) + u16(0xffff) + bytes(100),
              OVERFLOW, "RFC 8446 §5.1")
    raw_first("ssl2-client-hello", b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10" + bytes(21) + bytes(16),
              UNEXPECTED, "RFC 5246 §6 (unknown record type), RFC 6176")

    def hello_big(size, expect, name, rfc, version=13):
        def run(addr, env):
            c = Client13(addr) if version == 13 else Client12(addr)
            exts = default_extensions13(c.share) if version == 13 else default_extensions12()
            suites = [TLS_AES_128_GCM_SHA256] if version == 13 else [ECDHE_RSA_AES128_GCM]
            base = len(wire.handshake(CLIENT_HELLO, client_hello_body(exts + [(21, b"")], suites)))
            c.full(exts + [(21, bytes(size - base))], suites=suites)
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    hello_big(MAX, OK, "client-hello-record-of-2^14", "RFC 8446 §5.1")
    hello_big(MAX + 1, OVERFLOW, "client-hello-record-of-2^14+1", "RFC 8446 §5.1")
    hello_big(MAX, OK, "tls12-client-hello-record-of-2^14", "RFC 5246 §6.2.1", version=12)
    hello_big(MAX + 1, OVERFLOW, "tls12-client-hello-record-of-2^14+1", "RFC 5246 §6.2.1", version=12)

    # Fragmentation.
    def fragmented_hello(version, size, between=None, expect=OK, name="", rfc=""):
        def run(addr, env):
            c = Client13(addr) if version == 13 else Client12(addr)
            sent = []
            orig = c.c.send_record

            def send_record(ctype, body, version=0x0303, **kw):
                if ctype == HANDSHAKE and not sent:
                    sent.append(1)
                    for i in range(0, len(body), size):
                        orig(ctype, body[i:i + size], version)
                        if between is not None and i == 0:
                            c.c.send(between)
                    return
                orig(ctype, body, version, **kw)
            c.c.send_record = send_record
            c.full()
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    fragmented_hello(13, 1, name="tls13-client-hello-in-1-byte-records", rfc="RFC 8446 §5.1")
    fragmented_hello(13, 100, name="tls13-client-hello-in-100-byte-records", rfc="RFC 8446 §5.1")
    fragmented_hello(12, 1, name="tls12-client-hello-in-1-byte-records", rfc="RFC 5246 §6.2.1")
    fragmented_hello(13, 50, between=record(ALERT, bytes([1, 90])), expect=UNEXPECTED,
                     name="tls13-client-hello-split-by-warning-alert", rfc="RFC 8446 §5.1 no interleaving")
    fragmented_hello(13, 50, between=record(CCS, b"\x01"), expect=UNEXPECTED,
                     name="tls13-client-hello-split-by-ccs", rfc="RFC 8446 §5.1, §5")
    fragmented_hello(12, 50, between=record(CCS, b"\x01"), expect=UNEXPECTED,
                     name="tls12-client-hello-split-by-ccs", rfc="RFC 5246 §7.1")
    fragmented_hello(12, 50, between=record(APPDATA, b"x"), expect=UNEXPECTED,
                     name="tls12-client-hello-split-by-app-data", rfc="RFC 5246 §6")

    def hello_spans_key_change(addr, env):
        c = Client13(addr)
        exts = default_extensions13(c.share)
        msg = handshake(CLIENT_HELLO, client_hello_body(exts, [TLS_AES_128_GCM_SHA256]))
        c.transcript += msg
        c.c.send(record(HANDSHAKE, msg + handshake(FINISHED, bytes(32))[:2], 0x0301))
        # The alert may come before the ServerHello or under the handshake keys after it.
        c.read_server_hello()
        c.start_encryption()
        return c.c.await_end()
    probes.append(Probe(F, "tls13-hello-and-partial-message-span-key-change", UNEXPECTED,
                        hello_spans_key_change, rfc="RFC 8446 §5.1"))

    def split_finished(between, expect, name, rfc):
        def run(addr, env):
            c = hs13(addr)
            msg = handshake(FINISHED, c.finished_data())
            c.c.send_record(HANDSHAKE, msg[:10])
            if between is not None:
                between(c)
            c.c.send_record(HANDSHAKE, msg[10:])
            c.c.write_cipher = c.cipher(c.c_ap)
            return echo13(c)
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    split_finished(None, OK, "tls13-finished-in-two-records", "RFC 8446 §5.1")
    split_finished(lambda c: c.c.send_record(ALERT, bytes([1, 90])), UNEXPECTED,
                   "tls13-finished-split-by-alert", "RFC 8446 §5.1 no interleaving")
    split_finished(lambda c: c.c.send_record(APPDATA, b"x"), UNEXPECTED,
                   "tls13-finished-split-by-app-data", "RFC 8446 §5.1")
    split_finished(lambda c: c.c.send_record(HANDSHAKE, b""), UNEXPECTED,
                   "tls13-finished-split-by-empty-handshake", "RFC 8446 §5.1")

    def finished_and_key_update(addr, env):
        c = hs13(addr)
        c.c.send_record(HANDSHAKE, handshake(FINISHED, c.finished_data()) + handshake(KEY_UPDATE, u8(0)))
        c.c.write_cipher = c.cipher(c.c_ap)
        return end(c)
    probes.append(Probe(F, "tls13-finished-and-key-update-in-one-record", UNEXPECTED,
                        finished_and_key_update, rfc="RFC 8446 §5.1 (spans a key change)"))

    def split_finished12(addr, env):
        c = at_cke12(addr)
        c.send_key_exchange()
        c.send_ccs()
        msg = handshake(FINISHED, c.finished_data())
        c.c.send_record(HANDSHAKE, msg[:5])
        c.c.send_record(HANDSHAKE, msg[5:])
        c.transcript += msg
        c.read_server_finish()
        return c.echo()
    probes.append(Probe(F, "tls12-finished-in-two-records", OK, split_finished12, rfc="RFC 5246 §6.2.1"))

    # TLS 1.3 protected records: sizes, padding, content types, zero lengths.
    def app13(name, action, expect, rfc, handshake_epoch=False):
        def run(addr, env):
            if handshake_epoch:
                c = hs13(addr)
                r = action(c)
                if r is not None:
                    return r
                return end(c)
            c = done13(addr)
            r = action(c)
            return r if r is not None else end(c)
        probes.append(Probe(F, "tls13-" + name, expect, run, rfc=rfc))

    def send_then_echo(ctype, body, pad=0, version=None):
        def act(c):
            if version is None:
                c.c.send_record(ctype, body, pad=pad)
            else:
                c.c.send_record(ctype, body, version=version, aad_version=version)
            if ctype == APPDATA and body:
                got = c.c.read_app(len(body))
                if got != body:
                    return Outcome("mismatch", note="echo differs")
            return echo13(c)
        return act

    def big_echo(n, pad=0):
        def act(c):
            # The server decides between HTTP and echo on the first line: end it early.
            data = (b"\n" + os.urandom(n))[:n]
            c.c.send_record(APPDATA, data, pad=pad)
            got = b""
            while len(got) < n:
                ctype, body = c.c.read_record()
                if ctype == APPDATA:
                    got += body
            return OK if got == data else Outcome("mismatch", note="echo differs")
        return act

    app13("inner-plaintext-2^14+1", big_echo(MAX), OK, "RFC 8446 §5.2, §5.4 (2^14 content + type)")
    app13("content-1-padded-to-2^14+1", big_echo(1, pad=MAX - 1), OK, "RFC 8446 §5.4")
    app13("content-2^13-padded-to-2^14+1", big_echo(MAX // 2, pad=MAX // 2), OK, "RFC 8446 §5.4")
    app13("content-2^14+1", lambda c: c.c.send_record(APPDATA, b"\n" * (MAX + 1)), OVERFLOW, "RFC 8446 §5.2")
    app13("content-1-padded-to-2^14+2", lambda c: c.c.send_record(APPDATA, b"\n", pad=MAX), OVERFLOW,
          "RFC 8446 §5.4 (padding counts)")
    app13("ciphertext-over-2^14+256", lambda c: c.c.send(record(APPDATA, bytes(MAX + 257))), OVERFLOW,
          "RFC 8446 §5.2")
    app13("all-zero-inner-plaintext", lambda c: c.c.send(record(APPDATA, c.c.write_cipher.seal(APPDATA, bytes(10)))),
          UNEXPECTED,
          "RFC 8446 §5.4 no non-zero octet")
    app13("empty-inner-plaintext", lambda c: c.c.send(record(APPDATA, c.c.write_cipher.seal(APPDATA, b""))),
          UNEXPECTED, "RFC 8446 §5.4")
    app13("padding-1000-bytes", send_then_echo(APPDATA, b"padded\n", pad=1000), OK, "RFC 8446 §5.4")
    app13("zero-length-app-data", send_then_echo(APPDATA, b""), OK, "RFC 8446 §5.1 (MAY be sent)")
    app13("zero-length-app-data-padded", send_then_echo(APPDATA, b"", pad=100), OK, "RFC 8446 §5.4")
    app13("zero-length-handshake", lambda c: c.c.send_record(HANDSHAKE, b""), UNEXPECTED, "RFC 8446 §5.1")
    app13("zero-length-alert", lambda c: c.c.send_record(ALERT, b""), DECODE, "RFC 8446 §5.1, §6")
    app13("unknown-inner-type", lambda c: c.c.send_record(99, b"x"), UNEXPECTED, "RFC 8446 §5")
    app13("outer-type-handshake", lambda c: c.c.send_record(APPDATA, b"x", outer=HANDSHAKE), UNEXPECTED,
          "RFC 8446 §5 (plaintext handshake under protection)")
    app13("outer-version-tls10-not-in-additional-data", lambda c: c.c.send_record(APPDATA, b"ver\n", version=0x0301),
          BAD_MAC, "RFC 8446 §5.2 (the header as received is the additional data)")
    app13("outer-version-tls10", send_then_echo(APPDATA, b"ver\n", version=0x0301), OK,
          "RFC 8446 §5.1 (legacy_record_version is ignored), §5.2")
    app13("tag-flipped", lambda c: c.c.send(record(APPDATA, _flip(c.c.write_cipher.seal(APPDATA, b"x\x17")))),
          BAD_MAC, "RFC 8446 §5.2")
    app13("ciphertext-shorter-than-tag", lambda c: c.c.send(record(APPDATA, bytes(5))), BAD_MAC,
          "RFC 8446 §5.2")
    app13("zero-length-ciphertext", lambda c: c.c.send(record(APPDATA, b"")), BAD_MAC, "RFC 8446 §5.2")
    app13("handshake-epoch-zero-length-app-data", lambda c: c.c.send_record(APPDATA, b""), UNEXPECTED,
          "RFC 8446 §5 (application data before Finished)", handshake_epoch=True)
    app13("handshake-epoch-zero-length-handshake", lambda c: c.c.send_record(HANDSHAKE, b""), UNEXPECTED,
          "RFC 8446 §5.1", handshake_epoch=True)
    app13("handshake-epoch-all-zero-inner", lambda c: c.c.send(record(APPDATA, c.c.write_cipher.seal(APPDATA, bytes(3)))),
          UNEXPECTED, "RFC 8446 §5.4", handshake_epoch=True)
    app13("handshake-epoch-tag-flipped",
          lambda c: c.c.send(record(APPDATA, _flip(c.c.write_cipher.seal(APPDATA, handshake(FINISHED, c.finished_data()) + b"\x16")))),
          BAD_MAC, "RFC 8446 §5.2", handshake_epoch=True)
    app13("handshake-epoch-finished-padded", lambda c: (c.c.send_record(HANDSHAKE, handshake(FINISHED, c.finished_data()), pad=500),
                                                      setattr(c.c, "write_cipher", c.cipher(c.c_ap)), echo13(c))[2],
          OK, "RFC 8446 §5.4", handshake_epoch=True)
    app13("handshake-epoch-unknown-inner-type", lambda c: c.c.send_record(99, b"x"), UNEXPECTED,
          "RFC 8446 §5", handshake_epoch=True)
    app13("handshake-epoch-plaintext-app-data", lambda c: c.c.send(record(APPDATA, b"plain")), BAD_MAC,
          "RFC 8446 §5.2", handshake_epoch=True)

    # TLS 1.2 protected records.
    def app12(name, action, expect, rfc):
        def run(addr, env):
            c = done12(addr)
            r = action(c)
            return r if r is not None else end(c)
        probes.append(Probe(F, "tls12-" + name, expect, run, rfc=rfc))

    def echo12_big(n):
        def act(c):
            data = (b"\n" + os.urandom(n))[:n]
            c.c.send_record(APPDATA, data)
            return OK if c.c.read_app(n) == data else Outcome("mismatch")
        return act

    app12("plaintext-2^14", echo12_big(MAX), OK, "RFC 5246 §6.2.1")
    app12("plaintext-2^14+1", lambda c: c.c.send_record(APPDATA, bytes(MAX + 1)), OVERFLOW, "RFC 5246 §6.2.3")
    app12("ciphertext-over-2^14+2048", lambda c: c.c.send(record(APPDATA, bytes(MAX + 2049))), OVERFLOW,
          "RFC 5246 §6.2.3")
    app12("zero-length-app-data", lambda c: (c.c.send_record(APPDATA, b""), c.echo())[1], OK,
          "RFC 5246 §6.2.1 (MAY be sent)")
    app12("zero-length-handshake", lambda c: c.c.send_record(HANDSHAKE, b""), UNEXPECTED, "RFC 5246 §6.2.1")
    app12("zero-length-alert", lambda c: c.c.send_record(ALERT, b""), DECODE, "RFC 5246 §6.2.1, §7.2")
    app12("unknown-type", lambda c: c.c.send_record(99, b"x"), UNEXPECTED, "RFC 5246 §6")
    app12("tag-flipped", lambda c: c.c.send(record(APPDATA, _flip(c.c.write_cipher.seal(APPDATA, b"x")))),
          BAD_MAC, "RFC 5246 §6.2.3.3")
    app12("ciphertext-shorter-than-nonce-and-tag", lambda c: c.c.send(record(APPDATA, bytes(10))), BAD_MAC,
          "RFC 5246 §6.2.3.3")
    app12("wrong-type-in-additional-data",
          lambda c: c.c.send(record(HANDSHAKE, c.c.write_cipher.seal(APPDATA, b"x"))), BAD_MAC,
          "RFC 5246 §6.2.3.3")

    def zero12_before_finished(ctype, expect, name, rfc):
        def run(addr, env):
            c = at_cke12(addr)
            c.send_key_exchange()
            c.send_ccs()
            c.c.send_record(ctype, b"")
            c.send_finished()
            if expect == OK:
                c.read_server_finish()
                return c.echo()
            return end(c)
        probes.append(Probe(F, name, expect, run, rfc=rfc))
    zero12_before_finished(APPDATA, UNEXPECTED, "tls12-zero-length-app-data-before-finished", "RFC 5246 §7.4.9")
    zero12_before_finished(HANDSHAKE, UNEXPECTED, "tls12-zero-length-handshake-before-finished", "RFC 5246 §6.2.1")

    def zero12_plain(ctype, expect, name, rfc):
        def run(addr, env):
            c = at_cke12(addr)
            c.c.send(record(ctype, b""))
            c.send_key_exchange()
            c.send_ccs()
            c.send_finished()
            return end(c)
        probes.append(Probe(F, name, expect, run, rfc=rfc))
    zero12_plain(HANDSHAKE, UNEXPECTED, "tls12-zero-length-handshake-before-key-exchange", "RFC 5246 §6.2.1")
    zero12_plain(APPDATA, UNEXPECTED, "tls12-zero-length-app-data-before-key-exchange", "RFC 5246 §6")

    # Alerts from the client.
    def alert13(name, body, expect, rfc, after=True):
        def run(addr, env):
            c = done13(addr) if after else hs13(addr)
            if after:
                echo13(c)
            c.c.send_record(ALERT, body)
            return end(c)
        probes.append(Probe("alert", "tls13-" + name, expect, run, rfc=rfc))

    alert13("close-notify", bytes([1, 0]), warning("close_notify"), "RFC 8446 §6.1")
    alert13("close-notify-fatal-level", bytes([2, 0]), warning("close_notify"), "RFC 8446 §6.1, §6")
    alert13("fatal-handshake-failure", bytes([2, 40]), wire.CLOSED, "RFC 8446 §6.2 (no answer to a fatal alert)")
    alert13("warning-unknown-is-fatal", bytes([1, 222]), wire.CLOSED, "RFC 8446 §6 (only close_notify and user_canceled are not fatal)")
    alert13("one-byte", b"\x01", DECODE, "RFC 8446 §6, §5.1 (alerts are not fragmented)")
    alert13("three-bytes", bytes([1, 0, 0]), DECODE, "RFC 8446 §6")
    alert13("in-handshake-fatal", bytes([2, 40]), wire.CLOSED, "RFC 8446 §6.2", after=False)
    alert13("two-alerts-in-one-record", bytes([1, 90]) + bytes([1, 0]), DECODE,
            "RFC 8446 §5.1 (alerts are not coalesced)")

    def alert12(name, body, expect, rfc):
        def run(addr, env):
            c = done12(addr)
            c.echo()
            c.c.send_record(ALERT, body)
            return end(c)
        probes.append(Probe("alert", "tls12-" + name, expect, run, rfc=rfc))

    alert12("close-notify", bytes([1, 0]), warning("close_notify"), "RFC 5246 §7.2.1")
    alert12("fatal-unknown", bytes([2, 222]), wire.CLOSED, "RFC 5246 §7.2")
    alert12("one-byte", b"\x01", DECODE, "RFC 5246 §7.2")
    alert12("three-bytes", bytes([1, 0, 0]), DECODE, "RFC 5246 §7.2")

    def plain_alert(name, body, expect, rfc):
        def run(addr, env):
            c = wire.Conn(addr)
            c.send(record(ALERT, body))
            return c.await_end()
        probes.append(Probe("alert", name, expect, run, rfc=rfc))
    plain_alert("before-hello-one-byte", b"\x02", DECODE, "RFC 8446 §6, RFC 5246 §7.2")
    plain_alert("before-hello-fatal", bytes([2, 40]), wire.CLOSED, "RFC 8446 §6.2")
    return probes


def _flip(sealed):
    return sealed[:-1] + bytes([sealed[-1] ^ 1])


# ---------------------------------------------------------------------------------- KeyUpdate

def keyupdate_probes():
    probes = []
    F = "keyupdate"

    def ku(name, action, expect, rfc):
        def run(addr, env):
            c = done13(addr)
            echo13(c)
            r = action(c)
            return r if r is not None else end(c)
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    def update(c, value=0):
        c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(value)))
        c.update_write()

    def n_updates(n, requested=False):
        def act(c):
            for _ in range(n):
                update(c, 1 if requested else 0)
            r = echo13(c)
            want = 1 if requested else 0
            got = getattr(c, "server_key_updates", 0)
            if r == OK and requested and got < want:
                return Outcome("mismatch", note="server did not update its keys")
            return r
        return act

    ku("not-requested", n_updates(1), OK, "RFC 8446 §4.6.3")
    ku("requested", n_updates(1, requested=True), OK, "RFC 8446 §4.6.3 (server answers with its own)")
    ku("ten-in-a-row", n_updates(10), OK, "RFC 8446 §4.6.3")
    ku("value-2", lambda c: c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(2))), ILLEGAL, "RFC 8446 §4.6.3")
    ku("value-255", lambda c: c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(255))), ILLEGAL, "RFC 8446 §4.6.3")
    ku("empty", lambda c: c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, b"")), DECODE, "RFC 8446 §4.6.3")
    ku("two-bytes", lambda c: c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, b"\x00\x00")), DECODE,
       "RFC 8446 §4.6.3")
    ku("old-key-after-update", lambda c: (c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(0))),
                                          c.c.send_record(APPDATA, b"old key")) and None, BAD_MAC,
       "RFC 8446 §4.6.3, §5.2")

    def fragmented(c):
        msg = handshake(KEY_UPDATE, u8(0))
        c.c.send_record(HANDSHAKE, msg[:2])
        c.c.send_record(HANDSHAKE, msg[2:])
        c.update_write()
        return echo13(c)
    ku("fragmented", fragmented, OK, "RFC 8446 §5.1")

    def split_by_data(c):
        msg = handshake(KEY_UPDATE, u8(0))
        c.c.send_record(HANDSHAKE, msg[:2])
        c.c.send_record(APPDATA, b"x")
        c.c.send_record(HANDSHAKE, msg[2:])
        return None
    ku("split-by-app-data", split_by_data, UNEXPECTED, "RFC 8446 §5.1")

    def two_in_one_record(c):
        c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(0)) * 2)
        return None
    ku("two-in-one-record", two_in_one_record, UNEXPECTED, "RFC 8446 §5.1 (spans a key change)")

    def before_finished(addr, env):
        c = hs13(addr)
        c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(0)))
        return end(c)
    probes.append(Probe(F, "before-finished", UNEXPECTED, before_finished, rfc="RFC 8446 §4.6.3"))

    def flood(n, requested):
        def act(c):
            for _ in range(n):
                c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(1 if requested else 0)))
                c.update_write()
            return None
        return act
    ku("flood-requested", flood(300, True), UNEXPECTED,
       "RFC 8446 §4.6.3 (each asks for an answer: a flood is cut off)")
    return probes


# ------------------------------------------------------------------------------ renegotiation

def reneg_probes():
    probes = []
    F = "reneg"

    def refused_then_echo(hello_exts, suites=(ECDHE_RSA_AES128_GCM,), plaintext=False):
        def run(addr, env):
            c = done12(addr)
            c.echo()
            exts = hello_exts(c)
            body = client_hello_body(exts, list(suites))
            if plaintext:
                c.c.send(record(HANDSHAKE, handshake(CLIENT_HELLO, body)))
                return end(c)
            c.c.send_record(HANDSHAKE, handshake(CLIENT_HELLO, body))
            try:
                c.c.read_record()
                return Outcome("mismatch", note="the server answered the ClientHello")
            except Ended as ended:
                if ended.outcome != warning("no_renegotiation"):
                    return ended.outcome
            r = c.echo()
            return warning("no_renegotiation") if r == OK else r
        return run

    with_ri = lambda c: replace(default_extensions12(), "renegotiation_info", vec8(c.client_verify))
    probes.append(Probe(F, "secure-renegotiation-refused", warning("no_renegotiation"),
                        (refused_then_echo(with_ri)), rfc="RFC 5746 §4.4, RFC 5246 §7.2.2"))
    probes.append(Probe(F, "renegotiation-without-ri-refused", warning("no_renegotiation"),
                        (refused_then_echo(lambda c: without(default_extensions12(), "renegotiation_info"))),
                        rfc="RFC 5746 §4.4"))
    probes.append(Probe(F, "renegotiation-empty-ri-refused", warning("no_renegotiation"),
                        (refused_then_echo(lambda c: default_extensions12())),
                        rfc="RFC 5746 §4.4"))
    probes.append(Probe(F, "renegotiation-with-scsv-refused", warning("no_renegotiation"),
                        (refused_then_echo(lambda c: without(default_extensions12(), "renegotiation_info"),
                                                       suites=(ECDHE_RSA_AES128_GCM, EMPTY_RENEGOTIATION_INFO_SCSV))),
                        rfc="RFC 5746 §4.4"))
    probes.append(Probe(F, "renegotiation-plaintext-hello", BAD_MAC,
                        (refused_then_echo(lambda c: default_extensions12(), plaintext=True)),
                        rfc="RFC 5246 §6.2.3 (records are protected now)"))

    def first(name, edit, suites, expect, rfc, check_ri=None):
        def run(addr, env):
            c = Client12(addr)
            c.full(edit(default_extensions12()), suites=list(suites))
            has = EXT["renegotiation_info"] in c.server_hello["exts"]
            if check_ri is not None and has != check_ri:
                return Outcome("mismatch", note="renegotiation_info %s" % ("echoed" if has else "missing"))
            if has and c.server_hello["exts"][EXT["renegotiation_info"]] != b"\x00":
                return Outcome("mismatch", note="renegotiation_info not empty")
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    first("initial-ri-non-empty", lambda e: replace(e, "renegotiation_info", vec8(bytes(12))),
          [ECDHE_RSA_AES128_GCM], HS_FAIL, "RFC 5746 §3.6")
    first("initial-ri-non-empty-with-scsv", lambda e: replace(e, "renegotiation_info", vec8(bytes(12))),
          [ECDHE_RSA_AES128_GCM, EMPTY_RENEGOTIATION_INFO_SCSV], HS_FAIL, "RFC 5746 §3.6")
    first("initial-scsv-only", lambda e: without(e, "renegotiation_info"),
          [ECDHE_RSA_AES128_GCM, EMPTY_RENEGOTIATION_INFO_SCSV], OK, "RFC 5746 §3.6", check_ri=True)
    first("initial-ri-and-scsv", lambda e: e, [ECDHE_RSA_AES128_GCM, EMPTY_RENEGOTIATION_INFO_SCSV], OK,
          "RFC 5746 §3.6", check_ri=True)
    first("initial-ri-only", lambda e: e, [ECDHE_RSA_AES128_GCM], OK, "RFC 5746 §3.6", check_ri=True)
    first("initial-neither", lambda e: without(e, "renegotiation_info"), [ECDHE_RSA_AES128_GCM], OK,
          "RFC 5746 §4.2 (legacy client; no ri in answer)", check_ri=False)
    first("initial-ri-length-overrun", lambda e: replace(e, "renegotiation_info", b"\x05\x00"),
          [ECDHE_RSA_AES128_GCM], DECODE, "RFC 5746 §3.2")

    def tls13_hello_after(addr, env):
        c = done13(addr)
        echo13(c)
        c.c.send_record(HANDSHAKE, handshake(CLIENT_HELLO, c.ch_body))
        return end(c)
    probes.append(Probe(F, "tls13-client-hello-after-handshake", UNEXPECTED, tls13_hello_after,
                        rfc="RFC 8446 §4.1.2"))
    return probes


# ---------------------------------------------------------------------------- Bleichenbacher

def bleichenbacher_probes():
    """Each class of malformed RSA ClientKeyExchange must end exactly like a well-formed one
    with a wrong pre-master secret: bad_record_mac after the client's Finished (RFC 5246
    §7.4.7.1), with nothing different before it."""
    probes = []

    def classes(size):
        def pad(n):
            return bytes((b % 255) + 1 for b in os.urandom(n))
        pms = lambda: b"\x03\x03" + os.urandom(46)
        return [
            ("wrong-first-byte", lambda: b"\x01\x02" + pad(size - 51) + b"\x00" + pms()),
            ("block-type-01", lambda: b"\x00\x01" + pad(size - 51) + b"\x00" + pms()),
            ("block-type-00", lambda: b"\x00\x00" + pad(size - 51) + b"\x00" + pms()),
            ("block-type-ff", lambda: b"\x00\xff" + pad(size - 51) + b"\x00" + pms()),
            ("zero-in-first-8-padding-bytes", lambda: b"\x00\x02" + pad(4) + b"\x00" + pad(size - 56) + b"\x00" + pms()),
            ("no-separator", lambda: b"\x00\x02" + pad(size - 2)),
            ("separator-last-byte", lambda: b"\x00\x02" + pad(size - 3) + b"\x00"),
            ("pms-47-bytes", lambda: b"\x00\x02" + pad(size - 50) + b"\x00" + pms()[:47]),
            ("pms-49-bytes", lambda: b"\x00\x02" + pad(size - 52) + b"\x00" + pms() + b"\x00"),
            ("pms-version-tls11", lambda: b"\x00\x02" + pad(size - 51) + b"\x00" + b"\x03\x02" + os.urandom(46)),
            ("pms-version-0000", lambda: b"\x00\x02" + pad(size - 51) + b"\x00" + b"\x00\x00" + os.urandom(46)),
            ("padding-7-bytes", lambda: b"\x00\x02" + pad(7) + b"\x00" + os.urandom(size - 10)),
            ("pms-all-zero-right-length", lambda: b"\x00\x02" + pad(size - 51) + b"\x00" + bytes(48)),
        ]

    def make(name, server, ems, build=None, raw=None):
        def run(addr, env):
            c = at_cke12(addr, suites=(RSA_AES128_GCM,), ems=ems)
            size = c.modulus_size()
            if raw is not None:
                ct = raw(c, size)
            else:
                block = dict(classes(size))[name]()
                ct = c.rsa_encrypt_raw(block)
            c.send_key_exchange(cke_body=vec16(ct), pms=b"\x03\x03" + os.urandom(46))
            # Nothing may come back before the client's Finished: no earlier difference.
            early = _peek(c.c, 0.3)
            if early:
                return Outcome("mismatch", note="the server answered the ClientKeyExchange at once (%s)" % early)
            c.send_ccs()
            c.send_finished()
            return end(c)
        return run

    for server, ems, prefix in [("default", True, "ems"), ("ems-optional", False, "no-ems")]:
        def control(addr, env, ems=ems):
            c = Client12(addr)
            c.full(default_extensions12(ems=ems), suites=[RSA_AES128_GCM])
            return c.echo()
        probes.append(Probe("bleichenbacher", "%s-well-formed" % prefix, OK, control, server=server,
                            rfc="RFC 5246 §7.4.7.1"))
        probes.append(Probe("bleichenbacher", "%s-well-formed-wrong-pms" % prefix, BAD_MAC,
                            make("wrong-pms", server, ems, raw=lambda c, size: c.rsa_encrypt_raw(c.pkcs1_pms(b"\x03\x03" + os.urandom(46)))),
                            server=server, rfc="RFC 5246 §7.4.7.1"))
        for name, _ in classes(256):
            probes.append(Probe("bleichenbacher", "%s-%s" % (prefix, name), BAD_MAC, make(name, server, ems),
                                server=server, rfc="RFC 5246 §7.4.7.1 (no earlier difference)"))
        probes.append(Probe("bleichenbacher", "%s-ciphertext-all-zero" % prefix, BAD_MAC,
                            make("zero", server, ems, raw=lambda c, size: bytes(size)), server=server,
                            rfc="RFC 5246 §7.4.7.1"))
        probes.append(Probe("bleichenbacher", "%s-ciphertext-random" % prefix, BAD_MAC,
                            make("random", server, ems, raw=lambda c, size: b"\x00" + os.urandom(size - 1)),
                            server=server, rfc="RFC 5246 §7.4.7.1"))
    return probes


def _peek(conn, seconds):
    """What the server sent within `seconds` (without consuming it), or ''."""
    import socket as _socket
    conn.sock.settimeout(seconds)
    try:
        data = conn.sock.recv(16, _socket.MSG_PEEK)
        return "EOF" if not data else data.hex()
    except (_socket.timeout, BlockingIOError):
        return ""
    except OSError as err:
        return str(err)
    finally:
        conn.sock.settimeout(wire.TIMEOUT)


# ------------------------------------------------------------------------------------ floods

def flood_probes():
    """Messages that carry no application data, sent without end: a peer may send a few, but
    the server must cut off a flood (RFC 8446 §4.6.3 and §5.1 leave the count open; keyward
    answers unexpected_message). A handful in a row must still pass."""
    probes = []
    F = "flood"

    def tls13(name, unit, count, expect, rfc):
        def run(addr, env):
            c = done13(addr)
            echo13(c)
            for _ in range(count):
                unit(c)
            return echo13(c) if expect == OK else end(c)
        probes.append(Probe(F, "tls13-%s-%d" % (name, count), expect, run, rfc=rfc))

    def ku(c):
        c.c.send_record(HANDSHAKE, handshake(KEY_UPDATE, u8(0)))
        c.update_write()

    def empty13(c):
        c.c.send_record(APPDATA, b"")

    def empty13_padded(c):
        c.c.send_record(APPDATA, b"", pad=16)

    def user_canceled13(c):
        c.c.send_record(ALERT, bytes([1, 90]))

    for count, expect in [(3, OK), (300, UNEXPECTED)]:
        tls13("key-updates", ku, count, expect, "RFC 8446 §4.6.3")
        tls13("empty-app-data", empty13, count, expect, "RFC 8446 §5.1")
        tls13("empty-padded-app-data", empty13_padded, count, expect, "RFC 8446 §5.4")
    tls13("user-canceled-warnings", user_canceled13, 300, UNEXPECTED, "RFC 8446 §6.1")

    def tls12(name, unit, count, expect, rfc):
        def run(addr, env):
            c = done12(addr)
            c.echo()
            for _ in range(count):
                unit(c)
            if expect == OK:
                return c.echo()
            # Each refused renegotiation is answered with a warning; the end is what counts.
            while True:
                outcome = end(c)
                if outcome != warning("no_renegotiation"):
                    return outcome
        probes.append(Probe(F, "tls12-%s-%d" % (name, count), expect, run, rfc=rfc))

    def empty12(c):
        c.c.send_record(APPDATA, b"")

    def warning12(c):
        c.c.send_record(ALERT, bytes([1, 90]))  # user_canceled

    def reneg12(c):
        c.c.send_record(HANDSHAKE, handshake(CLIENT_HELLO, client_hello_body(
            replace(default_extensions12(), "renegotiation_info", vec8(c.client_verify)),
            [ECDHE_RSA_AES128_GCM])))

    for count, expect in [(3, OK), (300, UNEXPECTED)]:
        tls12("empty-app-data", empty12, count, expect, "RFC 5246 §6.2.1")
        tls12("user-canceled-warnings", warning12, count, expect, "RFC 5246 §7.2")
    tls12("renegotiation-attempts", reneg12, 300, UNEXPECTED, "RFC 5746 §4.4, RFC 5246 §7.2.2")

    def tls12_reneg_few(addr, env):
        c = done12(addr)
        c.echo()
        for _ in range(3):
            reneg12(c)
        got = b""
        c.c.send_record(APPDATA, b"ping\n")
        warnings = 0
        while len(got) < 5:
            try:
                ctype, body = c.c.read_record()
            except Ended as ended:
                if ended.outcome == warning("no_renegotiation"):
                    warnings += 1
                    continue
                return ended.outcome
            if ctype == APPDATA:
                got += body
        return OK if warnings == 3 and got == b"ping\n" else Outcome("mismatch", note="%d warnings" % warnings)
    probes.append(Probe(F, "tls12-renegotiation-attempts-3", OK, tls12_reneg_few,
                        rfc="RFC 5746 §4.4 (each refused with a warning)"))
    return probes
