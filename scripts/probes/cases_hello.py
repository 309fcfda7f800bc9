"""Probes on the ClientHello: each extension malformed in each way, the hello's own fields,
versions and fallback, the TLS 1.3 extension rules, SNI, EMS, encrypt_then_mac and the
legacy-client policy."""

import os

from tlslite.mathtls import FFDHE2048, FFDHE3072

import wire
from wire import (EXT, OK, Outcome, fatal, vec8, vec16, u8, u16, u16_list, sni_body,
                  key_share_body, client_hello_body, handshake, Client12, Client13,
                  X25519, SECP256R1, SECP384R1, X448, FFDHE2048 as G_FFDHE2048, X25519Key,
                  P256Key, default_extensions12, default_extensions13, TLS_AES_128_GCM_SHA256,
                  ECDHE_RSA_AES128_GCM, ECDHE_ECDSA_AES128_GCM, RSA_AES128_GCM,
                  FALLBACK_SCSV, DOWNGRD_11, DOWNGRD_12, HANDSHAKE, CLIENT_HELLO)
from flows import hello13, hello12, replace, without
from runner import Probe

DECODE = fatal("decode_error")
ILLEGAL = fatal("illegal_parameter")
HS_FAIL = fatal("handshake_failure")
MISSING = fatal("missing_extension")
PROTO = fatal("protocol_version")

ALPN = vec16(vec8(b"http/1.1"))


def malformations(name, body, vector_width):
    """The malformed bodies of an extension whose well-formed body is `body`, each with the
    RFC's answer. `vector_width` is the width of the outer length of the extension's list
    (1 or 2), `None` when it is not a list."""
    out = [
        ("truncated", body[:-1], DECODE),
        ("trailing-byte", body + b"\x00", DECODE),
        ("empty-body", b"", DECODE),
    ]
    if vector_width == 2:
        out.append(("empty-list", vec16(b""), DECODE))
        out.append(("list-length-overrun", u16(len(body) - 1) + body[2:], DECODE))
    elif vector_width == 1:
        out.append(("empty-list", vec8(b""), DECODE))
        out.append(("list-length-overrun", u8(len(body)) + body[1:], DECODE))
    return out


def ext_probes(family, version, server):
    """Each extension × each malformation, in a TLS 1.3 or 1.2 ClientHello."""
    share_probe = X25519Key()
    if version == 13:
        table = [
            ("server_name", sni_body(b"localhost"), 2),
            ("supported_groups", u16_list([X25519]), 2),
            ("key_share", key_share_body([(X25519, share_probe.public)]), 2),
            ("supported_versions", vec8(u16(0x0304)), 1),
            ("signature_algorithms", u16_list(wire.SIG_ALGS), 2),
            ("psk_key_exchange_modes", vec8(u8(1)), 1),
            ("alpn", ALPN, 2),
        ]
    else:
        table = [
            ("server_name", sni_body(b"localhost"), 2),
            ("supported_groups", u16_list([X25519, SECP256R1]), 2),
            ("ec_point_formats", vec8(u8(0)), 1),
            ("signature_algorithms", u16_list(wire.SIG_ALGS), 2),
            ("alpn", ALPN, 2),
        ]
    probes = []
    for name, body, width in table:
        cases = malformations(name, body, width)
        if name == "key_share":
            # client_shares<0..2^16-1>: an empty list is legal and asks for a HelloRetryRequest.
            cases = [case for case in cases if case[0] != "empty-list"]
        if width == 2 and name in ("supported_groups", "signature_algorithms"):
            cases.append(("odd-length-list", vec16(body[2:] + b"\x00"), DECODE))
        if name == "supported_versions":
            cases.append(("odd-length-list", vec8(body[1:] + b"\x03"), DECODE))
        if name == "server_name":
            cases.append(("empty-host-name", vec16(u8(0) + vec16(b"")), DECODE))
            cases.append(("name-length-overrun", vec16(u8(0) + u16(10) + b"localhost"), DECODE))
        if name == "alpn":
            cases.append(("empty-protocol-name", vec16(vec8(b"")), DECODE))
            cases.append(("name-length-overrun", vec16(u8(9) + b"http/1.1"), DECODE))
        if name == "key_share":
            cases.append(("entry-header-only", vec16(u16(X25519)), DECODE))
            cases.append(("key-length-overrun", vec16(u16(X25519) + u16(33) + share_probe.public), DECODE))
        for case, bad, expect in cases:
            probes.append(Probe(family, "%s-%s" % (name, case), expect,
                                make_ext_run(version, name, bad), server=server,
                                rfc="RFC 8446 §4.2, §6.2" if version == 13 else "RFC 5246 §7.4.1.4, §7.2.2"))
    if version == 13:
        for name, bad, expect, rfc in [
            ("early_data-with-body", b"\x00", DECODE, "RFC 8446 §4.2.10 (empty in a ClientHello)"),
            ("pre_shared_key-truncated", _psk_body()[:-1], DECODE, "RFC 8446 §4.2.11"),
            ("pre_shared_key-binder-short", vec16(vec16(b"\x01" * 16) + bytes(4)) + vec16(vec8(bytes(31))),
             DECODE, "RFC 8446 §4.2.11 PskBinderEntry<32..255>"),
            ("cookie-empty", vec16(b""), DECODE, "RFC 8446 §4.2.2 cookie<1..2^16-1>"),
        ]:
            probes.append(Probe(family, name, expect, make_ext_run(version, name.split("-")[0], bad),
                                server=server, rfc=rfc))
    # The extensions block itself.
    for case, expect in [("block-overrun", DECODE), ("block-underrun", DECODE),
                         ("block-trailing-byte", DECODE), ("ext-length-overrun", DECODE)]:
        probes.append(Probe(family, case, expect, make_block_run(version, case), server=server,
                            rfc="RFC 8446 §4.1.2" if version == 13 else "RFC 5246 §7.4.1.2"))
    # The same extension twice.
    for name, body, _ in table:
        probes.append(Probe(family, "%s-duplicated" % name, ILLEGAL,
                            make_dup_run(version, name, body), server=server,
                            rfc="RFC 8446 §4.2 (no two of one type)" if version == 13 else
                            "RFC 5246 §7.4.1.4 (no two of one type)"))
    return probes


def make_ext_run(version, name, bad):
    def edit(c, exts):
        if name == "alpn":
            exts = exts + [("alpn", ALPN)]
        return replace(exts, name, bad)
    if version == 13:
        return lambda addr, env: hello13(addr, edit)
    return lambda addr, env: hello12(addr, edit)


def make_dup_run(version, name, body):
    def edit(c, exts):
        if name == "key_share":
            body_ = key_share_body([(X25519, c.share.public)])
        else:
            body_ = body
        return exts + [(name, body_)] if name in dict(exts) else exts + [(name, body_), (name, body_)]
    if version == 13:
        return lambda addr, env: hello13(addr, edit)
    return lambda addr, env: hello12(addr, edit)


def make_block_run(version, case):
    def run(addr, env):
        c = Client13(addr) if version == 13 else Client12(addr)
        exts = default_extensions13(c.share) if version == 13 else default_extensions12()
        block = wire.encode_extensions(exts)
        suites = [TLS_AES_128_GCM_SHA256] if version == 13 else [ECDHE_RSA_AES128_GCM]
        body = client_hello_body([], suites, raw_extensions=False)
        if case == "block-overrun":
            body += u16(len(block) + 1) + block
        elif case == "block-underrun":
            body += u16(len(block) - 1) + block
        elif case == "block-trailing-byte":
            body += vec16(block) + b"\x00"
        else:  # the last extension claims one byte more than the block holds
            last = wire.ext(EXT["alpn"], ALPN)
            block += last[:2] + u16(len(ALPN) + 1) + ALPN
            body += vec16(block)
        c.send_hello(body=body)
        return c.c.await_end()
    return run


# ------------------------------------------------------------------- the hello's own fields

def hello_field_probes():
    probes = []

    def raw13(mutate, expect, name, rfc):
        def run(addr, env):
            c = Client13(addr)
            exts = default_extensions13(c.share)
            kw = mutate(c, exts)
            if isinstance(kw, bytes):
                c.send_hello(body=kw)
                return c.c.await_end()
            c.full(**kw)
            return c.echo()
        probes.append(Probe("hello", name, expect, run, rfc=rfc))

    def body13(c, exts, **kw):
        args = dict(suites=[TLS_AES_128_GCM_SHA256])
        args.update(kw)
        suites = args.pop("suites")
        return client_hello_body(exts, suites, **args)

    raw13(lambda c, e: body13(c, e, session_id=os.urandom(33)), DECODE,
          "session-id-33-bytes", "RFC 8446 §4.1.2 legacy_session_id<0..32>")
    raw13(lambda c, e: body13(c, e)[:2 + 32 + 1 + 32] + u16(3) + u16(0x1301) + b"\x00" +
          body13(c, e)[2 + 32 + 1 + 32 + 4:], DECODE, "cipher-suites-odd-length", "RFC 8446 §4.1.2")
    raw13(lambda c, e: body13(c, e)[:2 + 32 + 1 + 32] + u16(0) +
          body13(c, e)[2 + 32 + 1 + 32 + 4:], DECODE, "cipher-suites-empty",
          "RFC 8446 §4.1.2 cipher_suites<2..2^16-2>")
    raw13(lambda c, e: body13(c, e, compression=b""), DECODE, "compression-empty",
          "RFC 8446 §4.1.2 legacy_compression_methods<1..2^8-1>")
    raw13(lambda c, e: body13(c, e, compression=b"\x00\x01"), ILLEGAL, "tls13-compression-null-and-deflate",
          "RFC 8446 §4.1.2")
    raw13(lambda c, e: body13(c, e, compression=b"\x01"), ILLEGAL, "tls13-compression-deflate-only",
          "RFC 8446 §4.1.2")
    raw13(lambda c, e: body13(c, e)[:20], DECODE, "truncated-in-random", "RFC 8446 §6.2 decode_error")
    raw13(lambda c, e: b"", DECODE, "empty-client-hello", "RFC 8446 §6.2 decode_error")
    raw13(lambda c, e: body13(c, e)[:2 + 32], DECODE, "truncated-after-random", "RFC 8446 §6.2")
    raw13(lambda c, e: dict(suites=[0x0a0a, 0x1399, TLS_AES_128_GCM_SHA256]), OK,
          "unknown-suites-ignored", "RFC 8446 §4.1.2, RFC 8701")
    raw13(lambda c, e: dict(exts=e + [(0x0a0a, b""), (0xfe77, b"\x01\x02\x03")]), OK,
          "unknown-extensions-ignored", "RFC 8446 §4.2")
    raw13(lambda c, e: dict(session_id=b""), OK, "empty-session-id", "RFC 8446 §4.1.2")
    raw13(lambda c, e: dict(exts=e + [(21, bytes(512))]), OK, "padding-extension", "RFC 7685")

    def tls12(mutate, expect, name, rfc, server="default"):
        def run(addr, env):
            c = Client12(addr)
            kw = mutate(c, default_extensions12())
            if isinstance(kw, bytes):
                c.send_hello(body=kw)
                return c.c.await_end()
            c.full(**kw)
            return c.echo()
        probes.append(Probe("hello", name, expect, run, rfc=rfc, server=server))

    def body12(c, exts, **kw):
        args = dict(suites=[ECDHE_RSA_AES128_GCM])
        args.update(kw)
        suites = args.pop("suites")
        return client_hello_body(exts, suites, **args)

    tls12(lambda c, e: body12(c, e, session_id=os.urandom(33)), DECODE, "tls12-session-id-33-bytes",
          "RFC 5246 §7.4.1.2 SessionID<0..32>")
    tls12(lambda c, e: body12(c, e, compression=b""), DECODE, "tls12-compression-empty",
          "RFC 5246 §7.4.1.2 compression_methods<1..2^8-1>")
    tls12(lambda c, e: dict(exts=e, compression=b"\x01\x00"), OK, "tls12-compression-deflate-and-null",
          "RFC 5246 §7.4.1.2: the server picks null")
    tls12(lambda c, e: body12(c, e, suites=[]), DECODE, "tls12-cipher-suites-empty",
          "RFC 5246 §7.4.1.2 cipher_suites<2..2^16-2>")
    tls12(lambda c, e: body12(c, e)[:40], DECODE, "tls12-truncated", "RFC 5246 §7.2.2 decode_error")
    tls12(lambda c, e: body12(c, e, suites=[0x1399, 0x0a0a]), HS_FAIL, "tls12-no-shared-suite",
          "RFC 5246 §7.4.1.3")
    tls12(lambda c, e: body12(c, e, suites=[TLS_AES_128_GCM_SHA256]), HS_FAIL,
          "tls12-only-tls13-suites", "RFC 8446 §4.1.2, RFC 5246 §7.4.1.3")
    raw13(lambda c, e: body13(c, e, suites=[0x1399]), HS_FAIL, "tls13-no-shared-suite",
          "RFC 8446 §4.1.1")
    raw13(lambda c, e: body13(c, e, suites=[ECDHE_RSA_AES128_GCM]), HS_FAIL,
          "tls13-only-tls12-suites", "RFC 8446 §4.1.1")
    return probes


# --------------------------------------------------------------------------------- versions

def version_probes():
    probes = []
    F = "versions"

    def sv13(versions, expect, name, legacy=0x0303, rfc="RFC 8446 §4.2.1", suites=None):
        def run(addr, env):
            c = Client13(addr)
            exts = replace(default_extensions13(c.share), "supported_versions",
                           vec8(b"".join(u16(v) for v in versions)))
            c.full(exts, version=legacy, suites=suites or [TLS_AES_128_GCM_SHA256])
            sh = c.server_hello
            if sh["version"] != b"\x03\x03" or sh["exts"].get(EXT["supported_versions"]) != b"\x03\x04":
                return Outcome("mismatch", note="ServerHello versions %r" % sh["version"])
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    sv13([0x0304], OK, "sv-tls13")
    sv13([0x0304, 0x0303], OK, "sv-tls13-and-tls12")
    sv13([0x0a0a, 0x0304], OK, "sv-grease-then-tls13", rfc="RFC 8701, RFC 8446 §4.2.1")
    sv13([0x7f1c, 0x0304], OK, "sv-draft-then-tls13", rfc="RFC 8446 §4.2.1 unknown versions ignored")
    sv13([0x0302, 0x0301], PROTO, "sv-tls11-tls10-only", rfc="RFC 8446 §4.2.1")
    sv13([0x7f1c], PROTO, "sv-draft-only", rfc="RFC 8446 §4.2.1")
    sv13([0x0300], PROTO, "sv-ssl3-only", rfc="RFC 8446 §4.2.1")
    sv13([0x0304], OK, "sv-tls13-legacy-version-tls10", legacy=0x0301, rfc="RFC 8446 §4.2.1 legacy_version ignored")
    sv13([0x0304], OK, "sv-tls13-legacy-version-tls13", legacy=0x0304, rfc="RFC 8446 §4.2.1")
    sv13([0x0304], PROTO, "sv-tls13-legacy-version-ssl3", legacy=0x0300, rfc="RFC 8446 §D.5")
    sv13([0x0304], HS_FAIL, "sv-tls13-with-tls12-suites-only", suites=[ECDHE_RSA_AES128_GCM],
         rfc="RFC 8446 §4.1.1")

    def legacy(version, expect, name, rfc, server="default", scsv=False, sv=None, record_version=0x0301,
               check_sentinel=None):
        def run(addr, env):
            c = Client12(addr)
            exts = default_extensions12()
            if sv is not None:
                exts = exts + [("supported_versions", vec8(b"".join(u16(v) for v in sv)))]
            suites = [ECDHE_RSA_AES128_GCM, ECDHE_ECDSA_AES128_GCM] + ([FALLBACK_SCSV] if scsv else [])
            c.full(exts, suites=suites, version=version, record_version=record_version)
            if c.server_hello["version"] != b"\x03\x03":
                return Outcome("mismatch", note="ServerHello version %r" % c.server_hello["version"])
            tail = c.server_hello["random"][-8:]
            if check_sentinel is not None and tail != check_sentinel:
                return Outcome("mismatch", note="random ends %r" % tail)
            if check_sentinel is None and tail in (DOWNGRD_11, DOWNGRD_12):
                return Outcome("mismatch", note="downgrade sentinel %r" % tail)
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc, server=server))

    legacy(0x0303, OK, "tls12-sets-downgrade-sentinel", "RFC 8446 §4.1.3", check_sentinel=DOWNGRD_12)
    legacy(0x0303, OK, "tls12-only-server-no-sentinel", "RFC 8446 §4.1.3 (TLS 1.3 not enabled)",
           server="tls12")
    legacy(0x0304, OK, "legacy-version-tls13-without-sv-gets-tls12", "RFC 8446 §4.1.2, §D.1",
           check_sentinel=DOWNGRD_12)
    legacy(0x0400, OK, "legacy-version-future-gets-tls12", "RFC 5246 §E.1", check_sentinel=DOWNGRD_12)
    legacy(0x0302, PROTO, "legacy-version-tls11", "RFC 5246 §E.1, RFC 8996")
    legacy(0x0301, PROTO, "legacy-version-tls10", "RFC 5246 §E.1, RFC 8996")
    legacy(0x0300, PROTO, "legacy-version-ssl3", "RFC 7568, RFC 8446 §D.5")
    legacy(0x0200, PROTO, "legacy-version-ssl2", "RFC 6176")
    legacy(0x0303, fatal("inappropriate_fallback"), "fallback-scsv-tls12-to-tls13-server",
           "RFC 7507 §3", scsv=True)
    legacy(0x0303, OK, "fallback-scsv-tls12-to-tls12-server", "RFC 7507 §3", server="tls12",
           scsv=True)
    legacy(0x0303, fatal("inappropriate_fallback"), "fallback-scsv-sv-tls12-only",
           "RFC 7507 §3, RFC 8446 §4.2.1", scsv=True, sv=[0x0303])
    legacy(0x0303, OK, "sv-tls12-only-without-scsv", "RFC 8446 §4.2.1", sv=[0x0303],
           check_sentinel=DOWNGRD_12)
    legacy(0x0303, OK, "record-version-ssl3", "RFC 5246 §E.1 any {03,XX}", record_version=0x0300,
           check_sentinel=DOWNGRD_12)
    legacy(0x0303, OK, "record-version-tls12", "RFC 5246 §E.1", record_version=0x0303,
           check_sentinel=DOWNGRD_12)
    legacy(0x0303, OK, "record-version-tls13", "RFC 5246 §E.1", record_version=0x0304,
           check_sentinel=DOWNGRD_12)
    def scsv13(addr, env):
        c = Client13(addr)
        c.full(suites=[TLS_AES_128_GCM_SHA256, FALLBACK_SCSV])
        return c.echo()
    probes.append(Probe(F, "fallback-scsv-with-tls13", OK, scsv13, rfc="RFC 7507 §3 (highest version)"))

    def tls13_no_sentinel(addr, env):
        c = Client13(addr)
        c.full()
        if c.server_hello["random"][-8:] in (DOWNGRD_11, DOWNGRD_12):
            return Outcome("mismatch", note="TLS 1.3 ServerHello carries a downgrade sentinel")
        return c.echo()
    probes.append(Probe(F, "tls13-no-sentinel", OK, tls13_no_sentinel, rfc="RFC 8446 §4.1.3"))

    def record_version_13(version):
        def run(addr, env):
            c = Client13(addr)
            c.send_hello = _record_version(c, version)
            c.full()
            return c.echo()
        return run
    for v, name in [(0x0300, "ssl3"), (0x0303, "tls12"), (0x0304, "tls13")]:
        probes.append(Probe(F, "tls13-record-version-%s" % name, OK, record_version_13(v),
                            rfc="RFC 8446 §5.1 legacy_record_version ignored"))
    return probes


def _record_version(c, version):
    def send_hello(exts=None, suites=(TLS_AES_128_GCM_SHA256,), body=None, **kw):
        if body is None:
            exts = default_extensions13(c.share) if exts is None else exts
            body = client_hello_body(exts, list(suites), **kw)
        msg = handshake(CLIENT_HELLO, body)
        c.transcript += msg
        c.c.send_record(HANDSHAKE, msg, version=version)
        return msg
    return send_hello


# ----------------------------------------------------------------------- TLS 1.3 hello rules

def ffdhe_share(params):
    g, p = params
    x = int.from_bytes(os.urandom(32), "big")
    return pow(g, x, p).to_bytes((p.bit_length() + 7) // 8, "big"), p


def p384_share():
    import ecdsa
    return ecdsa.SigningKey.generate(curve=ecdsa.NIST384p).get_verifying_key().to_string("uncompressed")


def tls13_rule_probes():
    probes = []
    F = "tls13"

    def rule(name, expect, edit, rfc, **kw):
        probes.append(Probe(F, name, expect, lambda addr, env: hello13(addr, edit, **kw), rfc=rfc))

    rule("no-signature-algorithms", MISSING, lambda c, e: without(e, "signature_algorithms"),
         "RFC 8446 §4.2.3, §9.2")
    rule("supported-groups-without-key-share", MISSING, lambda c, e: without(e, "key_share"),
         "RFC 8446 §9.2")
    rule("key-share-without-supported-groups", MISSING, lambda c, e: without(e, "supported_groups"),
         "RFC 8446 §9.2")
    rule("pre-shared-key-without-modes", MISSING,
         lambda c, e: without(e, "psk_key_exchange_modes") + [("pre_shared_key", _psk_body())],
         "RFC 8446 §4.2.9")
    rule("pre-shared-key-not-last", ILLEGAL,
         lambda c, e: e[:1] + [("pre_shared_key", _psk_body())] + e[1:], "RFC 8446 §4.2.11")
    rule("unknown-psk-identity-full-handshake", OK,
         lambda c, e: e + [("pre_shared_key", _psk_body())], "RFC 8446 §4.2.11 (server may decline)")
    rule("psk-binders-empty", DECODE,
         lambda c, e: e + [("pre_shared_key", vec16(vec16(b"\x01" * 16) + bytes(4)) + vec16(b""))],
         "RFC 8446 §4.2.11 binders<33..2^16-1>")
    rule("psk-identities-empty", DECODE,
         lambda c, e: e + [("pre_shared_key", vec16(b"") + vec16(vec8(bytes(32))))],
         "RFC 8446 §4.2.11 identities<7..2^16-1>")
    rule("early-data-without-psk-ignored", OK, lambda c, e: e + [("early_data", b"")],
         "RFC 8446 §4.2.10")
    rule("psk-modes-unknown-only", OK, lambda c, e: replace(e, "psk_key_exchange_modes", vec8(u8(7))),
         "RFC 8446 §4.2.9 (no PSK: full handshake)")
    for sig, name, expect, rfc in [
        (0x0804, "rsa-pss-rsae-sha256-only", OK, "RFC 8446 §4.2.3"),
        (0x0403, "ecdsa-p256-sha256-only", OK, "RFC 8446 §4.2.3"),
        (0x0401, "rsa-pkcs1-sha256-only", HS_FAIL, "RFC 8446 §4.2.3, §4.4.2.2"),
        (0x0201, "rsa-pkcs1-sha1-only", HS_FAIL, "RFC 8446 §4.2.3, §4.4.2.2"),
        (0x0503, "ecdsa-p384-sha384-only", HS_FAIL, "RFC 8446 §4.2.3 (P-256 key), §4.4.2.2"),
        (0x0807, "ed25519-only", HS_FAIL, "RFC 8446 §4.4.2.2"),
        (0x0809, "rsa-pss-pss-sha256-only", HS_FAIL, "RFC 8446 §4.4.2.2 (rsaEncryption key)"),
    ]:
        rule("sigalg-" + name, expect,
             (lambda s: lambda c, e: replace(e, "signature_algorithms", u16_list([s])))(sig), rfc)

    # Key shares: wrong lengths and values for each group, duplicates for each group.
    bad_shares = [
        ("x25519-empty", X25519, b""),
        ("x25519-31-bytes", X25519, bytes(range(1, 32))),
        ("x25519-33-bytes", X25519, bytes(range(1, 34))),
        ("x25519-all-zero", X25519, bytes(32)),
        ("p256-empty", SECP256R1, b""),
        ("p256-not-on-curve", SECP256R1, b"\x04" + bytes(range(1, 65))),
        ("p256-compressed", SECP256R1, b"\x02" + P256Key().public[1:33]),
        ("p256-no-format-byte", SECP256R1, P256Key().public[1:]),
        ("p256-infinity", SECP256R1, b"\x00"),
        ("p384-empty", SECP384R1, b""),
        ("p384-not-on-curve", SECP384R1, b"\x04" + bytes(range(1, 97))),
        ("ffdhe2048-empty", G_FFDHE2048, b""),
        ("ffdhe2048-one-byte", G_FFDHE2048, b"\x02"),
        ("ffdhe2048-value-1", G_FFDHE2048, (1).to_bytes(256, "big")),
        ("ffdhe2048-value-p-minus-1", G_FFDHE2048, (FFDHE2048[1] - 1).to_bytes(256, "big")),
        ("ffdhe2048-unpadded", G_FFDHE2048, ffdhe_share(FFDHE2048)[0].lstrip(b"\x00")[:255]),
        ("ffdhe3072-empty", 257, b""),
    ]
    for name, group, share in bad_shares:
        def edit(c, e, group=group, share=share):
            # Only this group: a server may prefer another and ask for it instead.
            return replace(replace(e, "supported_groups", u16_list([group])), "key_share",
                           key_share_body([(group, share)]))
        rule("key-share-" + name, ILLEGAL, edit, "RFC 8446 §4.2.8, §4.2.8.1, §4.2.8.2")

    def good_share(group):
        if group == X25519:
            return X25519Key().public
        if group == SECP256R1:
            return P256Key().public
        if group == SECP384R1:
            return p384_share()
        return ffdhe_share(FFDHE2048 if group == G_FFDHE2048 else FFDHE3072)[0]

    for group, gname in [(X25519, "x25519"), (SECP256R1, "p256"), (SECP384R1, "p384"),
                         (G_FFDHE2048, "ffdhe2048"), (257, "ffdhe3072")]:
        def edit(c, e, group=group):
            groups = [group]
            share = c.share.public if group == X25519 else good_share(group)
            entries = [(group, share), (group, share)]
            return replace(replace(e, "supported_groups", u16_list(groups)), "key_share",
                           key_share_body(entries))
        rule("key-share-duplicated-" + gname, ILLEGAL, edit, "RFC 8446 §4.2.8")

    # HelloRetryRequest.
    def hrr(name, expect, rfc, first_shares, groups, second_edit=None, ccs=False, suites2=None):
        def run(addr, env):
            c = Client13(addr)
            exts = replace(replace(default_extensions13(c.share), "supported_groups", u16_list(groups)),
                           "key_share", key_share_body(first_shares(c)))
            c.send_hello(exts)
            sh = c.read_server_hello()
            if not sh["hrr"]:
                return Outcome("mismatch", note="no HelloRetryRequest")
            asked = sh["exts"].get(EXT["key_share"])
            if asked != u16(X25519):
                return Outcome("mismatch", note="HelloRetryRequest asks for %r" % asked)
            if ccs:
                c.c.send_record(wire.CCS, b"\x01")
            exts2 = replace(exts, "key_share", key_share_body([(X25519, c.share.public)]))
            if second_edit is not None:
                exts2 = second_edit(c, exts2)
            # The same hello again (RFC 8446 §4.1.2), with only the key share changed.
            c.send_hello(exts2, suites=suites2 or [TLS_AES_128_GCM_SHA256],
                         random=c.ch_body[2:34], session_id=c.ch_body[35:35 + c.ch_body[34]])
            sh = c.read_server_hello()
            if sh["hrr"]:
                return Outcome("mismatch", note="second HelloRetryRequest")
            c.start_encryption()
            c.read_server_flight()
            c.c.write_cipher = c.cipher(c.c_hs)
            c.send_finished()
            return c.echo()
        probes.append(Probe(F, name, expect, run, rfc=rfc))

    hrr("hrr-empty-key-share", OK, "RFC 8446 §4.1.4", lambda c: [], [X25519])
    hrr("hrr-x448-only-share", OK, "RFC 8446 §4.1.4 (X448 unsupported)", lambda c: [(X448, bytes(range(56)))],
        [X448, X25519])
    hrr("hrr-then-ccs", OK, "RFC 8446 §D.4", lambda c: [], [X25519], ccs=True)
    hrr("hrr-second-hello-wrong-group", ILLEGAL, "RFC 8446 §4.2.8", lambda c: [], [X25519],
        second_edit=lambda c, e: replace(replace(e, "supported_groups", u16_list([X25519, SECP256R1])),
                                        "key_share", key_share_body([(SECP256R1, P256Key().public)])))
    hrr("hrr-second-hello-no-share", ILLEGAL, "RFC 8446 §4.2.8", lambda c: [], [X25519],
        second_edit=lambda c, e: replace(e, "key_share", key_share_body([])))
    hrr("hrr-second-hello-other-suite", ILLEGAL, "RFC 8446 §4.1.4", lambda c: [], [X25519],
        suites2=[0x1303])
    hrr("hrr-second-hello-without-sv", ILLEGAL, "RFC 8446 §4.1.2 (version must stay)", lambda c: [],
        [X25519], second_edit=lambda c, e: without(e, "supported_versions"))

    # The client's Finished (issue 14: a Finished that does not parse is decode_error).
    def finished(name, make, expect, rfc):
        def run(addr, env):
            c = Client13(addr)
            c.handshake_to_finished()
            c.send_finished(make(c.finished_data()))
            return c.c.await_end() if expect != OK else c.echo()
        probes.append(Probe(F, "finished-" + name, expect, run, rfc=rfc))

    for length in (0, 1, 16, 31, 33, 48, 64):
        finished("length-%d" % length, (lambda n: lambda v: (v + bytes(64))[:n])(length), DECODE,
                 "RFC 8446 §4.4.4 (Hash.length bytes), §6.2")
    finished("padded-left", lambda v: b"\x00" + v, DECODE, "RFC 8446 §4.4.4, §6.2")
    finished("padded-right", lambda v: v + b"\x00", DECODE, "RFC 8446 §4.4.4, §6.2")
    finished("truncated-left", lambda v: v[1:], DECODE, "RFC 8446 §4.4.4, §6.2")
    finished("first-bit-flipped", lambda v: bytes([v[0] ^ 1]) + v[1:], fatal("decrypt_error"),
             "RFC 8446 §4.4.4")
    finished("last-bit-flipped", lambda v: v[:-1] + bytes([v[-1] ^ 0x80]), fatal("decrypt_error"),
             "RFC 8446 §4.4.4")
    finished("all-zero", lambda v: bytes(32), fatal("decrypt_error"), "RFC 8446 §4.4.4")

    def x448_only(addr, env):
        return hello13(addr, lambda c, e: replace(replace(e, "supported_groups", u16_list([X448])),
                                                  "key_share", key_share_body([(X448, bytes(range(56)))])))
    probes.append(Probe(F, "x448-only-no-common-group", HS_FAIL, x448_only, rfc="RFC 8446 §4.1.1"))
    return probes


def _psk_body():
    identity = vec16(b"\x01" * 32) + bytes(4)
    return vec16(identity) + vec16(vec8(bytes(32)))


# ------------------------------------------------------------------------------------- SNI

def sni_probes():
    probes = []
    F = "sni"
    cases = [
        ("localhost", b"localhost", OK, "RFC 6066 §3"),
        ("unknown-name", b"www.example.com", OK, "RFC 6066 §3 (server may go on)"),
        ("uppercase", b"LOCALHOST", OK, "RFC 6066 §3, RFC 4343"),
        ("ipv4-literal", b"127.0.0.1", ILLEGAL, "RFC 6066 §3 no literal IP addresses"),
        ("ipv6-literal", b"::1", ILLEGAL, "RFC 6066 §3 no literal IP addresses"),
        ("trailing-dot", b"localhost.", ILLEGAL, "RFC 6066 §3 no trailing dot"),
        ("nul-byte", b"local\x00host", ILLEGAL, "RFC 6066 §3 HostName is a DNS name"),
        ("space", b"local host", ILLEGAL, "RFC 6066 §3"),
        ("utf8-not-a-label", "bücher.example".encode(), ILLEGAL, "RFC 6066 §3 A-labels only"),
        ("control-character", b"local\x07host", ILLEGAL, "RFC 6066 §3"),
        ("empty-label", b"local..host", ILLEGAL, "RFC 6066 §3, RFC 1035"),
        ("leading-dot", b".localhost", ILLEGAL, "RFC 6066 §3, RFC 1035"),
        ("label-64-bytes", b"a" * 64 + b".example", ILLEGAL, "RFC 1035 §2.3.4 labels of 63 octets"),
        ("name-254-bytes", b".".join([b"a" * 50] * 5) + b".abc", ILLEGAL, "RFC 1035 §2.3.4 253 octets"),
        ("label-63-bytes", b"a" * 63 + b".example", OK, "RFC 1035 §2.3.4"),
    ]
    for name, host, expect, rfc in cases:
        for version in (13, 12):
            def edit(c, e, host=host):
                return replace(e, "server_name", sni_body(host))
            run = (lambda edit: (lambda addr, env: hello13(addr, edit)))(edit) if version == 13 else \
                (lambda edit: (lambda addr, env: hello12(addr, edit)))(edit)
            probes.append(Probe(F, "tls%d-%s" % (version, name), expect, run, rfc=rfc))
    two = vec16(u8(0) + vec16(b"localhost") + u8(0) + vec16(b"example.com"))
    probes.append(Probe(F, "tls13-two-host-names", ILLEGAL,
                        lambda addr, env: hello13(addr, lambda c, e: replace(e, "server_name", two)),
                        rfc="RFC 6066 §3 one name per type"))
    probes.append(Probe(F, "tls12-two-host-names", ILLEGAL,
                        lambda addr, env: hello12(addr, lambda c, e: replace(e, "server_name", two)),
                        rfc="RFC 6066 §3 one name per type"))
    return probes


# ------------------------------------------------------------------------------------- EMS

def ems_probes():
    probes = []
    F = "ems"

    def full12(ems, server, expect, name, rfc, suites=(ECDHE_RSA_AES128_GCM,), check=None):
        def run(addr, env):
            c = Client12(addr)
            c.full(default_extensions12(ems=ems), suites=list(suites))
            if check is not None and check(c):
                return Outcome("mismatch", note=check(c))
            return c.echo()
        probes.append(Probe(F, name, expect, run, server=server, rfc=rfc))

    no_echo = lambda c: None if c.ems else "no extended_master_secret in the ServerHello"
    full12(True, "default", OK, "with-ems-ecdhe", "RFC 7627 §5.1", check=no_echo)
    full12(True, "default", OK, "with-ems-rsa", "RFC 7627 §5.1", suites=[RSA_AES128_GCM], check=no_echo)
    full12(False, "default", HS_FAIL, "without-ems-refused", "RFC 7627 §5.2 (EMS required)")
    full12(False, "default", HS_FAIL, "without-ems-rsa-refused", "RFC 7627 §5.2 (EMS required)",
           suites=[RSA_AES128_GCM])
    full12(False, "ems-optional", OK, "without-ems-optional", "RFC 7627 §5.2",
           check=lambda c: "extended_master_secret not offered but echoed" if c.ems else None)
    full12(True, "ems-optional", OK, "with-ems-optional", "RFC 7627 §5.1", check=no_echo)

    def no_extensions(addr, env):
        c = Client12(addr)
        c.send_hello(body=client_hello_body([], [ECDHE_RSA_AES128_GCM, RSA_AES128_GCM],
                                            raw_extensions=False))
        c.read_server_flight()
        c.send_key_exchange()
        c.send_ccs()
        c.send_finished()
        c.read_server_finish()
        return c.echo()
    probes.append(Probe(F, "no-extensions-block-refused", HS_FAIL, no_extensions,
                        rfc="RFC 7627 §5.2 (EMS required)"))
    probes.append(Probe(F, "ems-with-body", DECODE,
                        lambda addr, env: hello12(addr, lambda c, e: replace(e, "extended_master_secret", b"\x00")),
                        rfc="RFC 7627 §5.1 extension_data empty"))
    probes.append(Probe(F, "ems-with-body-optional-server", DECODE,
                        lambda addr, env: hello12(addr, lambda c, e: replace(e, "extended_master_secret", b"\x00")),
                        server="ems-optional", rfc="RFC 7627 §5.1 extension_data empty"))

    # Resumption: session IDs and tickets, EMS dropped or added.
    def resume(first_ems, second_ems, via, expect_resumed, name, rfc, server, expect=OK):
        def run(addr, env):
            c = Client12(addr)
            exts = default_extensions12(ems=first_ems)
            if via == "ticket":
                exts = exts + [("session_ticket", b"")]
            c.full(exts, suites=[ECDHE_RSA_AES128_GCM])
            c.echo()
            session_id = c.server_hello["session_id"]
            master, ticket = c.master, c.ticket
            c.c.close()
            if via == "ticket" and not ticket:
                return Outcome("mismatch", note="no NewSessionTicket")
            if via == "id" and not session_id:
                return Outcome("mismatch", note="no session ID")
            d = Client12(addr)
            exts2 = default_extensions12(ems=second_ems)
            offered_id = session_id if via == "id" else os.urandom(32)
            if via == "ticket":
                exts2 = exts2 + [("session_ticket", ticket)]
            d.send_hello(exts2, suites=[ECDHE_RSA_AES128_GCM], session_id=offered_id)
            return _finish_resumption(d, offered_id, master, expect_resumed)
        probes.append(Probe(F, name, expect, run, server=server, rfc=rfc))

    probes.append(logged_refusal(F, "without-ems-refusal-logged", "log-ems", lambda c, e: e,
                                 r"handshake failed: .*extended master secret.*--ems-optional",
                                 "RFC 7627 §5.2; issue 14 (the log names the reason and the flag)"))
    for via in ("id", "ticket"):
        resume(True, True, via, True, "resume-%s-with-ems" % via, "RFC 7627 §5.3", "default")
        resume(True, False, via, False, "resume-%s-drops-ems" % via, "RFC 7627 §5.3 MUST abort",
               "ems-optional", expect=HS_FAIL)
        resume(False, True, via, False, "resume-%s-adds-ems-full-handshake" % via,
               "RFC 7627 §5.3 MUST NOT resume", "ems-optional")
        resume(False, False, via, True, "resume-%s-without-ems" % via, "RFC 7627 §5.3",
               "ems-optional")
        resume(True, False, via, False, "resume-%s-drops-ems-strict-server" % via,
               "RFC 7627 §5.3, §5.2", "default", expect=HS_FAIL)
    return probes


def _finish_resumption(d, offered_id, master, expect_resumed):
    htype, body, raw = d.c.read_handshake()
    if htype != wire.SERVER_HELLO:
        return Outcome("error", note="handshake type %d" % htype)
    d.transcript += raw
    sh = wire.parse_server_hello(body)
    d.server_hello, d.server_random, d.suite = sh, sh["random"], sh["suite"]
    d.ems = EXT["extended_master_secret"] in sh["exts"]
    d.etm = EXT["encrypt_then_mac"] in sh["exts"]
    resumed = sh["session_id"] == offered_id and len(offered_id) > 0
    if resumed != expect_resumed:
        return Outcome("mismatch", note="resumed" if resumed else "not resumed")
    if not resumed:
        d.ske = None
        while True:
            htype, body, raw = d.c.read_handshake()
            d.transcript += raw
            if htype == wire.CERTIFICATE:
                certs = body[3:]
                first = int.from_bytes(certs[:3], "big")
                from tlslite.x509 import X509
                d.cert = X509()
                d.cert.parseBinary(bytearray(certs[3:3 + first]))
            elif htype == wire.SERVER_KEY_EXCHANGE:
                d.ske = body
            elif htype == wire.SERVER_HELLO_DONE:
                break
        d.send_key_exchange()
        d.send_ccs()
        d.send_finished()
        d.read_server_finish()
        return d.echo()
    d.master = master
    d.install_keys()
    # [NewSessionTicket] ChangeCipherSpec Finished, then ours.
    while True:
        ctype, body = d.c.read_record()
        if ctype == HANDSHAKE:
            d.transcript += body
            continue
        if ctype == wire.CCS:
            d.c.read_cipher = d.pending_read
            break
    htype, body, raw = d.c.read_handshake()
    d.transcript += raw
    d.send_ccs()
    d.send_finished()
    return d.echo()


# ------------------------------------------------------------------------- encrypt_then_mac

def etm_probes():
    """RFC 7366: encrypt-then-MAC answered for CBC suites only, records really in its
    format (this client checks the MAC over IV ‖ ciphertext of every record it opens), and
    never dropped or added on resumption. The tlslite-* probes use tlslite-ng's own TLS
    client and record layer instead of the byte-level one."""
    probes = []
    F = "etm"
    CBC = wire.ECDHE_RSA_AES128_CBC_SHA

    def run_etm(suite, body, name, rfc, expect_etm, expect=OK, server="default"):
        def run(addr, env):
            c = Client12(addr)
            c.full(default_extensions12() + [("encrypt_then_mac", body)], suites=[suite])
            answered = EXT["encrypt_then_mac"] in c.server_hello["exts"]
            if answered != expect_etm:
                return Outcome("mismatch", note="server %s encrypt_then_mac" %
                               ("answered" if answered else "did not answer"))
            return c.echo()
        probes.append(Probe(F, name, expect, run, server=server, rfc=rfc))

    run_etm(CBC, b"", "cbc-suite-etm-negotiated", "RFC 7366 §2, §3 (records are EtM both ways)", True)
    run_etm(ECDHE_RSA_AES128_GCM, b"", "aead-suite-etm-not-echoed", "RFC 7366 §3", False)
    run_etm(RSA_AES128_GCM, b"", "rsa-aead-etm-not-echoed", "RFC 7366 §3", False)
    run_etm(CBC, b"", "cbc-suite-etm-server-turned-off", "RFC 7366 §2 (`serve --no-etm` ignores it)",
            False, server="no-etm")
    probes.append(Probe(F, "cbc-suite-etm-with-body", DECODE,
                        lambda addr, env: hello12(addr, lambda c, e: e + [("encrypt_then_mac", b"\x00")],
                                                  suites=[CBC]),
                        rfc="RFC 7366 §2 (extension_data empty), RFC 5246 §7.2.2"))

    def cbc_without_etm(addr, env):
        c = Client12(addr)
        c.full(default_extensions12(), suites=[CBC])
        if EXT["encrypt_then_mac"] in c.server_hello["exts"]:
            return Outcome("mismatch", note="encrypt_then_mac answered unasked")
        return c.echo()
    probes.append(Probe(F, "cbc-suite-without-etm-is-mac-then-encrypt", OK, cbc_without_etm,
                        rfc="RFC 7366 §2, RFC 5246 §6.2.3.2"))

    def mte_after_etm(addr, env):
        """EtM negotiated, then a Finished sealed MAC-then-encrypt: bad_record_mac."""
        c = Client12(addr)
        c.send_hello(default_extensions12() + [("encrypt_then_mac", b"")], suites=[CBC])
        c.read_server_flight()
        if not c.etm:
            return Outcome("mismatch", note="encrypt_then_mac not answered")
        c.send_key_exchange()
        c.pending_write.etm = False
        c.send_ccs()
        c.send_finished()
        return c.c.await_end()
    probes.append(Probe(F, "mac-then-encrypt-record-after-etm", fatal("bad_record_mac"), mte_after_etm,
                        rfc="RFC 7366 §3 (the MAC covers IV and ciphertext)"))

    def resume(first_etm, second_etm, via, expect_resumed, name, rfc):
        def run(addr, env):
            def exts(etm):
                e = default_extensions12() + ([("encrypt_then_mac", b"")] if etm else [])
                return e + [("session_ticket", b"")] if via == "ticket" else e
            c = Client12(addr)
            c.full(exts(first_etm), suites=[CBC])
            if c.etm != first_etm:
                return Outcome("mismatch", note="first handshake EtM %s" % c.etm)
            c.echo()
            session_id, master, ticket = c.server_hello["session_id"], c.master, c.ticket
            c.c.close()
            if via == "ticket" and not ticket:
                return Outcome("mismatch", note="no NewSessionTicket")
            d = Client12(addr)
            second = exts(second_etm)
            offered_id = session_id if via == "id" else os.urandom(32)
            if via == "ticket":
                second = [(n, b) for n, b in second if n != "session_ticket"] + [("session_ticket", ticket)]
            d.send_hello(second, suites=[CBC], session_id=offered_id)
            got = _finish_resumption(d, offered_id, master, expect_resumed)
            if got == OK and d.etm != second_etm:
                return Outcome("mismatch", note="EtM %s after resumption" % d.etm)
            return got
        probes.append(Probe(F, name, OK, run, rfc=rfc))

    for via in ("id", "ticket"):
        resume(True, True, via, True, "resume-%s-with-etm" % via, "RFC 7366 §3.1")
        resume(True, False, via, False, "resume-%s-drops-etm-full-handshake" % via,
               "RFC 7366 §3.1 (no downgrade: a full handshake instead)")
        resume(False, True, via, False, "resume-%s-adds-etm-full-handshake" % via,
               "RFC 7366 §3.1 (a session keeps its record format)")
        resume(False, False, via, True, "resume-%s-without-etm" % via, "RFC 7366 §3.1")

    def tlslite(cipher, mac, kex, etm):
        def run(addr, env):
            import socket
            from tlslite.api import TLSConnection, HandshakeSettings
            settings = HandshakeSettings()
            settings.minVersion, settings.maxVersion = (3, 3), (3, 3)
            settings.cipherNames, settings.macNames = [cipher], [mac]
            settings.keyExchangeNames = [kex]
            settings.useEncryptThenMAC = etm
            sock = socket.create_connection(addr, timeout=wire.TIMEOUT)
            conn = TLSConnection(sock)
            try:
                conn.handshakeClientCert(settings=settings, serverName="localhost")
                if bool(conn.encryptThenMAC) != etm:
                    return Outcome("mismatch", note="tlslite-ng EtM %s" % conn.encryptThenMAC)
                conn.write(b"ping\n")
                got = b""
                while len(got) < 5:
                    got += bytes(conn.read(max=5 - len(got)))
                return OK if got == b"ping\n" else Outcome("mismatch", note="echo differs")
            finally:
                sock.close()
        name = "tlslite-%s-%s-%s-%s" % (kex.replace("_", "-"), cipher, mac, "etm" if etm else "no-etm")
        probes.append(Probe(F, name, OK, run, rfc="RFC 7366 §3 (tlslite-ng's record layer)"))

    for cipher, mac, kex in (("aes128", "sha", "ecdhe_rsa"), ("aes256", "sha", "ecdhe_rsa"),
                             ("aes128", "sha256", "ecdhe_rsa"), ("aes256", "sha384", "ecdhe_rsa"),
                             ("aes128", "sha", "dhe_rsa"), ("aes128", "sha", "rsa")):
        tlslite(cipher, mac, kex, True)
    tlslite("aes128", "sha", "ecdhe_rsa", False)

    def mfl(addr, env):
        c = Client12(addr)
        c.full(default_extensions12() + [(1, u8(2))], suites=[ECDHE_RSA_AES128_GCM])
        if 1 in c.server_hello["exts"]:
            return Outcome("mismatch", note="server answered max_fragment_length")
        return c.echo()
    probes.append(Probe("ext12", "max_fragment_length-ignored", OK, mfl,
                        rfc="RFC 6066 §4 (a server without it ignores the extension)"))

    def etm13(addr, env):
        return hello13(addr, lambda c, e: e + [("encrypt_then_mac", b"")])
    probes.append(Probe(F, "tls13-etm-ignored", OK, etm13, rfc="RFC 7366 §2, RFC 8446 §4.2"))
    return probes


# ---------------------------------------------------------------------------- legacy clients

def legacy_probes():
    probes = []
    F = "legacy"

    def case(name, edit, server, expect, rfc, suites=(ECDHE_RSA_AES128_GCM, ECDHE_ECDSA_AES128_GCM)):
        def run(addr, env):
            c = Client12(addr)
            exts = edit(c, default_extensions12(ems=False))
            c.full(exts, suites=list(suites))
            if "signature_algorithms" not in dict(exts):
                # RFC 5246 §7.4.1.4.1: such a client verifies {sha1,rsa} or {sha1,ecdsa} only.
                ske = c.ske
                scheme = ske[4 + ske[3]:6 + ske[3]]
                if scheme not in (b"\x02\x01", b"\x02\x03"):
                    return Outcome("mismatch", note="ServerKeyExchange signed with %s, not SHA-1" % scheme.hex())
            return c.echo()
        probes.append(Probe(F, name, expect, run, server=server, rfc=rfc))

    no_sigs = lambda c, e: without(e, "signature_algorithms")
    no_groups = lambda c, e: without(e, "supported_groups")
    neither = lambda c, e: without(e, "signature_algorithms", "supported_groups")
    case("no-signature-algorithms-refused", no_sigs, "ems-optional", HS_FAIL,
         "RFC 5246 §7.4.1.4.1 (strict default policy)")
    case("no-supported-groups-refused", no_groups, "ems-optional", HS_FAIL,
         "RFC 8422 §4 (strict default policy)")
    probes.append(logged_refusal(F, "no-signature-algorithms-refusal-logged", "log-sigalgs", no_sigs,
                                 r"handshake failed: .*signature_algorithms.*--legacy-clients",
                                 "issue 14 (the log names the reason and the flag)"))
    probes.append(logged_refusal(F, "no-supported-groups-refusal-logged", "log-groups", no_groups,
                                 r"handshake failed: .*supported_groups.*--legacy-clients",
                                 "issue 14 (the log names the reason and the flag)"))
    case("no-signature-algorithms-accepted", no_sigs, "legacy", OK, "RFC 5246 §7.4.1.4.1 {sha1,rsa}")
    case("no-signature-algorithms-ecdsa-accepted", no_sigs, "legacy", OK,
         "RFC 5246 §7.4.1.4.1 {sha1,ecdsa}", suites=[ECDHE_ECDSA_AES128_GCM])
    case("no-supported-groups-accepted", no_groups, "legacy", OK, "RFC 8422 §4 server-chosen curve")
    case("neither-accepted", neither, "legacy", OK, "RFC 5246 §7.4.1.4.1, RFC 8422 §4")
    case("legacy-server-still-checks-unknown-groups",
         lambda c, e: replace(e, "supported_groups", u16_list([0x0a0a])), "legacy", HS_FAIL,
         "RFC 8422 §5.1 (groups sent but none shared)", suites=[ECDHE_RSA_AES128_GCM])
    return probes


def logged_refusal(family, name, server, edit, pattern, rfc):
    """A refused TLS 1.2 client whose refusal `serve` must log in one line that names the
    reason and the flag that relaxes it (issue 14). The probe's server serves only it."""
    import re
    import time

    def run(addr, env):
        try:
            return hello12(addr, edit, ems=False)
        except wire.Ended as ended:
            outcome = ended.outcome
        deadline = time.time() + 3
        while time.time() < deadline:
            with open(env.log_of(server), errors="replace") as f:
                if any(re.search(pattern, line) for line in f):
                    return outcome
            time.sleep(0.1)
        return Outcome("mismatch", note="%s, but no log line matching %r" % (outcome, pattern))
    return Probe(family, name, HS_FAIL, run, server=server, rfc=rfc)
