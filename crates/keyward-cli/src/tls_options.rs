//! The TLS options shared by `keyward serve` and `keyward connect`: the protocol versions, the
//! cipher suites (OpenSSL or IANA names), the key-exchange groups, ALPN and the extended master
//! secret, parsed from the command line ([`TlsArgs`], flattened into both commands' clap
//! arguments) into a [`TlsOptions`] that configures a
//! [`ServerConfig`] or a [`ClientConfig`]. It also holds the one table that maps keyward's
//! cipher suites to OpenSSL's names, the group names, and the description of a negotiated
//! connection that both commands print.

use keyward_core::backend::{Curve, FfdheGroup};
use keyward_ssl::suites::CIPHER_SUITES;
use keyward_ssl::{CipherSuite, Group, KeyExchange};
use keyward_tls::{ClientConfig, ConnectionInfo, ExtendedMasterSecret, ServerConfig, Version};

/// OpenSSL's name of each suite keyward implements, by IANA number. TLS 1.3 suites have the
/// same name in both.
const OPENSSL_NAMES: &[(u16, &str)] = &[
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    (0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384"),
    (0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256"),
    (0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305"),
    (0xC030, "ECDHE-RSA-AES256-GCM-SHA384"),
    (0xC02F, "ECDHE-RSA-AES128-GCM-SHA256"),
    (0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305"),
    (0x009F, "DHE-RSA-AES256-GCM-SHA384"),
    (0x009E, "DHE-RSA-AES128-GCM-SHA256"),
    (0xCCAA, "DHE-RSA-CHACHA20-POLY1305"),
    (0xC024, "ECDHE-ECDSA-AES256-SHA384"),
    (0xC023, "ECDHE-ECDSA-AES128-SHA256"),
    (0xC028, "ECDHE-RSA-AES256-SHA384"),
    (0xC027, "ECDHE-RSA-AES128-SHA256"),
    (0x0067, "DHE-RSA-AES128-SHA256"),
    (0xC00A, "ECDHE-ECDSA-AES256-SHA"),
    (0xC009, "ECDHE-ECDSA-AES128-SHA"),
    (0xC014, "ECDHE-RSA-AES256-SHA"),
    (0xC013, "ECDHE-RSA-AES128-SHA"),
    (0x0039, "DHE-RSA-AES256-SHA"),
    (0x0033, "DHE-RSA-AES128-SHA"),
    (0x009D, "AES256-GCM-SHA384"),
    (0x009C, "AES128-GCM-SHA256"),
    (0x003C, "AES128-SHA256"),
    (0x0035, "AES256-SHA"),
    (0x002F, "AES128-SHA"),
];

/// Group names accepted by `--groups` (case-insensitive); the first name of each group is the
/// one printed.
const GROUP_NAMES: &[(Group, &[&str])] = &[
    (Group::Ec(Curve::X25519), &["x25519"]),
    (
        Group::Ec(Curve::P256),
        &["P-256", "secp256r1", "prime256v1"],
    ),
    (Group::Ec(Curve::P384), &["P-384", "secp384r1"]),
    (Group::Ec(Curve::P521), &["P-521", "secp521r1"]),
    (Group::Ffdhe(FfdheGroup::Ffdhe2048), &["ffdhe2048"]),
    (Group::Ffdhe(FfdheGroup::Ffdhe3072), &["ffdhe3072"]),
    (Group::Ffdhe(FfdheGroup::Ffdhe4096), &["ffdhe4096"]),
    (Group::Ffdhe(FfdheGroup::Ffdhe6144), &["ffdhe6144"]),
    (Group::Ffdhe(FfdheGroup::Ffdhe8192), &["ffdhe8192"]),
];

/// OpenSSL's name of `suite` (the IANA name if the table has none, which a test rules out).
pub fn openssl_name(suite: &CipherSuite) -> &'static str {
    OPENSSL_NAMES
        .iter()
        .find(|(id, _)| *id == suite.id)
        .map_or(suite.name, |(_, name)| name)
}

/// The suite called `name`: an OpenSSL or an IANA name, case-insensitive.
pub fn suite_by_name(name: &str) -> Result<&'static CipherSuite, String> {
    CIPHER_SUITES
        .iter()
        .find(|suite| {
            suite.name.eq_ignore_ascii_case(name) || openssl_name(suite).eq_ignore_ascii_case(name)
        })
        .ok_or_else(|| {
            format!(
                "unknown cipher suite {name:?} (keyward knows: {})",
                CIPHER_SUITES
                    .iter()
                    .map(openssl_name)
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
}

/// The group called `name` (see [`GROUP_NAMES`]), case-insensitive.
pub fn group_by_name(name: &str) -> Result<Group, String> {
    GROUP_NAMES
        .iter()
        .find(|(_, names)| names.iter().any(|known| known.eq_ignore_ascii_case(name)))
        .map(|(group, _)| *group)
        .ok_or_else(|| {
            format!(
                "unknown group {name:?} (keyward knows: {})",
                GROUP_NAMES
                    .iter()
                    .map(|(_, names)| names[0])
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
}

/// The printed name of `group`: x25519, P-256, P-384, P-521, ffdhe2048 …
pub fn group_name(group: Group) -> &'static str {
    GROUP_NAMES
        .iter()
        .find(|(known, _)| *known == group)
        .map_or("unknown", |(_, names)| names[0])
}

/// True when `suite` is for `version` (TLS 1.3 suites only for TLS 1.3, the others only for
/// TLS 1.2).
pub fn suite_is_for(suite: &CipherSuite, version: Version) -> bool {
    (suite.key_exchange == KeyExchange::Tls13) == (version == Version::Tls13)
}

/// Splits a `:` or `,` separated list, dropping empty items.
fn list_items(list: &str) -> impl Iterator<Item = &str> {
    list.split([':', ','])
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// Parses a `--ciphers` list; an unknown name or an empty list is an error.
pub fn parse_suites(list: &str) -> Result<Vec<&'static CipherSuite>, String> {
    let mut suites: Vec<&'static CipherSuite> = Vec::new();
    for name in list_items(list) {
        let suite = suite_by_name(name)?;
        if !suites.iter().any(|known| known.id == suite.id) {
            suites.push(suite);
        }
    }
    if suites.is_empty() {
        return Err("--ciphers names no cipher suite".into());
    }
    Ok(suites)
}

/// Parses a `--groups` list; an unknown name or an empty list is an error.
pub fn parse_groups(list: &str) -> Result<Vec<Group>, String> {
    let mut groups = Vec::new();
    for name in list_items(list) {
        let group = group_by_name(name)?;
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    if groups.is_empty() {
        return Err("--groups names no group".into());
    }
    Ok(groups)
}

/// Parses an `--alpn` list (`,` separated protocol names of 1 to 255 bytes).
pub fn parse_alpn(list: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut protocols = Vec::new();
    for name in list.split(',') {
        if name.is_empty() || name.len() > 255 {
            return Err(format!(
                "--alpn: protocol names are 1 to 255 bytes, not {name:?}"
            ));
        }
        protocols.push(name.as_bytes().to_vec());
    }
    Ok(protocols)
}

// ---- command-line arguments -----------------------------------------------------------------

/// Cipher suites in preference order, as `--ciphers` names them.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteList(pub Vec<&'static CipherSuite>);

/// Groups in preference order, as `--groups` names them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupList(pub Vec<Group>);

/// ALPN protocol names, as `--alpn` gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlpnList(pub Vec<Vec<u8>>);

/// The TLS options of `serve` and `connect` (clap flattens them into both).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "TLS options")]
pub struct TlsArgs {
    /// Offer TLS 1.2 (alone, or with --tls1.3; default: both versions).
    #[arg(long = "tls1.2")]
    pub tls12: bool,
    /// Offer TLS 1.3 (alone, or with --tls1.2; default: both versions).
    #[arg(long = "tls1.3")]
    pub tls13: bool,
    /// Cipher suites in preference order, OpenSSL names (ECDHE-RSA-AES128-GCM-SHA256,
    /// AES128-SHA, TLS_AES_128_GCM_SHA256) or IANA names (TLS_RSA_WITH_AES_128_CBC_SHA),
    /// separated by ':' or ','; a version none of the suites is for is not offered.
    #[arg(long, value_name = "LIST", value_parser = |list: &str| parse_suites(list).map(SuiteList))]
    pub ciphers: Option<SuiteList>,
    /// Key-exchange groups in preference order: x25519, P-256 (secp256r1, prime256v1), P-384
    /// (secp384r1), P-521 (secp521r1), ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144,
    /// ffdhe8192; ':' or ',' separated.
    #[arg(long, value_name = "LIST", value_parser = |list: &str| parse_groups(list).map(GroupList))]
    pub groups: Option<GroupList>,
    /// ALPN protocols, ',' separated (e.g. h2,http/1.1).
    #[arg(long, value_name = "LIST", value_parser = |list: &str| parse_alpn(list).map(AlpnList))]
    pub alpn: Option<AlpnList>,
    /// No extended master secret (RFC 7627) in TLS 1.2.
    #[arg(long = "no-ems", conflicts_with = "ems_optional")]
    pub no_ems: bool,
    /// Offer the extended master secret but accept peers without it (default: offer and
    /// require it).
    #[arg(long = "ems-optional")]
    pub ems_optional: bool,
    /// No encrypt-then-MAC (RFC 7366) for CBC suites: MAC-then-encrypt records (default:
    /// offer or accept it whenever a CBC suite is chosen).
    #[arg(long = "no-etm")]
    pub no_etm: bool,
}

/// A positive number of seconds (`--handshake-timeout`, `--idle-timeout`, `--timeout`).
pub fn positive_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(std::time::Duration::from_secs(seconds)),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// The TLS choices of a command line; `None` keeps the configuration's default.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsOptions {
    /// The versions to offer, preferred first.
    pub versions: Vec<Version>,
    /// The cipher suites, preferred first (`--ciphers`).
    pub cipher_suites: Option<Vec<&'static CipherSuite>>,
    /// The groups, preferred first (`--groups`).
    pub groups: Option<Vec<Group>>,
    /// ALPN protocols (`--alpn`), empty for none.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// The extended master secret policy.
    pub extended_master_secret: ExtendedMasterSecret,
    /// Encrypt-then-MAC for CBC suites (off with `--no-etm`).
    pub encrypt_then_mac: bool,
}

impl TlsOptions {
    /// Reads the TLS options from parsed arguments; an explicit version without a suite for
    /// it is an error.
    pub fn from_args(args: &TlsArgs) -> Result<TlsOptions, String> {
        let mut versions = Vec::new();
        if args.tls13 {
            versions.push(Version::Tls13);
        }
        if args.tls12 {
            versions.push(Version::Tls12);
        }
        let explicit = !versions.is_empty();
        if !explicit {
            versions = vec![Version::Tls13, Version::Tls12];
        }
        let cipher_suites = args.ciphers.clone().map(|SuiteList(suites)| suites);
        if let Some(suites) = &cipher_suites {
            let usable: Vec<Version> = versions
                .iter()
                .copied()
                .filter(|&version| suites.iter().any(|suite| suite_is_for(suite, version)))
                .collect();
            if explicit {
                if let Some(missing) = versions.iter().find(|v| !usable.contains(v)) {
                    return Err(format!("--ciphers names no {missing} cipher suite"));
                }
            }
            versions = usable;
        }
        let groups = args.groups.clone().map(|GroupList(groups)| groups);
        let alpn_protocols = args
            .alpn
            .clone()
            .map(|AlpnList(protocols)| protocols)
            .unwrap_or_default();
        let extended_master_secret = match (args.no_ems, args.ems_optional) {
            (true, true) => return Err("--no-ems and --ems-optional exclude each other".into()),
            (true, false) => ExtendedMasterSecret::Off,
            (false, true) => ExtendedMasterSecret::Offer,
            (false, false) => ExtendedMasterSecret::Require,
        };
        Ok(TlsOptions {
            versions,
            cipher_suites,
            groups,
            alpn_protocols,
            extended_master_secret,
            encrypt_then_mac: !args.no_etm,
        })
    }

    /// Applies the options to a server configuration.
    pub fn apply_to_server(&self, config: &mut ServerConfig) {
        config.versions = self.versions.clone();
        if let Some(suites) = &self.cipher_suites {
            config.cipher_suites = suites.clone();
        }
        if let Some(groups) = &self.groups {
            config.groups = groups.clone();
        }
        config.alpn_protocols = self.alpn_protocols.clone();
        config.extended_master_secret = self.extended_master_secret;
        config.encrypt_then_mac = self.encrypt_then_mac;
    }

    /// Applies the options to a client configuration.
    pub fn apply_to_client(&self, config: &mut ClientConfig) {
        config.versions = self.versions.clone();
        if let Some(suites) = &self.cipher_suites {
            config.cipher_suites = suites.clone();
        }
        if let Some(groups) = &self.groups {
            config.groups = groups.clone();
        }
        config.alpn_protocols = self.alpn_protocols.clone();
        config.extended_master_secret = self.extended_master_secret;
        config.encrypt_then_mac = self.encrypt_then_mac;
    }
}

// ---- describing a connection ----------------------------------------------------------------

/// The negotiated parameters of a connection as `(label, value)` lines, in the order both
/// commands print them. `server_name` is the SNI the server received or the client sent.
pub fn describe(info: &ConnectionInfo) -> Vec<(&'static str, String)> {
    let yes_no = |flag: bool| if flag { "yes" } else { "no" }.to_owned();
    vec![
        ("protocol", info.version.to_string()),
        ("cipher suite", info.suite.name.to_owned()),
        ("openssl name", openssl_name(info.suite).to_owned()),
        (
            "group",
            info.group
                .map_or("none".to_owned(), |g| group_name(g).to_owned()),
        ),
        (
            "signature scheme",
            info.signature_scheme
                .map_or("none".to_owned(), |scheme| scheme.name().to_owned()),
        ),
        (
            "extended master secret",
            yes_no(info.extended_master_secret),
        ),
        ("encrypt-then-mac", yes_no(info.encrypt_then_mac)),
        ("resumed", yes_no(info.resumed)),
        (
            "alpn",
            info.alpn.as_deref().map_or("none".to_owned(), |p| {
                String::from_utf8_lossy(p).into_owned()
            }),
        ),
        (
            "server name",
            info.server_name
                .clone()
                .unwrap_or_else(|| "none".to_owned()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Line {
        #[command(flatten)]
        tls: TlsArgs,
    }

    fn try_args(line: &str) -> Result<TlsArgs, clap::Error> {
        use clap::Parser;
        Line::try_parse_from(std::iter::once("x").chain(line.split_whitespace())).map(|l| l.tls)
    }

    fn args(line: &str) -> TlsArgs {
        try_args(line).unwrap()
    }

    #[test]
    fn every_suite_has_one_openssl_name() {
        assert_eq!(OPENSSL_NAMES.len(), CIPHER_SUITES.len());
        for suite in CIPHER_SUITES {
            let matches = OPENSSL_NAMES.iter().filter(|(id, _)| *id == suite.id);
            assert_eq!(matches.count(), 1, "{}", suite.name);
            let name = openssl_name(suite);
            assert_eq!(suite_by_name(name).unwrap().id, suite.id, "{name}");
            assert_eq!(suite_by_name(suite.name).unwrap().id, suite.id);
            assert_eq!(
                suite_by_name(&name.to_lowercase()).unwrap().id,
                suite.id,
                "{name} in lower case"
            );
            if suite.key_exchange == KeyExchange::Tls13 {
                assert_eq!(name, suite.name);
            } else {
                assert!(!name.starts_with("TLS_"), "{name}");
            }
        }
    }

    #[test]
    fn openssl_names_are_the_ones_openssl_uses() {
        let table = [
            ("ECDHE-RSA-AES128-GCM-SHA256", 0xC02F),
            ("ECDHE-ECDSA-CHACHA20-POLY1305", 0xCCA9),
            ("DHE-RSA-AES256-GCM-SHA384", 0x009F),
            ("AES128-GCM-SHA256", 0x009C),
            ("AES128-SHA256", 0x003C),
            ("AES128-SHA", 0x002F),
            ("ECDHE-RSA-AES256-SHA384", 0xC028),
            ("DHE-RSA-AES128-SHA", 0x0033),
            ("TLS_AES_128_GCM_SHA256", 0x1301),
            ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
            ("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F),
            ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C),
        ];
        for (name, id) in table {
            assert_eq!(suite_by_name(name).unwrap().id, id, "{name}");
        }
        // When openssl is installed, every name in the table is one it knows, for the same
        // IANA number.
        let Ok(output) = std::process::Command::new("openssl")
            .args(["ciphers", "-V", "ALL:@SECLEVEL=0"])
            .output()
        else {
            return;
        };
        let listing = String::from_utf8_lossy(&output.stdout);
        for (id, name) in OPENSSL_NAMES {
            let code = format!("0x{:02X},0x{:02X}", id >> 8, id & 0xff);
            assert!(
                listing
                    .lines()
                    .any(|line| line
                        .split_whitespace()
                        .take(3)
                        .eq([code.as_str(), "-", name])),
                "openssl does not call {code} {name}"
            );
        }
    }

    #[test]
    fn unknown_names_are_errors() {
        for bad in ["RC4-MD5", "DES-CBC3-SHA", "ECDHE-RSA-AES128-GCM", "", "::"] {
            assert!(parse_suites(bad).is_err(), "{bad:?}");
        }
        let error = parse_suites("AES128-SHA:BOGUS").unwrap_err();
        assert!(error.contains("\"BOGUS\""), "{error}");
        assert!(parse_groups("x448").unwrap_err().contains("x448"));
        assert!(parse_groups(",").is_err());
        assert!(parse_alpn("h2,,http/1.1").is_err());
    }

    #[test]
    fn lists_keep_order_and_drop_duplicates() {
        let suites = parse_suites(
            "AES128-SHA, TLS_AES_128_GCM_SHA256:AES128-SHA,ECDHE-RSA-AES128-GCM-SHA256",
        )
        .unwrap();
        let ids: Vec<u16> = suites.iter().map(|s| s.id).collect();
        assert_eq!(ids, [0x002F, 0x1301, 0xC02F]);
        let groups = parse_groups("secp384r1:X25519,prime256v1:P-256:ffdhe2048").unwrap();
        assert_eq!(
            groups,
            [
                Group::Ec(Curve::P384),
                Group::Ec(Curve::X25519),
                Group::Ec(Curve::P256),
                Group::Ffdhe(FfdheGroup::Ffdhe2048)
            ]
        );
        for (group, names) in GROUP_NAMES {
            assert_eq!(group_name(*group), names[0]);
            for name in *names {
                assert_eq!(group_by_name(name).unwrap(), *group);
            }
        }
        assert_eq!(group_name(Group::Ec(Curve::X25519)), "x25519");
        assert_eq!(
            parse_alpn("h2,http/1.1").unwrap(),
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn versions_follow_flags_and_suites() {
        let all = TlsOptions::from_args(&args("")).unwrap();
        assert_eq!(all.versions, [Version::Tls13, Version::Tls12]);
        assert_eq!(all.cipher_suites, None);
        assert_eq!(all.groups, None);
        assert_eq!(all.extended_master_secret, ExtendedMasterSecret::Require);
        assert!(all.encrypt_then_mac);
        assert!(
            !TlsOptions::from_args(&args("--no-etm"))
                .unwrap()
                .encrypt_then_mac
        );
        let tls12 = TlsOptions::from_args(&args("--tls1.2")).unwrap();
        assert_eq!(tls12.versions, [Version::Tls12]);
        let both = TlsOptions::from_args(&args("--tls1.2 --tls1.3")).unwrap();
        assert_eq!(both.versions, [Version::Tls13, Version::Tls12]);
        // A list of TLS 1.2 suites alone offers TLS 1.2 alone, and the reverse.
        let rsa = TlsOptions::from_args(&args("--ciphers AES128-SHA")).unwrap();
        assert_eq!(rsa.versions, [Version::Tls12]);
        let tls13 = TlsOptions::from_args(&args("--ciphers TLS_AES_256_GCM_SHA384")).unwrap();
        assert_eq!(tls13.versions, [Version::Tls13]);
        let mixed =
            TlsOptions::from_args(&args("--ciphers TLS_AES_256_GCM_SHA384:AES128-SHA")).unwrap();
        assert_eq!(mixed.versions, [Version::Tls13, Version::Tls12]);
        // An explicit version needs a suite for it.
        let error = TlsOptions::from_args(&args("--tls1.3 --ciphers AES128-SHA")).unwrap_err();
        assert!(error.contains("TLSv1.3"), "{error}");
        let optional = TlsOptions::from_args(&args("--ems-optional")).unwrap();
        assert_eq!(optional.extended_master_secret, ExtendedMasterSecret::Offer);
        let off = TlsOptions::from_args(&args("--no-ems --alpn h2")).unwrap();
        assert_eq!(off.extended_master_secret, ExtendedMasterSecret::Off);
        assert_eq!(off.alpn_protocols, [b"h2".to_vec()]);
        assert!(try_args("--no-ems --ems-optional").is_err());
        assert!(try_args("--groups x25519 --groups P-256").is_err());
    }

    #[test]
    fn argument_forms() {
        let equals = args("--ciphers=AES128-SHA --groups=x25519 --alpn=h2");
        let spaced = args("--ciphers AES128-SHA --groups x25519 --alpn h2");
        assert_eq!(
            TlsOptions::from_args(&equals).unwrap(),
            TlsOptions::from_args(&spaced).unwrap()
        );
        let unknown = try_args("--ciphers BOGUS").unwrap_err().to_string();
        assert!(unknown.contains("BOGUS"), "{unknown}");
        for bad in [
            "--bogus",
            "--ciphers",
            "--tls1.2=x",
            "--alpn h2,,x",
            "extra",
        ] {
            assert!(try_args(bad).is_err(), "{bad}");
        }
        assert_eq!(positive_seconds("7"), Ok(std::time::Duration::from_secs(7)));
        assert!(positive_seconds("0").is_err());
        assert!(positive_seconds("soon").is_err());
    }
}
