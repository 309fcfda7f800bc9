//! Gives the shared library its soname, `libkeyward.so.MAJOR`, so programs linked against it
//! keep loading it across compatible updates (scripts/install-lib installs
//! `libkeyward.so.MAJOR.MINOR.PATCH` with the `libkeyward.so.MAJOR` and `libkeyward.so` links).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    // ELF platforms only: macOS uses install names and Windows DLL names instead.
    if family.split(',').any(|f| f == "unix") && os != "macos" && os != "ios" {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkeyward.so.{major}");
    }
}
