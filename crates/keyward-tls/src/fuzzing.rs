//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`): the crate-private
//! ticket and session-cache import, reachable with untrusted bytes. Not part of the API.

use crate::config::ServerConfig;

/// Feeds one server's resumption state: `ticket` as a client would send it, `plain` sealed
/// first so the decoder behind the AEAD sees it, and `session_id` against the session cache.
/// Every ticket that opens must seal and open again to the same session.
pub fn server_resumption(config: &ServerConfig, ticket: &[u8], plain: &[u8], session_id: &[u8]) {
    let provider = &config.provider;
    let sessions = &config.sessions;
    let _ = sessions.open_tls12(provider, ticket);
    let _ = sessions.open_tls13(provider, ticket);
    let _ = sessions.cache_get(session_id);
    let Some(sealed) = sessions.seal_plain(provider, plain) else {
        return;
    };
    if let Some(session) = sessions.open_tls12(provider, &sealed) {
        let again = sessions
            .seal_tls12(provider, &session)
            .and_then(|t| sessions.open_tls12(provider, &t));
        assert_eq!(again.as_ref(), Some(&session), "TLS 1.2 ticket round trip");
        sessions.cache_put(session_id.to_vec(), session.clone());
        if let Some(cached) = sessions.cache_get(session_id) {
            assert_eq!(cached, session, "session cache round trip");
        }
    }
    if let Some(ticket) = sessions.open_tls13(provider, &sealed) {
        let again = sessions
            .seal_tls13(provider, &ticket)
            .and_then(|t| sessions.open_tls13(provider, &t));
        assert_eq!(again.as_ref(), Some(&ticket), "TLS 1.3 ticket round trip");
    }
}
