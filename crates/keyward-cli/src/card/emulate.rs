//! `keyward card emulate` (the virtual card on vpcd) and `keyward card readers`.

use std::path::PathBuf;
use std::time::Duration;

use keyward_card::card::vpcd::{self, Ended, Event, Shutdown, VpcdConfig};
use keyward_card::card::{Personalization, VirtualCard};
use keyward_card::transport::PcscTransport;

use super::{call, read_keys, Options};

/// `keyward card emulate`.
pub(super) fn emulate(args: &[String]) -> Result<(), String> {
    let options = Options::parse(
        args,
        &[
            "--state",
            "--keys",
            "--user-pin",
            "--admin-pin",
            "--vpcd",
            "--wait",
        ],
        &["--personalize", "--reconnect"],
    )?;
    options.no_positional()?;
    let state = PathBuf::from(options.required("--state")?);
    let mut card = if options.has("--personalize") {
        let keys = read_keys(options.required("--keys")?)?;
        let user_pin = options.required("--user-pin")?;
        let admin_pin = options.required("--admin-pin")?;
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
        for option in ["--keys", "--user-pin", "--admin-pin"] {
            if options.get(option).is_some() {
                return Err(format!("{option} only goes with --personalize"));
            }
        }
        VirtualCard::open(&state)
            .map_err(|err| format!("cannot open the card: {err} (create it with --personalize)"))?
    };
    let config = VpcdConfig {
        address: options
            .get("--vpcd")
            .unwrap_or(vpcd::DEFAULT_ADDRESS)
            .to_string(),
        reconnect: options.has("--reconnect"),
        connect_timeout: options.wait()?,
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
pub(super) fn readers(args: &[String]) -> Result<(), String> {
    Options::parse(args, &[], &[])?.no_positional()?;
    let names = call("pcsc", "SCardListReaders", PcscTransport::readers())?;
    for name in names {
        println!("{name}");
    }
    Ok(())
}
