//! `keyward demo`: two in-process providers, a client and a server, run the key exchange of a
//! TLS 1.2 handshake through the provider API, once with ECDHE and once with RSA key
//! exchange. Each provider call is printed with its result, so a newcomer sees the flow.

use keyward_core::backend::Curve;
use keyward_core::backend::{fill_random, hash, HashAlgorithm};
use keyward_core::store::{KeyKind, KeyStore};
use keyward_core::{Error, Result};
use keyward_ssl::keys::PublicBlobType;
use keyward_ssl::{
    CipherSuite, Group, HandshakeHash, MasterKey, Parameters, PrivateKey, Protocol, Provider,
    SessionKeys, Side, SignaturePadding,
};

const TLS1_2: Protocol = Protocol::Tls12;
const ECDHE_SUITE: u16 = 0xC02F; // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
const RSA_SUITE: u16 = 0x003C; // TLS_RSA_WITH_AES_128_CBC_SHA256
const X25519: Group = Group::Ec(Curve::X25519);

/// The table entry of a suite the demo uses.
fn suite(id: u16) -> Result<&'static CipherSuite> {
    CipherSuite::from_id(id).ok_or(Error::NotSupported("demo cipher suite"))
}
const DEMO_KEY: &str = "keyward-demo-rsa";

/// Prints one provider call and passes its result through.
fn call<T>(who: &str, what: &str, result: Result<T>) -> Result<T> {
    match &result {
        Ok(_) => println!("  [{who}] {what} -> ERROR_SUCCESS"),
        Err(err) => println!("  [{who}] {what} -> {}", err.status()),
    }
    result
}

/// Runs both exchanges.
pub fn run() -> Result<()> {
    let store = KeyStore::open_default()?;
    let stored = match store.get(DEMO_KEY) {
        Ok(stored) => stored,
        Err(Error::NotFound) => {
            println!(
                "creating a self-signed RSA-2048 demo key in {}",
                store.dir().display()
            );
            store.generate_self_signed(DEMO_KEY, KeyKind::Rsa { bits: 2048 }, &["localhost"])?
        }
        Err(err) => return Err(err),
    };
    println!("key store: {}", store.dir().display());
    let certificate = stored.certificate().to_vec();
    let server = call(
        "server",
        "SslOpenProvider(MS_SCHANNEL_PROVIDER)",
        Provider::open(None),
    )?;
    let client = call(
        "client",
        "SslOpenProvider(MS_SCHANNEL_PROVIDER)",
        Provider::open(None),
    )?;
    let server_key = call(
        "server",
        "SslOpenPrivateKey(certificate)",
        server.open_private_key(&certificate),
    )?;

    println!("\nTLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, x25519, extended master secret");
    ecdhe(&client, &server, &server_key)?;
    println!("ECDHE: client and server agree");

    println!("\nTLS 1.2, TLS_RSA_WITH_AES_128_CBC_SHA256 (RSA key exchange)");
    rsa(&client, &server, &server_key)?;
    println!("RSA: client and server agree");
    Ok(())
}

/// Fresh hello randoms, and stand-ins for the hello messages the transcripts start with.
fn hellos() -> Result<([u8; 32], [u8; 32], Vec<u8>)> {
    let mut client_random = [0u8; 32];
    let mut server_random = [0u8; 32];
    fill_random(&mut client_random)?;
    fill_random(&mut server_random)?;
    let hello = [
        b"ClientHello".as_slice(),
        &client_random,
        b"ServerHello",
        &server_random,
    ]
    .concat();
    Ok((client_random, server_random, hello))
}

fn ecdhe(client: &Provider, server: &Provider, server_key: &PrivateKey) -> Result<()> {
    let (client_random, server_random, hello) = hellos()?;
    let mut client_hash = call(
        "client",
        "SslCreateHandshakeHash(TLS1_2, suite)",
        client.create_handshake_hash(TLS1_2, suite(ECDHE_SUITE)?),
    )?;
    let mut server_hash = call(
        "server",
        "SslCreateHandshakeHash(TLS1_2, suite)",
        server.create_handshake_hash(TLS1_2, suite(ECDHE_SUITE)?),
    )?;
    client_hash.update(&hello);
    server_hash.update(&hello);
    println!("  [both]   SslHashHandshake(ClientHello, ServerHello, Certificate)");

    let server_share = call(
        "server",
        "SslCreateEphemeralKey(TLS1_2, suite, x25519)",
        server.create_ephemeral_key(TLS1_2, suite(ECDHE_SUITE)?, X25519),
    )?;
    let share_blob = call(
        "server",
        "SslExportKey(ephemeral, BCRYPT_ECCPUBLIC_BLOB)",
        server_share.public_key().export(PublicBlobType::Ecc),
    )?;
    let signed = [client_random.as_slice(), &server_random, &share_blob].concat();
    let digest = hash(HashAlgorithm::Sha256, &signed).to_vec();
    let signature = call(
        "server",
        "SslSignHash(key, SHA-256 of ServerKeyExchange params, INCLUDE_HASHOID)",
        server_key.sign_hash(&digest, SignaturePadding::Pkcs1(HashAlgorithm::Sha256)),
    )?;
    let server_rsa_blob = server_key.public_key().export(PublicBlobType::Rsa)?;
    let server_public = call(
        "client",
        "SslImportKey(BCRYPT_RSAPUBLIC_BLOB from the certificate)",
        client.import_public_key(PublicBlobType::Rsa, &server_rsa_blob),
    )?;
    call(
        "client",
        "SslVerifySignature(server key, ServerKeyExchange)",
        server_public.verify_signature(
            &digest,
            &signature,
            SignaturePadding::Pkcs1(HashAlgorithm::Sha256),
        ),
    )?;
    let server_share_at_client = call(
        "client",
        "SslImportKey(BCRYPT_ECCPUBLIC_BLOB of the server's share)",
        client.import_public_key(PublicBlobType::Ecc, &share_blob),
    )?;
    let client_share = call(
        "client",
        "SslCreateEphemeralKey(TLS1_2, suite, x25519)",
        client.create_ephemeral_key(TLS1_2, suite(ECDHE_SUITE)?, X25519),
    )?;
    let client_share_blob = call(
        "client",
        "SslExportKey(ephemeral, BCRYPT_ECCPUBLIC_BLOB)",
        client_share.public_key().export(PublicBlobType::Ecc),
    )?;
    let client_share_at_server = call(
        "server",
        "SslImportKey(BCRYPT_ECCPUBLIC_BLOB of the client's share)",
        server.import_public_key(PublicBlobType::Ecc, &client_share_blob),
    )?;
    let key_exchange = [b"ClientKeyExchange".as_slice(), &client_share_blob].concat();
    client_hash.update(&key_exchange);
    server_hash.update(&key_exchange);

    let session_hash = call(
        "client",
        "SslComputeSessionHash(handshake hash)",
        Ok(client_hash.current_digest()),
    )?;
    let client_master = call(
        "client",
        "SslGenerateMasterKey(ephemeral, server share, {SESSION_HASH}, CLIENT)",
        client.generate_master_key(
            &client_share,
            &server_share_at_client,
            TLS1_2,
            suite(ECDHE_SUITE)?,
            &Parameters::with_session_hash(&session_hash),
            Side::Client,
        ),
    )?;
    let server_session_hash = server_hash.current_digest();
    let server_master = call(
        "server",
        "SslGenerateMasterKey(ephemeral, client share, {SESSION_HASH}, SERVER)",
        server.generate_master_key(
            &server_share,
            &client_share_at_server,
            TLS1_2,
            suite(ECDHE_SUITE)?,
            &Parameters::with_session_hash(&server_session_hash),
            Side::Server,
        ),
    )?;
    finish(
        &client_master,
        &server_master,
        &mut client_hash,
        &mut server_hash,
        &client_random,
        &server_random,
    )
}

fn rsa(client: &Provider, server: &Provider, server_key: &PrivateKey) -> Result<()> {
    let (client_random, server_random, hello) = hellos()?;
    let mut client_hash = client.create_handshake_hash(TLS1_2, suite(RSA_SUITE)?)?;
    let mut server_hash = server.create_handshake_hash(TLS1_2, suite(RSA_SUITE)?)?;
    println!("  [both]   SslCreateHandshakeHash, SslHashHandshake(hellos, Certificate)");
    client_hash.update(&hello);
    server_hash.update(&hello);

    let server_rsa_blob = server_key.public_key().export(PublicBlobType::Rsa)?;
    let server_public = call(
        "client",
        "SslImportKey(BCRYPT_RSAPUBLIC_BLOB from the certificate)",
        client.import_public_key(PublicBlobType::Rsa, &server_rsa_blob),
    )?;
    let params = Parameters::with_randoms(&client_random, &server_random)
        .highest_version(TLS1_2.wire_version());
    let (client_master, encrypted_premaster) = call(
        "client",
        "SslGenerateMasterKey(NULL, server key, {randoms, HIGHEST_VERSION}, CLIENT)",
        client.generate_master_key_rsa(&server_public, TLS1_2, suite(RSA_SUITE)?, &params),
    )?;
    println!(
        "  [client] ClientKeyExchange carries {} encrypted premaster bytes",
        encrypted_premaster.len()
    );
    let server_master = call(
        "server",
        "SslImportMasterKey(key, {randoms, HIGHEST_VERSION}, encrypted premaster)",
        server.import_master_key(
            server_key,
            TLS1_2,
            suite(RSA_SUITE)?,
            &params,
            &encrypted_premaster,
        ),
    )?;
    let key_exchange = [b"ClientKeyExchange".as_slice(), &encrypted_premaster].concat();
    client_hash.update(&key_exchange);
    server_hash.update(&key_exchange);
    finish(
        &client_master,
        &server_master,
        &mut client_hash,
        &mut server_hash,
        &client_random,
        &server_random,
    )
}

/// One end of the demo connection after the key exchange.
struct Party<'a> {
    name: &'static str,
    master: &'a MasterKey,
    hash: &'a mut HandshakeHash,
}

/// The Finished message of `sender`: computed by the sender, checked by the receiver, then
/// added to both transcripts.
fn finished(sender: Side, from: &mut Party<'_>, to: &mut Party<'_>) -> Result<()> {
    let flag = match sender {
        Side::Client => "CLIENT",
        Side::Server => "SERVER",
    };
    let sent = call(
        from.name,
        &format!("SslComputeFinishedHash(master, hash, {flag})"),
        from.master.compute_finished_hash(from.hash, sender),
    )?;
    let expected = call(
        to.name,
        &format!("SslComputeFinishedHash(master, hash, {flag}) to check it"),
        to.master.compute_finished_hash(to.hash, sender),
    )?;
    agree(&format!("{} Finished", from.name), &sent, &expected)?;
    let message = [[20u8, 0, 0, 12].as_slice(), &sent].concat();
    from.hash.update(&message);
    to.hash.update(&message);
    Ok(())
}

/// Session keys, both Finished messages and one record each way.
fn finish(
    client_master: &MasterKey,
    server_master: &MasterKey,
    client_hash: &mut HandshakeHash,
    server_hash: &mut HandshakeHash,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<()> {
    let params = Parameters::with_randoms(client_random, server_random);
    let client_keys = call(
        "client",
        "SslGenerateSessionKeys(master, {randoms})",
        client_master.generate_session_keys(&params),
    )?;
    let server_keys = call(
        "server",
        "SslGenerateSessionKeys(master, {randoms})",
        server_master.generate_session_keys(&params),
    )?;
    let mut client = Party {
        name: "client",
        master: client_master,
        hash: client_hash,
    };
    let mut server = Party {
        name: "server",
        master: server_master,
        hash: server_hash,
    };
    finished(Side::Client, &mut client, &mut server)?;
    finished(Side::Server, &mut server, &mut client)?;
    record(
        "client",
        "server",
        &client_keys,
        &server_keys,
        b"GET / HTTP/1.1\r\n\r\n",
    )?;
    record(
        "server",
        "client",
        &server_keys,
        &client_keys,
        b"HTTP/1.1 200 OK\r\n\r\nhello",
    )
}

fn record(
    from: &str,
    to: &str,
    sender: &SessionKeys,
    receiver: &SessionKeys,
    message: &[u8],
) -> Result<()> {
    let mut wire = vec![0u8; sender.write.max_encrypted_len(message.len())];
    let len = call(
        from,
        "SslEncryptPacket(write key, application data, seq 0)",
        sender.write.encrypt_packet(message, &mut wire, 0, 23),
    )?;
    let mut plaintext = vec![0u8; len];
    let n = call(
        to,
        "SslDecryptPacket(read key, record, seq 0)",
        receiver
            .read
            .decrypt_packet(&wire[..len], &mut plaintext, 0),
    )?;
    agree("record", &plaintext[..n], message)?;
    println!(
        "  [{to}] read {:?}",
        String::from_utf8_lossy(&plaintext[..n])
    );
    Ok(())
}

fn agree(what: &str, ours: &[u8], theirs: &[u8]) -> Result<()> {
    if ours == theirs {
        println!("  {what}: both sides computed {}", hex::encode(ours));
        Ok(())
    } else {
        Err(Error::Internal("client and server disagree"))
    }
}
