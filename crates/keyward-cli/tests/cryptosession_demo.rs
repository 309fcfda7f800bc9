//! `keyward cryptosession demo` run as a user would, twice against one fresh `KEYWARD_HOME`:
//! the first run creates the device key and chain, the second reuses them; both succeed and
//! print the calls with their HRESULTs.

use std::process::Command;

fn run(home: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["cryptosession", "demo"])
        .env("KEYWARD_HOME", home)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn demo_runs_and_reuses_the_device_key() {
    let home = keyward_test_support::TempDir::new("cli-cryptosession");
    let first = run(&home);
    assert!(first.contains("creating an RSA-2048 device key"), "{first}");
    for line in [
        "NegotiateCryptoSessionKeyExchange(256 bytes) -> S_OK",
        "NegotiateCryptoSessionKeyExchange(256 bytes of garbage) -> 0x80070057 (E_INVALIDARG)",
        "CreateCryptoSession(D3DCRYPTOTYPE_PROPRIETARY) -> 0x8876087E (D3DDDIERR_UNSUPPORTEDCRYPTO)",
        "DecryptionBlt(D3D11_ENCRYPTED_BLOCK_INFO, content key) -> S_OK",
        "EncryptionBlt(protected surface -> staging) -> S_OK",
        "[check]  EncryptionBlt output decrypts to the frame",
        "FinishSessionKeyRefresh -> S_OK",
        "GetCertificateSize(destroyed session) -> 0x80070006 (E_HANDLE)",
        "FinishInitialization(wrong random number) -> 0x80070057 (E_INVALIDARG)",
        "GetInformation(the same request again) -> 0x80070005 (E_ACCESSDENIED)",
        "[check]  the HDCP level reads back as on",
    ] {
        assert!(first.contains(line), "missing {line:?} in:\n{first}");
    }
    let second = run(&home);
    assert!(second.contains("reusing the device key"), "{second}");
    // Same chain both times: the GetCertificate lines name the same size.
    let certificate_line = |text: &str| {
        text.lines()
            .find(|line| line.contains("GetCertificate("))
            .map(str::to_owned)
    };
    assert_eq!(certificate_line(&first), certificate_line(&second));
}
