//! [`PcscTransport`]: a card in a PC/SC reader, through pcsc-lite's `libpcsclite.so.1` talking
//! to pcscd, loaded when first needed (see [`super::libpcsclite`]): without the library, every
//! call fails with `Reader(NoLibrary)`, whose message says how to install it.
//!
//! | here | PC/SC |
//! |---|---|
//! | [`PcscTransport::readers`] | `SCardEstablishContext(SCARD_SCOPE_USER)`, `SCardListReaders` |
//! | [`PcscTransport::connect`] | `SCardConnect(SCARD_SHARE_SHARED, T=0 or T=1)`, `SCardStatus` |
//! | [`Transport::transmit_raw`] | `SCardTransmit` |
//! | [`Transport::reset`] | `SCardReconnect(SCARD_RESET_CARD)` |
//! | drop | `SCardDisconnect(SCARD_RESET_CARD)` |
//!
//! Failures become [`Error::Reader`], translated from pcsc-lite's return codes in one table
//! ([`reader_error`]), so that [`Error::status`] yields the Windows value. pcsc-lite has no
//! distinct `SCARD_E_UNEXPECTED`: it codes `SCARD_E_UNSUPPORTED_FEATURE` as 0x8010001F, which
//! keyward reads as `UnsupportedFeature` and reports as 0x80100022.

use std::time::{Duration, Instant};

use zeroize::Zeroize;

use super::libpcsclite::{Card, Context, Failure, MAX_BUFFER_SIZE_EXTENDED};
use super::Transport;
use crate::error::ReaderError;
use crate::{Error, Result};

/// How often [`PcscTransport::connect_waiting`] tries again.
const RETRY_INTERVAL: Duration = Duration::from_millis(100);

/// A connection to the card in one PC/SC reader.
pub struct PcscTransport {
    card: Card,
    reader: String,
}

impl PcscTransport {
    /// The readers the resource manager knows, in its order (none is an empty list).
    /// Errors: pcscd not running → `Reader(NoService)`.
    pub fn readers() -> Result<Vec<String>> {
        let context = Context::establish().map_err(reader_error)?;
        list_readers(&context)
    }

    /// Connects to the card in the first reader whose name contains `reader` (for vpcd's first
    /// reader, "Virtual PCD 00 00"; an empty string takes the first reader).
    ///
    /// Errors: pcscd not running → `Reader(NoService)`; no reader at all →
    /// `Reader(NoReadersAvailable)`; no reader of that name → `Reader(UnknownReader)`; an empty
    /// reader → `Reader(NoSmartcard)`; others as the resource manager reports them.
    pub fn connect(reader: &str) -> Result<Self> {
        let context = Context::establish().map_err(reader_error)?;
        let names = list_readers(&context)?;
        if names.is_empty() {
            return Err(Error::Reader(ReaderError::NoReadersAvailable));
        }
        let name = names
            .into_iter()
            .find(|name| name.contains(reader))
            .ok_or(Error::Reader(ReaderError::UnknownReader))?;
        let c_name = std::ffi::CString::new(name.clone())
            .map_err(|_| Error::InvalidParameter("reader name with a NUL"))?;
        let card = Card::connect(context, &c_name).map_err(reader_error)?;
        Ok(PcscTransport { card, reader: name })
    }

    /// [`PcscTransport::connect`], retrying for up to `timeout` while waiting can help:
    /// pcscd starting, the reader appearing, the card being inserted (a virtual card
    /// connecting to vpcd). The last error is returned when the time is up.
    pub fn connect_waiting(reader: &str, timeout: Duration) -> Result<Self> {
        let started = Instant::now();
        loop {
            match PcscTransport::connect(reader) {
                Ok(transport) => return Ok(transport),
                Err(Error::Reader(cause)) if is_transient(cause) && started.elapsed() < timeout => {
                    std::thread::sleep(RETRY_INTERVAL);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The full name of the reader.
    pub fn reader(&self) -> &str {
        &self.reader
    }
}

impl Transport for PcscTransport {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        let mut buffer = vec![0u8; MAX_BUFFER_SIZE_EXTENDED];
        let response = self
            .card
            .transmit(command, &mut buffer)
            .map(|len| buffer[..len].to_vec())
            .map_err(reader_error);
        buffer.zeroize();
        response
    }

    fn reset(&mut self) -> Result<()> {
        self.card.reset().map_err(reader_error)
    }

    fn atr(&mut self) -> Result<Vec<u8>> {
        self.card.atr().map_err(reader_error)
    }
}

impl core::fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcscTransport")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

fn list_readers(context: &Context) -> Result<Vec<String>> {
    match context.readers().map_err(reader_error) {
        Err(Error::Reader(ReaderError::NoReadersAvailable)) => Ok(Vec::new()),
        other => other,
    }
}

/// Failures that waiting can cure.
fn is_transient(cause: ReaderError) -> bool {
    matches!(
        cause,
        ReaderError::NoService
            | ReaderError::ServiceStopped
            | ReaderError::NoReadersAvailable
            | ReaderError::UnknownReader
            | ReaderError::ReaderUnavailable
            | ReaderError::NoSmartcard
            | ReaderError::RemovedCard
            | ReaderError::UnpoweredCard
            | ReaderError::NotReady
    )
}

/// pcsc-lite's return codes (`PCSC/pcsclite.h`) as keyward's errors; a missing library is
/// `NoLibrary`.
pub(crate) fn reader_error(failure: Failure) -> Error {
    let code = match failure {
        Failure::Library(_) => return Error::Reader(ReaderError::NoLibrary),
        Failure::Code(code) => code,
    };
    Error::Reader(match code {
        0x8010_001D => ReaderError::NoService,
        0x8010_001E => ReaderError::ServiceStopped,
        0x8010_002E => ReaderError::NoReadersAvailable,
        0x8010_0009 => ReaderError::UnknownReader,
        0x8010_0017 => ReaderError::ReaderUnavailable,
        0x8010_000C => ReaderError::NoSmartcard,
        0x8010_0069 => ReaderError::RemovedCard,
        0x8010_0068 => ReaderError::ResetCard,
        0x8010_0067 => ReaderError::UnpoweredCard,
        0x8010_0066 => ReaderError::UnresponsiveCard,
        0x8010_000B => ReaderError::SharingViolation,
        0x8010_000F => ReaderError::ProtocolMismatch,
        0x8010_0010 => ReaderError::NotReady,
        0x8010_000A => ReaderError::Timeout,
        0x8010_0002 => ReaderError::Cancelled,
        0x8010_0016 => ReaderError::NotTransacted,
        0x8010_0013 => ReaderError::CommunicationError,
        0x8010_002F => ReaderError::CommunicationDataLost,
        0x8010_0008 => ReaderError::InsufficientBuffer,
        0x8010_0003 => ReaderError::InvalidHandle,
        0x8010_0004 => ReaderError::InvalidParameter,
        0x8010_0011 => ReaderError::InvalidValue,
        0x8010_0006 => ReaderError::NoMemory,
        0x8010_0001 => ReaderError::InternalError,
        // pcsc-lite's SCARD_E_UNSUPPORTED_FEATURE (its SCARD_E_UNEXPECTED has the same value).
        0x8010_001F => ReaderError::UnsupportedFeature,
        _ => ReaderError::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{
        SCARD_E_NO_READERS_AVAILABLE, SCARD_E_NO_SERVICE, SCARD_E_UNSUPPORTED_FEATURE,
        SCARD_W_REMOVED_CARD,
    };

    #[test]
    fn pcsc_lite_codes_map_to_windows_values() {
        // The pcsc-lite trap: its SCARD_E_UNSUPPORTED_FEATURE is 0x8010001F.
        assert_eq!(
            reader_error(Failure::Code(0x8010_001F)).status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        for status in [
            SCARD_E_NO_SERVICE,
            SCARD_E_NO_READERS_AVAILABLE,
            SCARD_W_REMOVED_CARD,
        ] {
            // Everywhere else the two sets of values agree.
            assert_eq!(reader_error(Failure::Code(status)).status(), status);
        }
        // SCARD_W_CACHE_ITEM_STALE: a code keyward has no name for.
        assert_eq!(
            reader_error(Failure::Code(0x8010_0071)),
            Error::Reader(ReaderError::Unknown)
        );
        let missing = reader_error(Failure::Library("gone".into()));
        assert_eq!(missing, Error::Reader(ReaderError::NoLibrary));
        let message = missing.to_string();
        assert!(
            message.contains("libpcsclite.so.1")
                && message.contains("apt-get install libpcsclite1 pcscd")
                && !message.contains('\n'),
            "{message}"
        );
        assert!(is_transient(ReaderError::NoSmartcard));
        assert!(!is_transient(ReaderError::SharingViolation));
    }

    #[test]
    fn no_service_through_libpcsclite() {
        // pcsc-lite finds pcscd through this socket path; none exists here, so the library
        // itself reports SCARD_E_NO_SERVICE (and waiting does not help within the timeout).
        std::env::set_var(
            "PCSCLITE_CSOCK_NAME",
            "/nonexistent/keyward-test/pcscd.comm",
        );
        let error = PcscTransport::connect("Virtual PCD").unwrap_err();
        assert_eq!(error, Error::Reader(ReaderError::NoService));
        assert_eq!(error.status(), SCARD_E_NO_SERVICE);
        let started = Instant::now();
        let error =
            PcscTransport::connect_waiting("Virtual PCD", Duration::from_millis(250)).unwrap_err();
        assert_eq!(error.status(), SCARD_E_NO_SERVICE);
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert_eq!(
            PcscTransport::readers().unwrap_err().status(),
            SCARD_E_NO_SERVICE
        );
    }
}
