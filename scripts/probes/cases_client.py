"""Client-side probes: a scripted TLS server, built on the same framing and tlslite-ng's
crypto, misbehaves towards `keyward connect`; each probe checks the alert keyward sends."""

import hashlib
import hmac
import os
import socket
import struct
import subprocess
import threading

import ecdsa
from ecdsa.util import sigencode_der

import wire
from wire import (OK, Outcome, fatal, handshake, vec8, vec16, vec24, u8, u16, record, ext,
                  EXT, X25519, SECP256R1, SECP384R1, X25519Key, Gcm, Ended, ProbeError, CCS, ALERT,
                  HANDSHAKE, APPDATA, CLIENT_HELLO, SERVER_HELLO, ENCRYPTED_EXTENSIONS, CERTIFICATE,
                  CERTIFICATE_VERIFY, FINISHED, SERVER_KEY_EXCHANGE, SERVER_HELLO_DONE,
                  CLIENT_KEY_EXCHANGE, HRR_RANDOM, DOWNGRD_11, DOWNGRD_12, hkdf_extract,
                  hkdf_expand_label, derive_secret, prf12, parse_extensions)
from runner import Probe

F = "client"
ILLEGAL = fatal("illegal_parameter")
UNSUPPORTED_EXT = fatal("unsupported_extension")
UNEXPECTED = fatal("unexpected_message")
DECODE = fatal("decode_error")
DECRYPT = fatal("decrypt_error")


# ------------------------------------------------------------------------------ certificates

_certs_lock = threading.Lock()


def certificates(env):
    """A CA, and certificates it signs (ECDSA P-256): localhost, a wrong name, an expired
    one, and a self-signed localhost certificate from no known CA. Made once per run."""
    with _certs_lock:
        if getattr(env, "client_certs", None):
            return env.client_certs
        d = os.path.join(env.work, "client-certs")
        os.makedirs(d, exist_ok=True)

        def sh(*args):
            subprocess.run(args, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        sh("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "ca.key")
        sh("openssl", "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=keyward probes CA",
           "-days", "2", "-out", "ca.pem")
        sh("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "server.key")
        sh("openssl", "req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr")
        out = {}
        for name, san in [("good", "DNS:localhost,IP:127.0.0.1"), ("wrong-name", "DNS:wrong.example")]:
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % san)
            sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
               "-set_serial", str(len(out) + 2), "-days", "2", "-extfile", name + ".ext",
               "-out", name + ".pem")
            out[name] = der_of(os.path.join(d, name + ".pem"))
        # Expired (valid in January 2020 only): `openssl ca` sets both dates.
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\n"
                    "certificate=ca.pem\nprivate_key=ca.key\ndefault_md=sha256\npolicy=p\n"
                    "serial=serial\n[p]\ncommonName=supplied\n")
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("10\n")
        sh("openssl", "ca", "-batch", "-config", "ca.cnf", "-startdate", "20200101000000Z",
           "-enddate", "20200201000000Z", "-in", "server.csr", "-extfile", "good.ext",
           "-notext", "-out", "expired.pem")
        out["expired"] = der_of(os.path.join(d, "expired.pem"))
        # A localhost certificate from a CA the client does not know.
        sh("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "other.key")
        sh("openssl", "req", "-x509", "-new", "-key", "other.key", "-subj", "/CN=unknown CA",
           "-days", "2", "-out", "other.pem")
        sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "other.pem", "-CAkey", "other.key",
           "-set_serial", "7", "-days", "2", "-extfile", "good.ext", "-out", "unknown-ca.pem")
        out["unknown-ca"] = der_of(os.path.join(d, "unknown-ca.pem"))
        with open(os.path.join(d, "server.key")) as f:
            out["key"] = ecdsa.SigningKey.from_pem(f.read())
        out["ca"] = os.path.join(d, "ca.pem")
        env.client_certs = out
        return out


def der_of(pem_path):
    import base64
    with open(pem_path) as f:
        text = f.read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


# ----------------------------------------------------------------------- the scripted server

class Peer:
    """The server's side of one connection from `keyward connect`."""

    def __init__(self, sock):
        self.c = wire.Conn.__new__(wire.Conn)
        self.c.sock, self.c.buf, self.c.read_cipher, self.c.write_cipher = sock, b"", None, None
        self.c.tls13, self.c.hs_buf, self.c.alerts_seen, self.c.owner = False, b"", [], None
        self.transcript = b""

    def read_client_hello(self):
        htype, body, raw = self.c.read_handshake()
        if htype != CLIENT_HELLO:
            raise ProbeError("keyward connect sent handshake type %d first" % htype)
        self.transcript += raw
        self.client_random = body[2:34]
        sid_len = body[34]
        self.session_id = body[35:35 + sid_len]
        i = 35 + sid_len
        n = struct.unpack(">H", body[i:i + 2])[0]
        self.suites = [struct.unpack(">H", body[i + 2 + k:i + 4 + k])[0] for k in range(0, n, 2)]
        i += 2 + n
        i += 1 + body[i]
        self.exts = parse_extensions(body[i + 2:])
        self.shares = {}
        ks = self.exts.get(EXT["key_share"], b"")[2:]
        while len(ks) >= 4:
            group, length = struct.unpack(">HH", ks[:4])
            self.shares[group] = ks[4:4 + length]
            ks = ks[4 + length:]

    def send_handshake(self, msg, encrypt=True):
        self.transcript += msg
        self.c.send_record(HANDSHAKE, msg, encrypt=encrypt)


def server_hello_body(version, random, session_id, suite, exts, compression=0):
    return u16(version) + random + vec8(session_id) + u16(suite) + u8(compression) + \
        vec16(b"".join(ext(t, b) for t, b in exts))


class Server13:
    """TLS 1.3 with TLS_AES_128_GCM_SHA256, X25519 and an ECDSA P-256 certificate; every
    field and message can be overridden."""

    def __init__(self, certs, **hooks):
        self.certs, self.h = certs, hooks

    def play(self, p):
        p.read_client_hello()
        h = self.h
        if "before_hello" in h:
            if h["before_hello"](self, p) == "stop":
                return
        share = X25519Key()
        random = h.get("random", os.urandom(32))
        sh_exts = [(EXT["supported_versions"], h.get("sv", u16(0x0304))),
                   (EXT["key_share"], h.get("key_share", u16(X25519) + vec16(share.public)))]
        sh_exts = h.get("sh_exts", lambda e: e)(sh_exts)
        sh = handshake(SERVER_HELLO, server_hello_body(
            h.get("version", 0x0303), random, h.get("session_id", p.session_id),
            h.get("suite", 0x1301), sh_exts, h.get("compression", 0)))
        p.send_handshake(sh, encrypt=False)
        if h.get("stop_after_hello"):
            return
        peer_share = p.shares.get(X25519)
        if peer_share is None:
            raise ProbeError("keyward connect sent no X25519 share")
        shared = share.shared(peer_share)
        H = "sha256"
        zeros = bytes(32)
        early = hkdf_extract(H, zeros, zeros)
        hs_secret = hkdf_extract(H, derive_secret(H, early, b"derived", b""), shared)
        c_hs = derive_secret(H, hs_secret, b"c hs traffic", p.transcript)
        s_hs = derive_secret(H, hs_secret, b"s hs traffic", p.transcript)
        p.c.tls13 = True
        p.c.write_cipher = cipher(s_hs)
        p.c.read_cipher = cipher(c_hs)
        p.c.send(record(CCS, b"\x01"))
        ee = handshake(ENCRYPTED_EXTENSIONS, vec16(b"".join(ext(t, b) for t, b in h.get("ee_exts", []))))
        cert_list = b"".join(vec24(der) + u16(0) for der in h.get("chain", [self.certs["good"]]))
        cert = handshake(CERTIFICATE, vec8(b"") + vec24(cert_list))
        for msg in h.get("flight", lambda s, p, ee, cert: None)(self, p, ee, cert) or [ee, cert, "cv", "fin"]:
            if msg == "cv":
                content = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00" + \
                    hashlib.sha256(p.transcript).digest()
                sig = self.certs["key"].sign_deterministic(content, hashfunc=hashlib.sha256,
                                                           sigencode=sigencode_der)
                sig = h.get("signature", lambda s: s)(sig)
                msg = handshake(CERTIFICATE_VERIFY, u16(h.get("cv_scheme", 0x0403)) + vec16(sig))
            elif msg == "fin":
                key = hkdf_expand_label(H, s_hs, b"finished", b"", 32)
                verify = hmac.new(key, hashlib.sha256(p.transcript).digest(), H).digest()
                msg = handshake(FINISHED, h.get("finished", lambda v: v)(verify))
            p.send_handshake(msg)
        master = hkdf_extract(H, derive_secret(H, hs_secret, b"derived", b""), zeros)
        c_ap = derive_secret(H, master, b"c ap traffic", p.transcript)
        s_ap = derive_secret(H, master, b"s ap traffic", p.transcript)
        htype, body, raw = p.c.read_handshake()
        if htype != FINISHED:
            raise ProbeError("keyward connect sent handshake type %d instead of Finished" % htype)
        p.c.write_cipher, p.c.read_cipher = cipher(s_ap), cipher(c_ap)
        serve_echo(p)


def cipher(secret):
    return Gcm(hkdf_expand_label("sha256", secret, b"key", b"", 16),
               hkdf_expand_label("sha256", secret, b"iv", b"", 12), True)


def serve_echo(p):
    """Echoes what the client sends until its close_notify; answers with close_notify."""
    while True:
        try:
            ctype, body = p.c.read_record()
        except Ended as ended:
            if ended.outcome == wire.warning("close_notify"):
                p.c.send_record(ALERT, bytes([1, 0]))
                p.finished_ok = True
            raise
        if ctype == APPDATA:
            p.c.send_record(APPDATA, body)


class Server12:
    """TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256, X25519, EMS."""

    def __init__(self, certs, **hooks):
        self.certs, self.h = certs, hooks

    def play(self, p):
        p.read_client_hello()
        h = self.h
        random = h.get("random", os.urandom(32))
        exts = [(EXT["extended_master_secret"], b""), (EXT["renegotiation_info"], vec8(b"")),
                (EXT["ec_point_formats"], vec8(u8(0)))]
        exts = h.get("sh_exts", lambda e: e)(exts)
        session_id = os.urandom(32)
        sh = handshake(SERVER_HELLO, server_hello_body(h.get("version", 0x0303), random, session_id,
                                                       h.get("suite", wire.ECDHE_ECDSA_AES128_GCM), exts))
        p.send_handshake(sh, encrypt=False)
        if h.get("stop_after_hello"):
            return
        chain = b"".join(vec24(der) for der in h.get("chain", [self.certs["good"]]))
        p.send_handshake(handshake(CERTIFICATE, vec24(chain)), encrypt=False)
        share = X25519Key()
        params = u8(3) + u16(X25519) + vec8(share.public)
        sig = self.certs["key"].sign_deterministic(p.client_random + random + params,
                                                   hashfunc=hashlib.sha256, sigencode=sigencode_der)
        sig = h.get("signature", lambda s: s)(sig)
        p.send_handshake(handshake(SERVER_KEY_EXCHANGE, params + u16(0x0403) + vec16(sig)), encrypt=False)
        p.send_handshake(handshake(SERVER_HELLO_DONE, b""), encrypt=False)
        htype, body, raw = p.c.read_handshake()
        if htype != CLIENT_KEY_EXCHANGE:
            raise ProbeError("keyward connect sent handshake type %d instead of ClientKeyExchange" % htype)
        p.transcript += raw
        pms = share.shared(body[1:1 + body[0]])
        ems = EXT["extended_master_secret"] in dict(exts)
        if ems:
            master = prf12(pms, b"extended master secret", hashlib.sha256(p.transcript).digest(), 48)
        else:
            master = prf12(pms, b"master secret", p.client_random + random, 48)
        kb = prf12(master, b"key expansion", random + p.client_random, 40)
        ckey, skey, civ, siv = kb[:16], kb[16:32], kb[32:36], kb[36:40]
        ctype, body = p.c.read_record()
        if ctype != CCS:
            raise ProbeError("keyward connect sent record type %d instead of ChangeCipherSpec" % ctype)
        p.c.read_cipher = Gcm(ckey, civ, False)
        htype, body, raw = p.c.read_handshake()
        if htype != FINISHED:
            raise ProbeError("keyward connect sent handshake type %d instead of Finished" % htype)
        p.transcript += raw
        p.c.send(record(CCS, b"\x01"))
        p.c.write_cipher = Gcm(skey, siv, False)
        verify = prf12(master, b"server finished", hashlib.sha256(p.transcript).digest(), 12)
        p.c.send_record(HANDSHAKE, handshake(FINISHED, h.get("finished", lambda v: v)(verify)))
        serve_echo(p)


def run_client(env, server, server_name="localhost", extra=()):
    """Runs `keyward connect` against `server`; returns the alert keyward sent, or OK when
    the handshake finished, the echo came back and keyward exited with success."""
    certs = certificates(env)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    port = listener.getsockname()[1]
    args = [env.keyward, "connect", "127.0.0.1:%d" % port, "--cafile", certs["ca"],
            "--servername", server_name, "--timeout", "5"] + list(extra)
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, KEYWARD_HOME=env.home))
    result = {}

    def feed():
        try:
            out, err = proc.communicate(b"probe\n", timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        result.update(out=out, err=err)
    feeder = threading.Thread(target=feed)
    feeder.start()
    outcome = None
    try:
        sock, _ = listener.accept()
        sock.settimeout(wire.TIMEOUT)
        p = Peer(sock)
        p.finished_ok = False
        try:
            server.play(p)
            outcome = p.c.await_end()
        except Ended as ended:
            outcome = ended.outcome
        if p.finished_ok:
            outcome = None  # judged below from the exit status and the echo
        sock.close()
    except socket.timeout:
        outcome = Outcome("timeout", note="keyward connect did not connect")
    finally:
        listener.close()
        feeder.join()
    if outcome is None:
        if proc.returncode == 0 and result.get("out") == b"probe\n":
            return OK
        return Outcome("failed", note="exit %s: %s" % (proc.returncode,
                                                   result.get("err", b"").decode(errors="replace").strip()[-200:]))
    if outcome.kind == "alert" and proc.returncode == 0:
        return Outcome("mismatch", note="keyward connect alerted %s but exited 0" % outcome)
    return outcome


# ------------------------------------------------------------------------------------ probes

def client_probes():
    probes = []

    def case(name, expect, rfc, make, **kw):
        def run(addr, env):
            return run_client(env, make(certificates(env)), **kw)
        probes.append(Probe(F, name, expect, run, rfc=rfc, server="default"))

    t13 = lambda **h: (lambda certs: Server13(certs, **h))
    t12 = lambda **h: (lambda certs: Server12(certs, **h))

    case("tls13-well-behaved", OK, "RFC 8446", t13())
    case("tls12-well-behaved", OK, "RFC 5246, RFC 7627", t12())
    # ServerHello values.
    case("tls13-suite-not-offered", ILLEGAL, "RFC 8446 §4.1.3", t13(suite=0x1399))
    case("tls13-tls12-suite", ILLEGAL, "RFC 8446 §4.1.3", t13(suite=wire.ECDHE_RSA_AES128_GCM))
    case("tls13-session-id-not-echoed", ILLEGAL, "RFC 8446 §4.1.3", t13(session_id=os.urandom(32)))
    case("tls13-compression-1", ILLEGAL, "RFC 8446 §4.1.3 (legacy_compression_method 0)", t13(compression=1))
    case("tls13-supported-versions-unknown", ILLEGAL, "RFC 8446 §4.2.1", t13(sv=u16(0x0305)))
    case("tls13-supported-versions-tls12", ILLEGAL, "RFC 8446 §4.2.1", t13(sv=u16(0x0303)))
    case("tls13-supported-versions-malformed", DECODE, "RFC 8446 §4.2.1, §6.2", t13(sv=b"\x03"))
    case("tls13-key-share-group-not-offered", ILLEGAL, "RFC 8446 §4.2.8",
         t13(key_share=u16(SECP384R1) + vec16(bytes(97))))
    case("tls13-key-share-x25519-wrong-length", ILLEGAL, "RFC 8446 §4.2.8.2",
         t13(key_share=u16(X25519) + vec16(bytes(range(1, 32)))))
    case("tls13-key-share-missing", fatal("missing_extension"), "RFC 8446 §9.2",
         t13(sh_exts=lambda e: [x for x in e if x[0] != EXT["key_share"]]))
    # Downgrade sentinels: a TLS 1.2 ServerHello to a client that offered TLS 1.3.
    case("downgrade-sentinel-tls12", ILLEGAL, "RFC 8446 §4.1.3",
         t12(random=os.urandom(24) + DOWNGRD_12))
    case("downgrade-sentinel-tls11", ILLEGAL, "RFC 8446 §4.1.3",
         t12(random=os.urandom(24) + DOWNGRD_11))
    case("tls12-version-tls11", fatal("protocol_version"), "RFC 8446 §4.2.1, RFC 8996",
         t12(version=0x0302))
    # Unsolicited and misplaced extensions.
    case("tls13-unsolicited-alpn", UNSUPPORTED_EXT, "RFC 8446 §4.2, RFC 7301 §3.1",
         t13(ee_exts=[(EXT["alpn"], vec16(vec8(b"h2")))]))
    case("tls13-unsolicited-unknown-extension", UNSUPPORTED_EXT, "RFC 8446 §4.2",
         t13(ee_exts=[(0x1234, b"")]))
    case("tls13-unknown-extension-in-server-hello", UNSUPPORTED_EXT, "RFC 8446 §4.2",
         t13(sh_exts=lambda e: e + [(0x1234, b"")]))
    case("tls13-supported-groups-in-server-hello", ILLEGAL, "RFC 8446 §4.2 (wrong message)",
         t13(sh_exts=lambda e: e + [(EXT["supported_groups"], vec16(u16(X25519)))]))
    case("tls13-key-share-in-encrypted-extensions", ILLEGAL, "RFC 8446 §4.2 (wrong message)",
         t13(ee_exts=[(EXT["key_share"], u16(X25519) + vec16(bytes(32)))]))
    case("tls12-unsolicited-unknown-extension", UNSUPPORTED_EXT, "RFC 5246 §7.4.1.4",
         t12(sh_exts=lambda e: e + [(0x1234, b"")]))
    case("tls12-unsolicited-alpn", UNSUPPORTED_EXT, "RFC 5246 §7.4.1.4, RFC 7301 §3.1",
         t12(sh_exts=lambda e: e + [(EXT["alpn"], vec16(vec8(b"h2")))]))
    # RFC 7366: `keyward connect` offers encrypt_then_mac (its default suites include CBC).
    case("tls12-etm-for-aead-suite", ILLEGAL, "RFC 7366 §3 (no EtM answer for an AEAD suite)",
         t12(sh_exts=lambda e: e + [(EXT["encrypt_then_mac"], b"")]))
    case("tls12-etm-unsolicited", UNSUPPORTED_EXT, "RFC 5246 §7.4.1.4 (`connect --no-etm`)",
         t12(sh_exts=lambda e: e + [(EXT["encrypt_then_mac"], b"")]), extra=["--no-etm"])
    case("tls13-etm-in-server-hello", ILLEGAL, "RFC 8446 §4.2 (wrong message), RFC 7366",
         t13(sh_exts=lambda e: e + [(EXT["encrypt_then_mac"], b"")]))
    case("tls13-etm-in-encrypted-extensions", ILLEGAL, "RFC 8446 §4.2 (wrong message), RFC 7366",
         t13(ee_exts=[(EXT["encrypt_then_mac"], b"")]))
    case("tls12-no-ems", fatal("handshake_failure"), "RFC 7627 §5.2 (client requires EMS)",
         t12(sh_exts=lambda e: [x for x in e if x[0] != EXT["extended_master_secret"]]))
    case("tls12-renegotiation-info-not-empty", fatal("handshake_failure"), "RFC 5746 §3.4",
         t12(sh_exts=lambda e: [x for x in e if x[0] != EXT["renegotiation_info"]] +
             [(EXT["renegotiation_info"], vec8(bytes(24)))]))
    case("tls12-suite-not-offered", ILLEGAL, "RFC 5246 §7.4.1.3", t12(suite=0x0a0a))
    case("tls12-tls13-suite", ILLEGAL, "RFC 8446 §4.1.3, RFC 5246 §7.4.1.3", t12(suite=0x1301))
    # Finished and CertificateVerify.
    case("tls13-wrong-finished", DECRYPT, "RFC 8446 §4.4.4", t13(finished=lambda v: bytes([v[0] ^ 1]) + v[1:]))
    case("tls13-finished-short", DECODE, "RFC 8446 §4.4.4, §6.2", t13(finished=lambda v: v[:-1]))
    case("tls13-finished-long", DECODE, "RFC 8446 §4.4.4, §6.2", t13(finished=lambda v: v + b"\x00"))
    case("tls13-bad-certificate-verify", DECRYPT, "RFC 8446 §4.4.3",
         t13(signature=lambda s: s[:-1] + bytes([s[-1] ^ 1])))
    case("tls13-certificate-verify-scheme-not-offered", ILLEGAL, "RFC 8446 §4.4.3",
         t13(cv_scheme=0x0202))
    case("tls12-wrong-finished", DECRYPT, "RFC 5246 §7.4.9", t12(finished=lambda v: bytes([v[0] ^ 1]) + v[1:]))
    case("tls12-bad-server-key-exchange-signature", DECRYPT, "RFC 5246 §7.4.3, §7.2.2",
         t12(signature=lambda s: s[:-1] + bytes([s[-1] ^ 1])))
    # Message order.
    case("tls13-no-certificate-verify", UNEXPECTED, "RFC 8446 §4.4.3",
         t13(flight=lambda s, p, ee, cert: [ee, cert, "fin"]))
    case("tls13-no-certificate", UNEXPECTED, "RFC 8446 §4.4.2",
         t13(flight=lambda s, p, ee, cert: [ee, "fin"]))
    case("tls13-no-encrypted-extensions", UNEXPECTED, "RFC 8446 §4.3.1",
         t13(flight=lambda s, p, ee, cert: [cert, "cv", "fin"]))
    case("tls13-encrypted-extensions-twice", UNEXPECTED, "RFC 8446 §4",
         t13(flight=lambda s, p, ee, cert: [ee, ee, cert, "cv", "fin"]))
    case("tls13-empty-certificate", DECODE, "RFC 8446 §4.4.2.4", t13(chain=[]))
    # HelloRetryRequest.

    def hrr(group, twice=False):
        def before(server, p):
            exts = [(EXT["supported_versions"], u16(0x0304)), (EXT["key_share"], u16(group))]
            msg = handshake(SERVER_HELLO, server_hello_body(0x0303, HRR_RANDOM, p.session_id, 0x1301, exts))
            p.c.send(record(HANDSHAKE, msg))
            if twice:
                p.read_client_hello()
                p.c.send(record(HANDSHAKE, msg))
                return "stop"
            p.read_client_hello()
            return "stop"
        return before
    case("hrr-group-already-offered", ILLEGAL, "RFC 8446 §4.1.4 (no change to the ClientHello)",
         t13(before_hello=hrr(X25519)))
    case("hrr-group-not-offered", ILLEGAL, "RFC 8446 §4.2.8", t13(before_hello=hrr(0x1234)))
    case("hrr-twice", UNEXPECTED, "RFC 8446 §4.1.4", t13(before_hello=hrr(SECP256R1, twice=True)))
    # Certificates.
    case("tls13-certificate-wrong-name", fatal("bad_certificate"), "RFC 8446 §6.2, RFC 6125",
         lambda certs: Server13(certs, chain=[certs["wrong-name"]]))
    case("tls13-certificate-unknown-ca", fatal("unknown_ca"), "RFC 8446 §6.2",
         lambda certs: Server13(certs, chain=[certs["unknown-ca"]]))
    case("tls13-certificate-expired", fatal("certificate_expired"), "RFC 8446 §6.2",
         lambda certs: Server13(certs, chain=[certs["expired"]]))
    case("tls13-certificate-garbage", fatal("bad_certificate"), "RFC 8446 §6.2",
         t13(chain=[b"\x30\x03\x02\x01\x01"]))
    case("tls13-certificate-for-another-name-requested", fatal("bad_certificate"),
         "RFC 8446 §6.2, RFC 6125", t13(), server_name="other.example")
    case("tls12-certificate-wrong-name", fatal("bad_certificate"), "RFC 5246 §7.4.2, RFC 6125",
         lambda certs: Server12(certs, chain=[certs["wrong-name"]]))
    case("tls12-certificate-unknown-ca", fatal("unknown_ca"), "RFC 5246 §7.2.2",
         lambda certs: Server12(certs, chain=[certs["unknown-ca"]]))
    return probes
