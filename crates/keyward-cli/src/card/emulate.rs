//! `keyward card emulate` (the virtual card on vpcd) and `keyward card readers`.

use std::path::PathBuf;
use std::time::Duration;

use keyward_card::card::vpcd::{self, Ended, Event, Shutdown, VpcdConfig};
use keyward_card::card::{Personalization, VirtualCard};
use keyward_card::transport::PcscTransport;

use super::{call, read_keys, required, seconds, DEFAULT_WAIT_SECONDS};

/// `keyward card emulate`: its arguments.
#[derive(Debug, clap::Args)]
pub struct EmulateArgs {
    /// The card's state file.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Create the card first, with the keyset of --keys and the two PINs.
    #[arg(long, requires_all = ["keys", "user_pin", "admin_pin"])]
    personalize: bool,
    /// The SCP03 keys file (`keyward card new-keys`), with --personalize.
    #[arg(long, value_name = "FILE", requires = "personalize")]
    keys: Option<PathBuf>,
    /// The user PIN, with --personalize.
    #[arg(long, value_name = "PIN", requires = "personalize")]
    user_pin: Option<String>,
    /// The admin PIN, with --personalize.
    #[arg(long, value_name = "PIN", requires = "personalize")]
    admin_pin: Option<String>,
    /// vpcd's address.
    #[arg(long, value_name = "HOST:PORT", default_value = vpcd::DEFAULT_ADDRESS)]
    vpcd: String,
    /// Connect again after vpcd closed the connection (pcscd restarted), instead of stopping.
    #[arg(long)]
    reconnect: bool,
    /// How long to wait for vpcd to accept the connection.
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_WAIT_SECONDS, value_parser = seconds)]
    wait: Duration,
}

/// `keyward card emulate`.
pub(super) fn emulate(args: EmulateArgs) -> Result<(), String> {
    let state = args.state;
    let mut card = if args.personalize {
        let keys = read_keys(required(&args.keys, "--keys")?)?;
        let user_pin = required(&args.user_pin, "--user-pin")?;
        let admin_pin = required(&args.admin_pin, "--admin-pin")?;
        let personalization = Personalization::new(keys, user_pin.as_bytes(), admin_pin.as_bytes())
            .map_err(|err| format!("personalization: {err}"))?;
        let card = VirtualCard::create(&state, personalization)
            .map_err(|err| format!("cannot create the card: {err}"))?;
        eprintln!(
            "keyward card: personalized a new card in {}",
            state.display()
        );
        card
    } else {
        VirtualCard::open(&state)
            .map_err(|err| format!("cannot open the card: {err} (create it with --personalize)"))?
    };
    let config = VpcdConfig {
        address: args.vpcd,
        reconnect: args.reconnect,
        connect_timeout: args.wait,
        poll_interval: Duration::from_millis(100),
    };
    let shutdown = Shutdown::new();
    shutdown
        .on_termination_signals()
        .map_err(|err| err.to_string())?;
    eprintln!(
        "keyward card: serving {} to vpcd at {}",
        state.display(),
        config.address
    );
    let ended = vpcd::run(&mut card, &config, &shutdown, log_event)
        .map_err(|err| format!("vpcd: {err}"))?;
    eprintln!(
        "keyward card: stopped ({})",
        match ended {
            Ended::Shutdown => "stop requested",
            Ended::Disconnected => "vpcd closed the connection",
        }
    );
    Ok(())
}

fn log_event(event: &Event) {
    match event {
        Event::Connected(peer) => eprintln!("vpcd: connected to {peer}"),
        Event::PowerOff => eprintln!("vpcd: power off"),
        Event::PowerOn => eprintln!("vpcd: power on"),
        Event::Reset => eprintln!("vpcd: reset"),
        Event::AtrSent => eprintln!("vpcd: ATR sent"),
        Event::UnknownControl(code) => eprintln!("vpcd: unknown control code {code:02X} ignored"),
        Event::EmptyMessage => eprintln!("vpcd: empty message ignored"),
        Event::Command { ins, length, sw } => {
            eprintln!("vpcd: APDU INS {ins:02X} ({length} bytes) -> {sw:04X}")
        }
        Event::Disconnected => eprintln!("vpcd: disconnected"),
    }
}

/// `keyward card readers`.
pub(super) fn readers() -> Result<(), String> {
    let names = call("pcsc", "SCardListReaders", PcscTransport::readers())?;
    for name in names {
        println!("{name}");
    }
    Ok(())
}
