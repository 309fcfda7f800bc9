//! [`PcscTransport`]: a card in a PC/SC reader, through the `pcsc` crate (winscard on Windows,
//! pcsc-lite's `libpcsclite` talking to pcscd elsewhere).
//!
//! | here | PC/SC |
//! |---|---|
//! | [`PcscTransport::readers`] | `SCardEstablishContext(SCARD_SCOPE_USER)`, `SCardListReaders` |
//! | [`PcscTransport::connect`] | `SCardConnect(SCARD_SHARE_SHARED, T=0 or T=1)`, `SCardStatus` |
//! | [`Transport::transmit_raw`] | `SCardTransmit` |
//! | [`Transport::reset`] | `SCardReconnect(SCARD_RESET_CARD)` |
//! | drop | `SCardDisconnect(SCARD_RESET_CARD)` |
//!
//! Failures become [`Error::Reader`], translated from the `pcsc` crate's error **by name**,
//! so that [`Error::status`] yields the Windows value. pcsc-lite has no distinct
//! `SCARD_E_UNEXPECTED`: it codes `SCARD_E_UNSUPPORTED_FEATURE` as 0x8010001F and the `pcsc`
//! crate reads that code as `UnsupportedFeature`, which keyward reports as 0x80100022.

use std::time::{Duration, Instant};

use pcsc::{Card, Context, Disposition, Protocols, Scope, ShareMode, MAX_BUFFER_SIZE_EXTENDED};
use zeroize::Zeroize;

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
        let context = Context::establish(Scope::User).map_err(reader_error)?;
        list_readers(&context)
    }

    /// Connects to the card in the first reader whose name contains `reader` (for vpcd's first
    /// reader, "Virtual PCD 00 00"; an empty string takes the first reader).
    ///
    /// Errors: pcscd not running → `Reader(NoService)`; no reader at all →
    /// `Reader(NoReadersAvailable)`; no reader of that name → `Reader(UnknownReader)`; an empty
    /// reader → `Reader(NoSmartcard)`; others as the resource manager reports them.
    pub fn connect(reader: &str) -> Result<Self> {
        let context = Context::establish(Scope::User).map_err(reader_error)?;
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
        let card = context
            .connect(&c_name, ShareMode::Shared, Protocols::ANY)
            .map_err(reader_error)?;
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
            .map(<[u8]>::to_vec)
            .map_err(reader_error);
        buffer.zeroize();
        response
    }

    fn reset(&mut self) -> Result<()> {
        self.card
            .reconnect(ShareMode::Shared, Protocols::ANY, Disposition::ResetCard)
            .map_err(reader_error)
    }

    fn atr(&mut self) -> Result<Vec<u8>> {
        let status = self.card.status2_owned().map_err(reader_error)?;
        Ok(status.atr().to_vec())
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
    match context.list_readers_owned() {
        Ok(names) => Ok(names
            .into_iter()
            .map(|name| name.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(error) => Err(reader_error(error)),
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

/// The `pcsc` crate's error, by name, as keyward's.
pub(crate) fn reader_error(error: pcsc::Error) -> Error {
    use pcsc::Error as Pcsc;
    Error::Reader(match error {
        Pcsc::NoService => ReaderError::NoService,
        Pcsc::ServiceStopped => ReaderError::ServiceStopped,
        Pcsc::NoReadersAvailable => ReaderError::NoReadersAvailable,
        Pcsc::UnknownReader => ReaderError::UnknownReader,
        Pcsc::ReaderUnavailable => ReaderError::ReaderUnavailable,
        Pcsc::NoSmartcard => ReaderError::NoSmartcard,
        Pcsc::RemovedCard => ReaderError::RemovedCard,
        Pcsc::ResetCard => ReaderError::ResetCard,
        Pcsc::UnpoweredCard => ReaderError::UnpoweredCard,
        Pcsc::UnresponsiveCard => ReaderError::UnresponsiveCard,
        Pcsc::SharingViolation => ReaderError::SharingViolation,
        Pcsc::ProtoMismatch => ReaderError::ProtocolMismatch,
        Pcsc::NotReady => ReaderError::NotReady,
        Pcsc::Timeout => ReaderError::Timeout,
        Pcsc::Cancelled => ReaderError::Cancelled,
        Pcsc::NotTransacted => ReaderError::NotTransacted,
        Pcsc::CommError => ReaderError::CommunicationError,
        Pcsc::CommDataLost => ReaderError::CommunicationDataLost,
        Pcsc::InsufficientBuffer => ReaderError::InsufficientBuffer,
        Pcsc::InvalidHandle => ReaderError::InvalidHandle,
        Pcsc::InvalidParameter => ReaderError::InvalidParameter,
        Pcsc::InvalidValue => ReaderError::InvalidValue,
        Pcsc::NoMemory => ReaderError::NoMemory,
        Pcsc::InternalError => ReaderError::InternalError,
        Pcsc::UnsupportedFeature => ReaderError::UnsupportedFeature,
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
    fn pcsc_errors_map_by_name_to_windows_values() {
        // The pcsc-lite trap: the crate's UnsupportedFeature carries 0x8010001F on Linux.
        #[cfg(not(target_os = "windows"))]
        assert_eq!(pcsc::Error::UnsupportedFeature as u32, 0x8010_001F);
        assert_eq!(
            reader_error(pcsc::Error::UnsupportedFeature).status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        for (error, status) in [
            (pcsc::Error::NoService, SCARD_E_NO_SERVICE),
            (
                pcsc::Error::NoReadersAvailable,
                SCARD_E_NO_READERS_AVAILABLE,
            ),
            (pcsc::Error::RemovedCard, SCARD_W_REMOVED_CARD),
        ] {
            assert_eq!(reader_error(error).status(), status);
            // Everywhere else the two sets of values agree.
            assert_eq!(error as u32, status);
        }
        assert_eq!(
            reader_error(pcsc::Error::CacheItemStale),
            Error::Reader(ReaderError::Unknown)
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
