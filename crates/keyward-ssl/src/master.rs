//! The TLS ≤ 1.2 master secret and everything derived from it: session keys, Finished,
//! CertificateVerify hashes, EAP key blocks and exporters.

use crate::hash::HandshakeHash;
use crate::isolation::{RemoteObject, SessionKeyMaterial};
use crate::params::Parameters;
use crate::protocol::Protocol;
use crate::record::CbcMode;
use crate::session::{Direction, SessionKey, SessionKeys, MAX_MATERIAL_LEN};
use crate::side::Side;
use crate::suites::CipherSuite;
use keyward_core::backend::tls_prf;
use keyward_core::{Error, Result, Secret, SecretVec};

/// Length of every TLS ≤ 1.2 master secret.
pub const MASTER_SECRET_LEN: usize = 48;
/// Length of TLS ≤ 1.2 `verify_data`.
pub const FINISHED_LEN: usize = 12;
/// Length of the `SslComputeEapKeyBlock` output.
pub const EAP_KEY_BLOCK_LEN: usize = 192;

/// A TLS ≤ 1.2 master secret (the "ssl5" object of Windows). The secret never leaves the
/// object except through a sealed opaque export.
///
/// A master key of an isolated provider ([`Provider::isolated`](crate::Provider::isolated))
/// is a handle to a secret the isolation service keeps: Finished, session keys and exporters
/// are computed there and the opaque export is sealed there; the EAP key block is
/// `NTE_NOT_SUPPORTED`.
pub struct MasterKey {
    protocol: Protocol,
    suite: &'static CipherSuite,
    side: Side,
    secret: MasterSecret,
}

enum MasterSecret {
    Local(Secret<MASTER_SECRET_LEN>),
    Remote(RemoteObject),
}

/// What an isolated master key answers to the operations that would hand out its secret.
const NOT_ISOLATED: Error =
    Error::NotSupported("the master secret of an isolated provider stays in its service");

impl MasterKey {
    /// Derives the master secret from a premaster secret (RFC 5246 §8.1, or RFC 7627 §4 when
    /// the parameters carry a session hash).
    pub(crate) fn derive(
        protocol: Protocol,
        suite: &'static CipherSuite,
        side: Side,
        premaster: &[u8],
        params: &Parameters<'_>,
    ) -> Result<Self> {
        let mut secret = Secret::<MASTER_SECRET_LEN>::zeroed();
        let prf = suite.prf(protocol);
        match params.session_hash {
            Some(session_hash) => tls_prf(
                prf,
                premaster,
                b"extended master secret",
                &[session_hash],
                secret.expose_mut(),
            )?,
            None => {
                let randoms = params.require_randoms()?;
                tls_prf(
                    prf,
                    premaster,
                    b"master secret",
                    &[randoms.client, randoms.server],
                    secret.expose_mut(),
                )?
            }
        }
        Ok(MasterKey {
            protocol,
            suite,
            side,
            secret: MasterSecret::Local(secret),
        })
    }

    /// A master key kept by an isolation service.
    pub(crate) fn remote(
        protocol: Protocol,
        suite: &'static CipherSuite,
        side: Side,
        object: RemoteObject,
    ) -> Self {
        MasterKey {
            protocol,
            suite,
            side,
            secret: MasterSecret::Remote(object),
        }
    }

    /// Rebuilds a master key from its parts (opaque import).
    pub(crate) fn from_parts(
        protocol: Protocol,
        suite: &'static CipherSuite,
        side: Side,
        secret: Secret<MASTER_SECRET_LEN>,
    ) -> Self {
        MasterKey {
            protocol,
            suite,
            side,
            secret: MasterSecret::Local(secret),
        }
    }

    /// The secret, for sealing into an opaque blob only; `NTE_NOT_SUPPORTED` for a key of an
    /// isolated provider.
    pub(crate) fn secret(&self) -> Result<&Secret<MASTER_SECRET_LEN>> {
        match &self.secret {
            MasterSecret::Local(secret) => Ok(secret),
            MasterSecret::Remote(_) => Err(NOT_ISOLATED),
        }
    }

    /// The service object when the key is kept by an isolation service.
    pub(crate) fn remote_object(&self) -> Option<&RemoteObject> {
        match &self.secret {
            MasterSecret::Remote(object) => Some(object),
            MasterSecret::Local(_) => None,
        }
    }

    /// The protocol the key was made for.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The suite the key was made for.
    pub fn suite(&self) -> &'static CipherSuite {
        self.suite
    }

    /// The side that owns the key (decides the direction of session keys).
    pub fn side(&self) -> Side {
        self.side
    }

    fn prf(&self, label: &[u8], seed: &[&[u8]], out: &mut [u8]) -> Result<()> {
        tls_prf(
            self.suite.prf(self.protocol),
            self.secret()?.expose(),
            label,
            seed,
            out,
        )
    }

    /// Derives the read and write keys of the connection (`SslGenerateSessionKeys`).
    ///
    /// `key_block = PRF(master, "key expansion", server_random ‖ client_random)`, partitioned as
    /// RFC 5246 §6.3: client MAC key, server MAC key, client key, server key, client IV, server IV.
    /// The client writes with the client half; the server with the server half.
    ///
    /// With [`Parameters::encrypt_then_mac`] (keyward's
    /// `NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`, no Windows equivalent) the keys of a CBC suite
    /// protect records encrypt-then-MAC (RFC 7366); for an AEAD suite it is
    /// `NTE_INVALID_PARAMETER`.
    pub fn generate_session_keys(&self, params: &Parameters<'_>) -> Result<SessionKeys> {
        let randoms = params.require_randoms()?;
        let cbc_mode = self.cbc_mode(params)?;
        if let Some(object) = self.remote_object() {
            let material = object
                .service
                .generate_session_key_material(object.handle, params)?;
            return self.session_keys_from(cbc_mode, &material);
        }
        let mac_len = self.suite.mac.key_len();
        let key_len = self.suite.cipher.key_len();
        let iv_len = self.suite.cipher.fixed_iv_len(self.protocol);
        let mut block = Secret::<{ 2 * MAX_MATERIAL_LEN }>::zeroed();
        let material = block
            .expose_mut()
            .get_mut(..2 * (mac_len + key_len + iv_len))
            .ok_or(Error::Internal("key block too long"))?;
        self.prf(
            b"key expansion",
            &[randoms.server, randoms.client],
            material,
        )?;
        let material = &*material;
        let (client_mac, rest) = material.split_at(mac_len);
        let (server_mac, rest) = rest.split_at(mac_len);
        let (client_key, rest) = rest.split_at(key_len);
        let (server_key, rest) = rest.split_at(key_len);
        let (client_iv, server_iv) = rest.split_at(iv_len);
        let client = KeyMaterial {
            mac_key: client_mac,
            enc_key: client_key,
            iv: client_iv,
        };
        let server = KeyMaterial {
            mac_key: server_mac,
            enc_key: server_key,
            iv: server_iv,
        };
        let (write, read) = match self.side {
            Side::Client => (client, server),
            Side::Server => (server, client),
        };
        Ok(SessionKeys {
            read: self.session_key(Direction::Read, cbc_mode, &read)?,
            write: self.session_key(Direction::Write, cbc_mode, &write)?,
        })
    }

    /// [`MasterKey::generate_session_keys`] and [`MasterKey::compute_finished_hash`] of
    /// `sender`'s Finished over `transcript`, in one step: once the ClientKeyExchange is in
    /// the transcript, a server has both its session keys and the client Finished it expects.
    /// On an isolated provider this is one round trip to its service rather than two (a
    /// keyward extension).
    pub fn generate_session_keys_with_finished(
        &self,
        params: &Parameters<'_>,
        transcript: &HandshakeHash,
        sender: Side,
    ) -> Result<(SessionKeys, [u8; FINISHED_LEN])> {
        if let Some(object) = self.remote_object() {
            params.require_randoms()?;
            let cbc_mode = self.cbc_mode(params)?;
            let (material, finished) = object.service.generate_session_key_material_with_finished(
                object.handle,
                params,
                &transcript.current_digest(),
                sender,
            )?;
            return Ok((self.session_keys_from(cbc_mode, &material)?, finished));
        }
        let keys = self.generate_session_keys(params)?;
        Ok((keys, self.compute_finished_hash(transcript, sender)?))
    }

    /// The record protection of `params`: encrypt-then-MAC (CBC suites only) or not.
    pub(crate) fn cbc_mode(&self, params: &Parameters<'_>) -> Result<CbcMode> {
        if !params.encrypt_then_mac {
            return Ok(CbcMode::MacThenEncrypt);
        }
        if self.suite.cipher.is_aead() {
            return Err(Error::InvalidParameter(
                "encrypt-then-MAC needs a CBC cipher suite",
            ));
        }
        Ok(CbcMode::EncryptThenMac)
    }

    /// The session keys of key material a service derived from this key.
    pub(crate) fn session_keys_from(
        &self,
        cbc_mode: CbcMode,
        material: &SessionKeyMaterial,
    ) -> Result<SessionKeys> {
        let key = |direction, material: &SecretVec| {
            SessionKey::from_key_material(
                self.protocol,
                self.suite,
                direction,
                cbc_mode,
                material.expose(),
            )
        };
        Ok(SessionKeys {
            read: key(Direction::Read, &material.read)?,
            write: key(Direction::Write, &material.write)?,
        })
    }

    fn session_key(
        &self,
        direction: Direction,
        cbc_mode: CbcMode,
        material: &KeyMaterial<'_>,
    ) -> Result<SessionKey> {
        SessionKey::new(
            self.protocol,
            self.suite,
            direction,
            cbc_mode,
            material.mac_key,
            material.enc_key,
            material.iv,
        )
    }

    /// Computes TLS ≤ 1.2 `verify_data` for the Finished message sent by `sender`
    /// (`SslComputeFinishedHash`): `PRF(master, "client finished" | "server finished",
    /// transcript hash)[..12]`. The transcript is read without being finalised.
    pub fn compute_finished_hash(
        &self,
        transcript: &HandshakeHash,
        sender: Side,
    ) -> Result<[u8; FINISHED_LEN]> {
        if self.remote_object().is_some() {
            return self.compute_finished_for_digest(&transcript.current_digest(), sender);
        }
        let label: &[u8] = match sender {
            Side::Client => b"client finished",
            Side::Server => b"server finished",
        };
        let mut out = [0u8; FINISHED_LEN];
        self.prf(label, &[&transcript.current_digest()], &mut out)?;
        Ok(out)
    }

    /// [`MasterKey::compute_finished_hash`] over a transcript digest the caller computed (a
    /// keyward extension for key isolation: the process that holds the transcript sends its
    /// hash value to the daemon that holds the master secret). The digest must have the length
    /// of the suite's PRF hash (36 bytes, MD5 ‖ SHA-1, before TLS 1.2), else
    /// `NTE_INVALID_PARAMETER`.
    pub fn compute_finished_for_digest(
        &self,
        transcript_digest: &[u8],
        sender: Side,
    ) -> Result<[u8; FINISHED_LEN]> {
        let expected_len = self
            .suite
            .prf(self.protocol)
            .hash_algorithm()
            .map_or(36, |hash| hash.output_len());
        if transcript_digest.len() != expected_len {
            return Err(Error::InvalidParameter("transcript digest of another hash"));
        }
        if let Some(object) = self.remote_object() {
            return object
                .service
                .compute_finished(object.handle, transcript_digest, sender);
        }
        let label: &[u8] = match sender {
            Side::Client => b"client finished",
            Side::Server => b"server finished",
        };
        let mut out = [0u8; FINISHED_LEN];
        self.prf(label, &[transcript_digest], &mut out)?;
        Ok(out)
    }

    /// The digest a CertificateVerify signs (`SslComputeClientAuthHash`).
    ///
    /// TLS 1.2: the digest of `transcript`, a hash made by `SslCreateClientAuthHash` with the
    /// signature's hash algorithm. Before TLS 1.2: MD5 ‖ SHA-1 (36 bytes) for `algorithm` "RSA",
    /// SHA-1 (20 bytes) for "ECDSA" and "DSA" (RFC 4346 §7.4.8, RFC 4492 §5.8).
    pub fn compute_client_auth_hash(
        &self,
        transcript: &HandshakeHash,
        algorithm: &str,
    ) -> Result<Vec<u8>> {
        if !self.protocol.uses_md5_sha1() {
            return Ok(transcript.current_digest());
        }
        match algorithm {
            "RSA" => Ok(transcript.current_digest()),
            "ECDSA" | "DSA" => Ok(transcript.current_sha1_or_single()),
            _ => Err(Error::NotSupported("client-auth algorithm")),
        }
    }

    /// The EAP key block (`SslComputeEapKeyBlock`): 128 bytes of key material followed by 64
    /// bytes of IV material, for the EAP method `eap_id` (0 EAP-TLS, 1 EAP-TTLSv0, 2 EAP-TTLSv0
    /// challenge, 3 EAP-FAST). `randoms` is `client_random ‖ server_random`.
    ///
    /// Labels: "client EAP encryption" (RFC 5216 §2.3), "ttls keying material" (RFC 5281 §8),
    /// "ttls challenge" (RFC 5281 §11.2.2), and "key expansion" with the randoms swapped for
    /// EAP-FAST (RFC 4851 §5.1). Only EAP-TLS defines IV material: `PRF("", "client EAP
    /// encryption", randoms)` (RFC 2716 §3.5); the others leave it zero.
    pub fn compute_eap_key_block(&self, randoms: &[u8; 64], eap_id: u8) -> Result<SecretVec> {
        let (client_random, server_random) = randoms.split_at(32);
        let (label, seed): (&[u8], [&[u8]; 2]) = match eap_id {
            0 => (b"client EAP encryption", [client_random, server_random]),
            1 => (b"ttls keying material", [client_random, server_random]),
            2 => (b"ttls challenge", [client_random, server_random]),
            3 => (b"key expansion", [server_random, client_random]),
            _ => return Err(Error::BadFlags),
        };
        if let Some(object) = self.remote_object() {
            return object
                .service
                .compute_eap_key_block(object.handle, randoms, eap_id);
        }
        let mut out = SecretVec::zeroed(EAP_KEY_BLOCK_LEN);
        let (keys, ivs) = out.expose_mut().split_at_mut(128);
        self.prf(label, &seed, keys)?;
        if eap_id == 0 {
            tls_prf(self.suite.prf(self.protocol), &[], label, &seed, ivs)?;
        }
        Ok(out)
    }

    /// RFC 5705 keying-material exporter (`SslExportKeyingMaterial`):
    /// `PRF(master, label, client_random ‖ server_random [‖ uint16(len) ‖ context])`.
    /// A context of `Some(&[])` still adds its two length bytes; `None` adds nothing.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        randoms: &[u8; 64],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<()> {
        if let Some(object) = self.remote_object() {
            if let Some(context) = context {
                u16::try_from(context.len())
                    .map_err(|_| Error::InvalidParameter("context longer than 65535 bytes"))?;
            }
            let material = object.service.export_keying_material(
                object.handle,
                label,
                context,
                Some(randoms),
                out.len(),
            )?;
            if material.len() != out.len() {
                return Err(Error::BadData("keying material of another length"));
            }
            out.copy_from_slice(material.expose());
            return Ok(());
        }
        match context {
            None => self.prf(label, &[randoms], out),
            Some(context) => {
                let len = u16::try_from(context.len())
                    .map_err(|_| Error::InvalidParameter("context longer than 65535 bytes"))?;
                self.prf(label, &[randoms, &len.to_be_bytes(), context], out)
            }
        }
    }
}

struct KeyMaterial<'a> {
    mac_key: &'a [u8],
    enc_key: &'a [u8],
    iv: &'a [u8],
}
