//! `keyward cryptosession demo`: a software video device and an application in one process
//! run the Direct3D 11 crypto-session key exchange, the blits and a key refresh, then the OPM
//! handshake with signed requests. Each driver call is printed with its `HRESULT`; every
//! round trip is checked, and a mismatch fails the demo. No key is ever printed.

use keyward_core::backend::aes::AesKey;
use keyward_core::backend::fill_random;
use keyward_core::store::KeyStore;
use keyward_core::Secret;
use keyward_cryptosession::credentials::DEVICE_KEY_NAME;
use keyward_cryptosession::guid::D3DCRYPTOTYPE_PROPRIETARY;
use keyward_cryptosession::opm::{
    OpmClient, OpmVideoOutput, SetProtectionLevelParameters, OPM_GET_CONNECTOR_TYPE,
    OPM_GET_VIRTUAL_PROTECTION_LEVEL, OPM_HDCP_ON, OPM_PROTECTION_TYPE_HDCP,
    OPM_SET_PROTECTION_LEVEL,
};
use keyward_cryptosession::{
    apply_ctr, chain, hresult, unwrap_key, wrap_key, AesCtrIv, CryptoSession, EncryptedBlockInfo,
    Error, Guid, KeyExchangePublicKey, Result, VideoDevice, D3D11_CRYPTO_TYPE_AES128_CTR,
    D3D11_KEY_EXCHANGE_RSAES_OAEP, SESSION_KEY_LEN,
};

/// A frame's worth of stand-in video data.
const FRAME_LEN: usize = 1000;

/// The HRESULT of a result, as `S_OK` or `0x80070057 (E_INVALIDARG)`.
fn describe<T>(result: &Result<T>) -> String {
    let value = match result {
        Ok(_) => hresult::S_OK,
        Err(err) => err.hresult(),
    };
    match hresult::name(value) {
        Some(name) if value == hresult::S_OK => name.to_owned(),
        Some(name) => format!("0x{:08X} ({name})", value as u32),
        None => format!("0x{:08X}", value as u32),
    }
}

/// Prints one call and passes its result through.
fn call<T>(who: &str, what: &str, result: Result<T>) -> Result<T> {
    println!(
        "  {:<8} {what} -> {}",
        format!("[{who}]"),
        describe(&result)
    );
    result
}

/// Prints a verified expectation, or fails the demo when it does not hold.
fn check(what: &'static str, ok: bool) -> Result<()> {
    if ok {
        println!("  [check]  {what}");
        Ok(())
    } else {
        Err(Error::Core(keyward_core::Error::Internal(what)))
    }
}

fn random_key() -> Result<Secret<SESSION_KEY_LEN>> {
    let mut key = Secret::<SESSION_KEY_LEN>::zeroed();
    fill_random(key.expose_mut())?;
    Ok(key)
}

fn frame() -> Vec<u8> {
    (0..FRAME_LEN).map(|i| (i % 251) as u8).collect()
}

/// Runs the demo.
pub fn run() -> Result<()> {
    let store = KeyStore::open_default()?;
    println!("key store: {}", store.dir().display());
    match store.get(DEVICE_KEY_NAME) {
        Ok(_) => println!("reusing the device key and certificate chain"),
        Err(_) => println!("creating an RSA-2048 device key and a keyward root CA (first use)"),
    }
    let device = VideoDevice::open(&store)?;

    println!("\nD3D11 crypto session: AES128-CTR, RSAES-OAEP key exchange");
    let caps = call(
        "device",
        "GetContentProtectionCaps(D3D11_CRYPTO_TYPE_AES128_CTR, no profile)",
        device.content_protection_caps(&D3D11_CRYPTO_TYPE_AES128_CTR, &Guid::NULL),
    )?;
    println!(
        "           Caps 0x{:X}, KeyExchangeTypeCount {}, BlockAlignmentSize {}",
        caps.caps, caps.key_exchange_type_count, caps.block_alignment_size
    );
    let exchange = call(
        "device",
        "CheckCryptoKeyExchange(AES128_CTR, 0)",
        device.check_crypto_key_exchange(&D3D11_CRYPTO_TYPE_AES128_CTR, &Guid::NULL, 0),
    )?;
    println!("           {exchange} (D3D11_KEY_EXCHANGE_RSAES_OAEP)");
    let refused = call(
        "device",
        "CreateCryptoSession(D3DCRYPTOTYPE_PROPRIETARY)",
        device.create_crypto_session(
            &D3DCRYPTOTYPE_PROPRIETARY,
            &Guid::NULL,
            &D3D11_KEY_EXCHANGE_RSAES_OAEP,
        ),
    );
    check("an unsupported crypto type is refused", refused.is_err())?;
    let session = call(
        "device",
        "CreateCryptoSession(AES128_CTR, NULL profile, RSAES_OAEP)",
        device.create_crypto_session(
            &D3D11_CRYPTO_TYPE_AES128_CTR,
            &Guid::NULL,
            &D3D11_KEY_EXCHANGE_RSAES_OAEP,
        ),
    )?;
    let size = call(
        "device",
        "GetCertificateSize",
        device.certificate_size(&session),
    )?;
    let mut certificate = vec![0u8; size];
    call(
        "device",
        &format!("GetCertificate({size} bytes)"),
        device.certificate(&session, &mut certificate),
    )?;
    let certificates = chain::split(&certificate)?;
    println!(
        "           X.509 chain of {} certificates (device leaf, keyward root)",
        certificates.len()
    );

    let leaf = call(
        "app",
        "verify the chain, take the leaf's RSA-2048 key",
        KeyExchangePublicKey::from_certificate_chain(&certificate),
    )?;
    let (session_key, blob) = call(
        "app",
        "new AES-128 session key, RSAES-OAEP(SHA-512, MGF1-SHA-512) -> 256 bytes",
        leaf.new_session_key(),
    )?;
    call(
        "device",
        "NegotiateCryptoSessionKeyExchange(256 bytes)",
        device.negotiate_key_exchange(&session, &blob),
    )?;
    let garbage = call(
        "device",
        "NegotiateCryptoSessionKeyExchange(256 bytes of garbage)",
        device.negotiate_key_exchange(&session, &[0x5a; 256]),
    );
    check("a garbage blob is refused; the key stays", garbage.is_err())?;

    decryption_blts(&device, &session, &session_key)?;
    encryption_blt(&device, &session, &session_key)?;
    let session_key = key_refresh(&device, &session, &session_key)?;
    decryption_blts(&device, &session, &session_key)?;
    call(
        "device",
        "DestroyCryptoSession",
        device.destroy_crypto_session(&session),
    )?;
    let destroyed = call(
        "device",
        "GetCertificateSize(destroyed session)",
        device.certificate_size(&session),
    );
    check("a destroyed session is refused", destroyed.is_err())?;

    println!("\nOPM: the same key and certificate chain");
    opm(&device)
}

/// DecryptionBlt of a whole frame under the session key, then of a partially encrypted frame
/// under a content key.
fn decryption_blts(
    device: &VideoDevice,
    session: &CryptoSession,
    session_key: &Secret<SESSION_KEY_LEN>,
) -> Result<()> {
    let plain = frame();
    let mut iv_bytes = [0u8; 8];
    fill_random(&mut iv_bytes)?;
    let iv = AesCtrIv {
        iv: u64::from_be_bytes(iv_bytes),
        count: 0,
    };
    let mut encrypted = plain.clone();
    apply_ctr(
        &AesKey::new(session_key.expose())?,
        &iv,
        None,
        &mut encrypted,
    )?;
    println!(
        "  [app]    AES-128-CTR under the session key, {FRAME_LEN} bytes, IV {:016x}",
        iv.iv
    );
    let mut out = vec![0u8; FRAME_LEN];
    call(
        "device",
        "DecryptionBlt(whole buffer, no content key)",
        device.decryption_blt(session, &encrypted, &mut out, None, None, &iv),
    )?;
    check("DecryptionBlt output equals the frame", out == plain)?;

    let content_key = random_key()?;
    let wrapped = wrap_key(session_key, &content_key)?;
    let pattern = EncryptedBlockInfo {
        num_encrypted_bytes_at_beginning: 64,
        num_bytes_in_skip_pattern: 144,
        num_bytes_in_encrypt_pattern: 16,
    };
    let next = iv.advanced(1 << 20);
    let mut partial = plain.clone();
    apply_ctr(
        &AesKey::new(content_key.expose())?,
        &next,
        Some(&pattern),
        &mut partial,
    )?;
    println!(
        "  [app]    content key wrapped with AES-ECB; pattern 64 encrypted, then 144 clear / 16 encrypted"
    );
    call(
        "device",
        "DecryptionBlt(D3D11_ENCRYPTED_BLOCK_INFO, content key)",
        device.decryption_blt(
            session,
            &partial,
            &mut out,
            Some(&pattern),
            Some(&wrapped),
            &next,
        ),
    )?;
    check(
        "partial DecryptionBlt output equals the frame",
        out == plain,
    )
}

/// GetEncryptionBltKey, then EncryptionBlt read back and decrypted by the application.
fn encryption_blt(
    device: &VideoDevice,
    session: &CryptoSession,
    session_key: &Secret<SESSION_KEY_LEN>,
) -> Result<()> {
    let mut wrapped = [0u8; SESSION_KEY_LEN];
    call(
        "device",
        "GetEncryptionBltKey(16 bytes)",
        device.encryption_blt_key(session, &mut wrapped),
    )?;
    let readback = unwrap_key(session_key, &wrapped)?;
    println!("  [app]    readback key unwrapped with AES-ECB under the session key");
    let plain = frame();
    let mut staging = vec![0u8; FRAME_LEN];
    let iv = call(
        "device",
        "EncryptionBlt(protected surface -> staging)",
        device.encryption_blt(session, &plain, &mut staging),
    )?;
    println!(
        "           D3D11_AES_CTR_IV {{ IV {:016x}, Count {} }}",
        iv.iv, iv.count
    );
    apply_ctr(&AesKey::new(readback.expose())?, &iv, None, &mut staging)?;
    check(
        "EncryptionBlt output decrypts to the frame",
        staging == plain,
    )
}

/// StartSessionKeyRefresh / FinishSessionKeyRefresh; returns the new key.
fn key_refresh(
    device: &VideoDevice,
    session: &CryptoSession,
    session_key: &Secret<SESSION_KEY_LEN>,
) -> Result<Secret<SESSION_KEY_LEN>> {
    let mut random = [0u8; SESSION_KEY_LEN];
    call(
        "device",
        "StartSessionKeyRefresh(16 bytes)",
        device.start_session_key_refresh(session, &mut random),
    )?;
    call(
        "device",
        "FinishSessionKeyRefresh",
        device.finish_session_key_refresh(session),
    )?;
    let mut new_key = Secret::<SESSION_KEY_LEN>::zeroed();
    for ((out, old), random) in new_key
        .expose_mut()
        .iter_mut()
        .zip(session_key.expose())
        .zip(&random)
    {
        *out = old ^ random;
    }
    println!("  [app]    new session key = old key XOR the random number");
    Ok(new_key)
}

/// The OPM handshake, two status requests and a command.
fn opm(device: &VideoDevice) -> Result<()> {
    let output = OpmVideoOutput::new(device.credentials().clone());
    let (random_number, certificate) = call(
        "output",
        "StartInitialization",
        output.start_initialization(),
    )?;
    let (mut client, encrypted) = call(
        "app",
        "signing key + sequence numbers, RSAES-OAEP -> 256 bytes",
        OpmClient::begin(&random_number, &certificate),
    )?;
    let mut wrong = random_number;
    wrong[0] ^= 1;
    let (_, wrong_parameters) = OpmClient::begin(&wrong, &certificate)?;
    let refused = call(
        "output",
        "FinishInitialization(wrong random number)",
        output.finish_initialization(&wrong_parameters),
    );
    check("a wrong random number is refused", refused.is_err())?;
    call(
        "output",
        "FinishInitialization",
        output.finish_initialization(&encrypted),
    )?;
    let connector = call(
        "output",
        "GetInformation(OPM_GET_CONNECTOR_TYPE), OMAC-signed",
        client.get_information(&output, OPM_GET_CONNECTOR_TYPE, &[]),
    )?;
    println!(
        "  [app]    response OMAC and random number checked; connector type {}",
        connector.information
    );
    let request = client.get_info_request(OPM_GET_CONNECTOR_TYPE, &[])?;
    let response = output.get_information(request.bytes())?;
    client.accept_information(&request, &response)?;
    let replay = call(
        "output",
        "GetInformation(the same request again)",
        output.get_information(request.bytes()),
    );
    check("a replayed sequence number is refused", replay.is_err())?;
    let hdcp_on = SetProtectionLevelParameters {
        protection_type: OPM_PROTECTION_TYPE_HDCP,
        protection_level: OPM_HDCP_ON,
        reserved: 0,
        reserved2: 0,
    };
    call(
        "output",
        "Configure(OPM_SET_PROTECTION_LEVEL, HDCP on)",
        client.configure(&output, OPM_SET_PROTECTION_LEVEL, &hdcp_on.to_bytes()),
    )?;
    let level = call(
        "output",
        "GetInformation(OPM_GET_VIRTUAL_PROTECTION_LEVEL, HDCP)",
        client.get_information(
            &output,
            OPM_GET_VIRTUAL_PROTECTION_LEVEL,
            &OPM_PROTECTION_TYPE_HDCP.to_le_bytes(),
        ),
    )?;
    check(
        "the HDCP level reads back as on",
        level.information == OPM_HDCP_ON,
    )
}
