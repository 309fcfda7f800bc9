"""Byte-level TLS for the probes: records, handshake messages, extensions, and two scripted
clients (TLS 1.3 and TLS 1.2) whose every step can be replaced by something hostile.

The cryptography comes from tlslite-ng (X25519, AES-GCM, AES-CBC, RSA and X.509 parsing);
the framing is written out here byte by byte, because the probes must be able to send what
no well-behaved library would.
"""

import hashlib
import hmac
import os
import socket
import struct

from tlslite.utils import x25519 as tl_x25519
from tlslite.utils.cipherfactory import createAESGCM, createAES
from tlslite.x509 import X509

# Content types.
CCS, ALERT, HANDSHAKE, APPDATA = 20, 21, 22, 23
# Handshake types.
HELLO_REQUEST, CLIENT_HELLO, SERVER_HELLO, NEW_SESSION_TICKET, END_OF_EARLY_DATA = 0, 1, 2, 4, 5
ENCRYPTED_EXTENSIONS, CERTIFICATE, SERVER_KEY_EXCHANGE, CERTIFICATE_REQUEST = 8, 11, 12, 13
SERVER_HELLO_DONE, CERTIFICATE_VERIFY, CLIENT_KEY_EXCHANGE, FINISHED, KEY_UPDATE = 14, 15, 16, 20, 24
# Extensions.
EXT = dict(server_name=0, status_request=5, supported_groups=10, ec_point_formats=11,
           signature_algorithms=13, alpn=16, encrypt_then_mac=22, extended_master_secret=23,
           session_ticket=35, pre_shared_key=41, early_data=42, supported_versions=43,
           cookie=44, psk_key_exchange_modes=45, signature_algorithms_cert=50, key_share=51,
           renegotiation_info=0xFF01)
# Groups.
X25519, SECP256R1, SECP384R1, X448, FFDHE2048 = 29, 23, 24, 30, 256
# Cipher suites.
TLS_AES_128_GCM_SHA256 = 0x1301
TLS_AES_256_GCM_SHA384 = 0x1302
ECDHE_RSA_AES128_GCM = 0xC02F
ECDHE_ECDSA_AES128_GCM = 0xC02B
ECDHE_RSA_AES128_CBC_SHA = 0xC013
RSA_AES128_GCM = 0x009C
EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
FALLBACK_SCSV = 0x5600
SIG_ALGS = [0x0403, 0x0804, 0x0805, 0x0401, 0x0501, 0x0503]
DOWNGRD_12 = b"DOWNGRD\x01"
DOWNGRD_11 = b"DOWNGRD\x00"

ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
    44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
    51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
    80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
    100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
    112: "unrecognized_name", 115: "unknown_psk_identity", 116: "certificate_required",
    120: "no_application_protocol",
}
ALERT_CODES = {name: code for code, name in ALERT_NAMES.items()}

TIMEOUT = 5.0


# ---------------------------------------------------------------------------------- encoding

def u8(n):
    return struct.pack(">B", n)


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return struct.pack(">I", n)[1:]


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def vec24(b):
    return u24(len(b)) + b


def record(ctype, body, version=0x0303):
    return u8(ctype) + u16(version) + vec16(body)


def handshake(htype, body):
    return u8(htype) + vec24(body)


def ext(etype, body):
    return u16(etype) + vec16(body)


def u16_list(values):
    return vec16(b"".join(u16(v) for v in values))


def sni_body(name):
    entry = u8(0) + vec16(name)
    return vec16(entry)


def key_share_body(entries):
    return vec16(b"".join(u16(g) + vec16(k) for g, k in entries))


def alert_body(level, desc):
    return u8(level) + u8(desc)


class Outcome:
    """What a probe saw at its end: an alert (level, description), success, a close or a
    timeout."""

    def __init__(self, kind, level=None, desc=None, note=""):
        self.kind, self.level, self.desc, self.note = kind, level, desc, note

    def __eq__(self, other):
        return (self.kind, self.level, self.desc) == (other.kind, other.level, other.desc)

    def __str__(self):
        if self.kind == "alert":
            level = {1: "warning", 2: "fatal"}.get(self.level, str(self.level))
            return "%s %s" % (level, ALERT_NAMES.get(self.desc, str(self.desc)))
        return self.kind + (" (%s)" % self.note if self.note else "")


def fatal(name):
    return Outcome("alert", 2, ALERT_CODES[name])


def warning(name):
    return Outcome("alert", 1, ALERT_CODES[name])


OK = Outcome("ok")
CLOSED = Outcome("closed")


class Ended(Exception):
    """The peer ended the exchange (alert, close, timeout) where the probe wanted more."""

    def __init__(self, outcome):
        super().__init__(str(outcome))
        self.outcome = outcome


class ProbeError(Exception):
    """The probe itself could not go on (the server said something it cannot parse)."""


# ------------------------------------------------------------------------------ crypto bits

def hkdf_extract(hash_name, salt, ikm):
    return hmac.new(salt, ikm, hash_name).digest()


def hkdf_expand_label(hash_name, secret, label, context, length):
    info = u16(length) + vec8(b"tls13 " + label) + vec8(context)
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + u8(i), hash_name).digest()
        out += block
        i += 1
    return out[:length]


def derive_secret(hash_name, secret, label, transcript):
    digest = hashlib.new(hash_name, transcript).digest()
    return hkdf_expand_label(hash_name, secret, label, digest, hashlib.new(hash_name).digest_size)


def p_hash(hash_name, secret, seed, length):
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, hash_name).digest()
        out += hmac.new(secret, a + seed, hash_name).digest()
    return out[:length]


def prf12(secret, label, seed, length, hash_name="sha256"):
    return p_hash(hash_name, secret, label + seed, length)


class X25519Key:
    def __init__(self):
        self.private = os.urandom(32)
        self.public = bytes(tl_x25519.x25519(bytearray(self.private), bytearray(tl_x25519.X25519_G)))

    def shared(self, peer):
        return bytes(tl_x25519.x25519(bytearray(self.private), bytearray(peer)))


class P256Key:
    def __init__(self):
        import ecdsa
        self.curve = ecdsa.NIST256p
        self.sk = ecdsa.SigningKey.generate(curve=self.curve)
        self.public = self.sk.get_verifying_key().to_string("uncompressed")

    def shared(self, peer):
        import ecdsa
        point = ecdsa.VerifyingKey.from_string(peer, curve=self.curve).pubkey.point
        return (point * self.sk.privkey.secret_multiplier).x().to_bytes(32, "big")


class Gcm:
    """AES-GCM record protection, TLS 1.3 (nonce from IV and sequence) or TLS 1.2
    (4-byte salt and 8 explicit bytes)."""

    def __init__(self, key, iv, tls13):
        self.aead = createAESGCM(bytearray(key), ["python"])
        self.iv, self.tls13, self.seq = iv, tls13, 0

    def nonce(self):
        if self.tls13:
            seq = self.seq.to_bytes(12, "big")
            return bytes(a ^ b for a, b in zip(self.iv, seq))
        return self.iv + self.seq.to_bytes(8, "big")

    def seal(self, ctype, data, version=0x0303):
        nonce = self.nonce()
        if self.tls13:
            aad = u8(APPDATA) + u16(version) + u16(len(data) + 16)
            out = bytes(self.aead.seal(bytearray(nonce), bytearray(data), bytearray(aad)))
        else:
            aad = self.seq.to_bytes(8, "big") + u8(ctype) + u16(version) + u16(len(data))
            out = nonce[4:] + bytes(self.aead.seal(bytearray(nonce), bytearray(data), bytearray(aad)))
        self.seq += 1
        return out

    def open(self, ctype, data, version=0x0303):
        if self.tls13:
            nonce = self.nonce()
            aad = u8(ctype) + u16(version) + u16(len(data))
            out = self.aead.open(bytearray(nonce), bytearray(data), bytearray(aad))
        else:
            nonce = self.iv + data[:8]
            body = data[8:]
            aad = self.seq.to_bytes(8, "big") + u8(ctype) + u16(version) + u16(len(body) - 16)
            out = self.aead.open(bytearray(nonce), bytearray(body), bytearray(aad))
        if out is None:
            raise ProbeError("cannot decrypt the server's record")
        self.seq += 1
        return bytes(out)


class CbcSha:
    """AES-128-CBC with HMAC-SHA1, explicit IVs: MAC-then-encrypt (RFC 5246 §6.2.3.2), or
    encrypt-then-MAC (RFC 7366 §3) with `etm`, whose MAC is checked on every record opened."""

    def __init__(self, key, mac_key, etm=False):
        self.key, self.mac_key, self.seq, self.etm = key, mac_key, 0, etm

    def etm_mac(self, ctype, version, iv_and_ciphertext):
        return hmac.new(self.mac_key, self.seq.to_bytes(8, "big") + u8(ctype) + u16(version)
                        + u16(len(iv_and_ciphertext)) + iv_and_ciphertext, "sha1").digest()

    def seal(self, ctype, data, version=0x0303):
        if self.etm:
            pad = 15 - len(data) % 16
            iv = os.urandom(16)
            body = iv + bytes(createAES(bytearray(self.key), bytearray(iv), ["python"]).encrypt(
                bytearray(data + bytes([pad] * (pad + 1)))))
            mac = self.etm_mac(ctype, version, body)
            self.seq += 1
            return body + mac
        mac = hmac.new(self.mac_key, self.seq.to_bytes(8, "big") + u8(ctype) + u16(version)
                       + u16(len(data)) + data, "sha1").digest()
        body = data + mac
        pad = 15 - len(body) % 16
        body += bytes([pad] * (pad + 1))
        iv = os.urandom(16)
        self.seq += 1
        return iv + bytes(createAES(bytearray(self.key), bytearray(iv), ["python"]).encrypt(bytearray(body)))

    def open(self, ctype, data, version=0x0303):
        if self.etm:
            if len(data) < 16 + 16 + 20 or (len(data) - 20) % 16:
                raise ProbeError("encrypt-then-MAC record of %d bytes" % len(data))
            body, mac = data[:-20], data[-20:]
            if not hmac.compare_digest(self.etm_mac(ctype, version, body), mac):
                raise ProbeError("the server's record is not encrypt-then-MAC (MAC over IV and ciphertext)")
            iv, ciphertext = body[:16], body[16:]
            plain = bytes(createAES(bytearray(self.key), bytearray(iv), ["python"]).decrypt(bytearray(ciphertext)))
            pad = plain[-1]
            if pad + 1 > len(plain) or plain[-(pad + 1):] != bytes([pad] * (pad + 1)):
                raise ProbeError("bad padding in the server's encrypt-then-MAC record")
            self.seq += 1
            return plain[:-(pad + 1)]
        iv, body = data[:16], data[16:]
        plain = bytes(createAES(bytearray(self.key), bytearray(iv), ["python"]).decrypt(bytearray(body)))
        pad = plain[-1]
        content = plain[: -(pad + 1) - 20]
        self.seq += 1
        return content


# ---------------------------------------------------------------------------- the transport

class Conn:
    """One TCP connection with a record reader that turns alerts, closes and timeouts into
    `Ended`."""

    def __init__(self, addr, timeout=TIMEOUT):
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.read_cipher = None  # protects what the server sends
        self.write_cipher = None
        self.tls13 = False
        self.hs_buf = b""  # handshake bytes received but not yet consumed
        self.alerts_seen = []
        self.owner = None  # the TLS 1.3 client, to follow the server's KeyUpdates

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            pass  # the server may already have closed; what it said is still to be read

    def send_record(self, ctype, body, version=0x0303, encrypt=True, pad=0, outer=None,
                    aad_version=0x0303):
        """Sends one record, protected by the current write cipher when `encrypt`. In TLS
        1.3 the additional data names `aad_version`, whatever the header says."""
        if self.write_cipher is not None and encrypt:
            if self.tls13:
                inner = body + u8(ctype) + bytes(pad)
                sealed = self.write_cipher.seal(APPDATA, inner, aad_version)
                self.send(record(APPDATA if outer is None else outer, sealed, version))
            else:
                self.send(record(ctype, self.write_cipher.seal(ctype, body, version), version))
        else:
            self.send(record(ctype, body, version))

    def _read_exact(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Ended(Outcome("timeout"))
            except ConnectionResetError:
                raise Ended(Outcome("closed", note="reset"))
            except OSError:
                raise Ended(Outcome("closed", note="reset"))
            if not chunk:
                raise Ended(CLOSED)
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_record(self):
        """(content type, plaintext) of the next record; alerts end the probe."""
        header = self._read_exact(5)
        ctype, _version, length = header[0], header[1:3], struct.unpack(">H", header[3:5])[0]
        body = self._read_exact(length)
        if self.read_cipher is not None and ctype != CCS:
            if self.tls13:
                if ctype == ALERT and len(body) == 2:
                    # A server that failed before it had keys may still alert in plaintext.
                    outcome = Outcome("alert", body[0], body[1], note="plaintext")
                    self.alerts_seen.append(outcome)
                    raise Ended(outcome)
                if ctype != APPDATA:
                    raise ProbeError("plaintext record type %d under protection" % ctype)
                inner = self.read_cipher.open(ctype, body, struct.unpack(">H", _version)[0])
                inner = inner.rstrip(b"\x00")
                ctype, body = inner[-1], inner[:-1]
            else:
                body = self.read_cipher.open(ctype, body, struct.unpack(">H", _version)[0])
        if ctype == ALERT:
            if len(body) != 2:
                raise ProbeError("alert of %d bytes" % len(body))
            outcome = Outcome("alert", body[0], body[1])
            self.alerts_seen.append(outcome)
            raise Ended(outcome)
        return ctype, body

    def read_handshake(self, raw_sink=None):
        """(type, body, raw bytes) of the next handshake message."""
        while len(self.hs_buf) < 4 or len(self.hs_buf) < 4 + int.from_bytes(self.hs_buf[1:4], "big"):
            ctype, body = self.read_record()
            if ctype == CCS:
                continue
            if ctype != HANDSHAKE:
                raise ProbeError("record type %d where a handshake message was due" % ctype)
            self.hs_buf += body
        length = int.from_bytes(self.hs_buf[1:4], "big")
        raw, self.hs_buf = self.hs_buf[: 4 + length], self.hs_buf[4 + length:]
        return raw[0], raw[4:], raw

    def await_end(self):
        """Reads until the server alerts, closes or goes quiet; returns what happened.
        Application data (echo) and post-handshake messages are skipped."""
        try:
            while True:
                ctype, body = self.read_record()
                if ctype == HANDSHAKE and self.tls13 and body[:1] == bytes([KEY_UPDATE]) \
                        and self.owner is not None:
                    self.owner.update_read()
        except Ended as ended:
            return ended.outcome

    def read_app(self, want):
        """Reads application data until `want` bytes came back; other records are skipped."""
        got = b""
        while len(got) < want:
            ctype, body = self.read_record()
            if ctype == APPDATA:
                got += body
        return got


# -------------------------------------------------------------------------- the ClientHello

def default_extensions13(share, groups=(X25519,), server_name=b"localhost"):
    exts = []
    if server_name is not None:
        exts.append(("server_name", sni_body(server_name)))
    exts += [
        ("supported_versions", vec8(u16(0x0304))),
        ("supported_groups", u16_list(groups)),
        ("key_share", key_share_body([(X25519, share.public)])),
        ("signature_algorithms", u16_list(SIG_ALGS)),
        ("psk_key_exchange_modes", vec8(u8(1))),
    ]
    return exts


def default_extensions12(ems=True, server_name=b"localhost"):
    exts = []
    if server_name is not None:
        exts.append(("server_name", sni_body(server_name)))
    exts += [
        ("supported_groups", u16_list([X25519, SECP256R1])),
        ("ec_point_formats", vec8(u8(0))),
        ("signature_algorithms", u16_list(SIG_ALGS)),
        ("renegotiation_info", vec8(b"")),
    ]
    if ems:
        exts.append(("extended_master_secret", b""))
    return exts


def encode_extensions(exts):
    out = b""
    for name, body in exts:
        etype = EXT[name] if isinstance(name, str) else name
        out += ext(etype, body)
    return out


def client_hello_body(exts, suites, version=0x0303, random=None, session_id=None,
                      compression=b"\x00", raw_extensions=None):
    random = os.urandom(32) if random is None else random
    session_id = os.urandom(32) if session_id is None else session_id
    extensions = encode_extensions(exts) if raw_extensions is None else raw_extensions
    body = u16(version) + random + vec8(session_id) + u16_list(suites) + vec8(compression)
    if extensions is not False:
        body += vec16(extensions)
    return body


def parse_extensions(data):
    out, i = {}, 0
    while i + 4 <= len(data):
        etype, length = struct.unpack(">HH", data[i:i + 4])
        out[etype] = data[i + 4:i + 4 + length]
        i += 4 + length
    return out


def parse_server_hello(body):
    version = body[0:2]
    random = body[2:34]
    sid_len = body[34]
    session_id = body[35:35 + sid_len]
    i = 35 + sid_len
    suite = struct.unpack(">H", body[i:i + 2])[0]
    compression = body[i + 2]
    exts = parse_extensions(body[i + 5:]) if len(body) > i + 3 else {}
    return dict(version=version, random=random, session_id=session_id, suite=suite,
                compression=compression, exts=exts)


HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")


# ------------------------------------------------------------------------------ TLS 1.3 client

class Client13:
    """A scripted TLS 1.3 client (TLS_AES_128_GCM_SHA256, X25519)."""

    hash_name = "sha256"

    def __init__(self, addr):
        self.c = Conn(addr)
        self.c.tls13 = True
        self.c.owner = self
        self.share = X25519Key()
        self.transcript = b""
        self.server_hello = None

    def send_hello(self, exts=None, suites=(TLS_AES_128_GCM_SHA256,), body=None, **kw):
        if body is None:
            exts = default_extensions13(self.share) if exts is None else exts
            body = client_hello_body(exts, list(suites), **kw)
        msg = handshake(CLIENT_HELLO, body)
        self.ch_body = body
        self.transcript += msg
        self.c.send_record(HANDSHAKE, msg, version=0x0301)
        return msg

    def read_server_hello(self):
        htype, body, raw = self.c.read_handshake()
        if htype != SERVER_HELLO:
            raise ProbeError("handshake type %d instead of ServerHello" % htype)
        sh = parse_server_hello(body)
        self.server_hello = sh
        if sh["random"] == HRR_RANDOM:
            # The transcript restarts with message_hash(ClientHello1).
            digest = hashlib.new(self.hash_name, self.transcript).digest()
            self.transcript = handshake(254, digest) + raw
            sh["hrr"] = True
            return sh
        sh["hrr"] = False
        self.transcript += raw
        return sh

    def start_encryption(self):
        sh = self.server_hello
        ks = sh["exts"].get(EXT["key_share"])
        if ks is None or len(ks) < 4:
            raise ProbeError("ServerHello without a key share")
        group, length = struct.unpack(">HH", ks[:4])
        if group != X25519:
            raise ProbeError("ServerHello key share for group %d" % group)
        shared = self.share.shared(ks[4:4 + length])
        h = self.hash_name
        zeros = bytes(32)
        early = hkdf_extract(h, zeros, zeros)
        derived = derive_secret(h, early, b"derived", b"")
        self.hs_secret = hkdf_extract(h, derived, shared)
        self.c_hs = derive_secret(h, self.hs_secret, b"c hs traffic", self.transcript)
        self.s_hs = derive_secret(h, self.hs_secret, b"s hs traffic", self.transcript)
        self.c.read_cipher = self.cipher(self.s_hs)

    def cipher(self, secret):
        key = hkdf_expand_label(self.hash_name, secret, b"key", b"", 16)
        iv = hkdf_expand_label(self.hash_name, secret, b"iv", b"", 12)
        return Gcm(key, iv, True)

    def read_server_flight(self):
        """EncryptedExtensions .. Finished; derives the application secrets."""
        self.server_messages = []
        while True:
            htype, body, raw = self.c.read_handshake()
            self.server_messages.append((htype, body))
            self.transcript += raw
            if htype == FINISHED:
                break
        h = self.hash_name
        derived = derive_secret(h, self.hs_secret, b"derived", b"")
        self.master = hkdf_extract(h, derived, bytes(32))
        self.c_ap = derive_secret(h, self.master, b"c ap traffic", self.transcript)
        self.s_ap = derive_secret(h, self.master, b"s ap traffic", self.transcript)
        self.c.read_cipher = self.cipher(self.s_ap)

    def finished_data(self):
        key = hkdf_expand_label(self.hash_name, self.c_hs, b"finished", b"", 32)
        return hmac.new(key, hashlib.new(self.hash_name, self.transcript).digest(),
                        self.hash_name).digest()

    def handshake_to_finished(self, exts=None, **kw):
        """Hello, ServerHello, server flight; after this the client's handshake keys are on."""
        self.send_hello(exts, **kw)
        sh = self.read_server_hello()
        if sh["hrr"]:
            raise ProbeError("unexpected HelloRetryRequest")
        self.start_encryption()
        self.read_server_flight()
        self.c.write_cipher = self.cipher(self.c_hs)

    def send_finished(self, verify=None):
        verify = self.finished_data() if verify is None else verify
        msg = handshake(FINISHED, verify)
        self.c.send_record(HANDSHAKE, msg)
        self.c.write_cipher = self.cipher(self.c_ap)

    def full(self, exts=None, **kw):
        self.handshake_to_finished(exts, **kw)
        self.send_finished()

    def update_read(self):
        self.s_ap = hkdf_expand_label(self.hash_name, self.s_ap, b"traffic upd", b"", 32)
        self.c.read_cipher = self.cipher(self.s_ap)

    def update_write(self):
        self.c_ap = hkdf_expand_label(self.hash_name, self.c_ap, b"traffic upd", b"", 32)
        self.c.write_cipher = self.cipher(self.c_ap)

    def echo(self, data=b"ping\n"):
        """Sends data and expects it back (the server's echo mode): success."""
        self.c.send_record(APPDATA, data)
        got = self.c.read_app(len(data))
        return OK if got == data else Outcome("mismatch", note="echo differs")


# ------------------------------------------------------------------------------ TLS 1.2 client

class Client12:
    """A scripted TLS 1.2 client: ECDHE (X25519) or RSA key exchange, AES-128-GCM (or
    AES-128-CBC-SHA), with or without the extended master secret."""

    def __init__(self, addr):
        self.c = Conn(addr)
        self.transcript = b""
        self.share = X25519Key()
        self.cert = None
        self.ticket = None
        self.etm = False

    def send_hello(self, exts=None, suites=(ECDHE_RSA_AES128_GCM, ECDHE_ECDSA_AES128_GCM),
                   body=None, record_version=0x0301, **kw):
        if body is None:
            exts = default_extensions12() if exts is None else exts
            body = client_hello_body(exts, list(suites), **kw)
        self.client_random = body[2:34]
        msg = handshake(CLIENT_HELLO, body)
        self.transcript += msg
        self.c.send_record(HANDSHAKE, msg, version=record_version)
        return msg

    def read_server_flight(self):
        """ServerHello .. ServerHelloDone (or .. Finished on resumption: returns 'resumed')."""
        htype, body, raw = self.c.read_handshake()
        if htype != SERVER_HELLO:
            raise ProbeError("handshake type %d instead of ServerHello" % htype)
        self.transcript += raw
        sh = parse_server_hello(body)
        self.server_hello = sh
        self.server_random = sh["random"]
        self.suite = sh["suite"]
        self.ems = EXT["extended_master_secret"] in sh["exts"]
        self.etm = EXT["encrypt_then_mac"] in sh["exts"]
        self.ske = None
        while True:
            htype, body, raw = self.c.read_handshake()
            if htype == FINISHED:
                self.server_finished_raw = raw
                return "resumed"
            self.transcript += raw
            if htype == CERTIFICATE:
                certs = body[3:]
                first_len = int.from_bytes(certs[:3], "big")
                self.cert = X509()
                self.cert.parseBinary(bytearray(certs[3:3 + first_len]))
            elif htype == SERVER_KEY_EXCHANGE:
                self.ske = body
            elif htype == SERVER_HELLO_DONE:
                return "full"

    def rsa_encrypt_raw(self, padded):
        key = self.cert.publicKey
        n, e = int(key.n), int(key.e)
        size = (n.bit_length() + 7) // 8
        m = int.from_bytes(padded, "big")
        return pow(m, e, n).to_bytes(size, "big")

    def modulus_size(self):
        return (int(self.cert.publicKey.n).bit_length() + 7) // 8

    def pkcs1_pms(self, pms):
        size = self.modulus_size()
        pad_len = size - 3 - len(pms)
        padding = bytes((b % 255) + 1 for b in os.urandom(pad_len))
        return b"\x00\x02" + padding + b"\x00" + pms

    def key_exchange(self):
        """ClientKeyExchange body and pre-master secret for the negotiated suite."""
        if self.suite in (RSA_AES128_GCM,):
            pms = b"\x03\x03" + os.urandom(46)
            return vec16(self.rsa_encrypt_raw(self.pkcs1_pms(pms))), pms
        ske = self.ske
        curve_type, group, plen = ske[0], struct.unpack(">H", ske[1:3])[0], ske[3]
        peer = ske[4:4 + plen]
        if curve_type != 3 or group not in (X25519, SECP256R1):
            raise ProbeError("ServerKeyExchange for group %d" % group)
        self.group = group
        if group == SECP256R1:
            self.share = P256Key()
        return vec8(self.share.public), self.share.shared(peer)

    def derive(self, pms):
        if self.ems:
            session_hash = hashlib.sha256(self.transcript).digest()
            self.master = prf12(pms, b"extended master secret", session_hash, 48)
        else:
            self.master = prf12(pms, b"master secret", self.client_random + self.server_random, 48)
        self.install_keys()

    def install_keys(self):
        seed = self.server_random + self.client_random
        if self.suite == ECDHE_RSA_AES128_CBC_SHA:
            kb = prf12(self.master, b"key expansion", seed, 2 * 20 + 2 * 16)
            cmac, smac, ckey, skey = kb[:20], kb[20:40], kb[40:56], kb[56:72]
            self.pending_write = CbcSha(ckey, cmac, self.etm)
            self.pending_read = CbcSha(skey, smac, self.etm)
        else:
            kb = prf12(self.master, b"key expansion", seed, 2 * 16 + 2 * 4)
            ckey, skey, civ, siv = kb[:16], kb[16:32], kb[32:36], kb[36:40]
            self.pending_write, self.pending_read = Gcm(ckey, civ, False), Gcm(skey, siv, False)

    def finished_data(self, label=b"client finished"):
        return prf12(self.master, label, hashlib.sha256(self.transcript).digest(), 12)

    def send_key_exchange(self, cke_body=None, pms=None):
        body, real_pms = self.key_exchange()
        if cke_body is not None:
            body = cke_body
        msg = handshake(CLIENT_KEY_EXCHANGE, body)
        self.c.send_record(HANDSHAKE, msg)
        self.transcript += msg
        self.derive(real_pms if pms is None else pms)
        return msg

    def send_ccs(self):
        self.c.send_record(CCS, b"\x01")
        self.c.write_cipher = self.pending_write

    def send_finished(self, verify=None):
        verify = self.finished_data() if verify is None else verify
        self.client_verify = verify
        msg = handshake(FINISHED, verify)
        self.c.send_record(HANDSHAKE, msg)
        self.transcript += msg

    def read_server_finish(self):
        """[NewSessionTicket] ChangeCipherSpec Finished of the server."""
        while True:
            ctype, body = self.c.read_record()
            if ctype == HANDSHAKE and body[0] == NEW_SESSION_TICKET:
                self.transcript += body
                self.ticket = body[4 + 4 + 2:]
                continue
            if ctype == CCS:
                self.c.read_cipher = self.pending_read
                break
            raise ProbeError("record type %d before the server's ChangeCipherSpec" % ctype)
        htype, body, raw = self.c.read_handshake()
        if htype != FINISHED:
            raise ProbeError("handshake type %d instead of Finished" % htype)
        self.transcript += raw

    def full(self, exts=None, **kw):
        self.send_hello(exts, **kw)
        self.read_server_flight()
        self.send_key_exchange()
        self.send_ccs()
        self.send_finished()
        self.read_server_finish()

    def echo(self, data=b"ping\n"):
        self.c.send_record(APPDATA, data)
        got = self.c.read_app(len(data))
        return OK if got == data else Outcome("mismatch", note="echo differs")
