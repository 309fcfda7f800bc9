//! Constant-time checks under Valgrind's memcheck, the method of ctgrind and of BoringSSL's
//! constant-time validation. A test marks secret bytes as undefined with [`poison`]; memcheck
//! then reports every conditional branch, memory address and system call argument that
//! depends on them ("Conditional jump or move depends on uninitialised value(s)", "Use of
//! uninitialised value of size N"). A value that becomes public by design (whether a record
//! was accepted) is marked defined again with [`declassify`]. Unlike a timing test this
//! does not depend on a quiet machine: it follows the data, not the clock.
//!
//! `scripts/constant-time` runs the tests that use it under
//! `valgrind --tool=memcheck --error-exitcode=1`. Outside Valgrind the requests are no-ops:
//! the marker instructions rotate a register by a whole turn and exchange `rbx` with itself.
//! On other targets than x86-64 Linux they do nothing at all.
//!
//! Marking memory undefined changes only Valgrind's shadow state, never the bytes or what Rust
//! may assume about them: the tests read and write the poisoned bytes as usual.

#![allow(unsafe_code)]

/// `VG_USERREQ_TOOL_BASE('M', 'C')`: memcheck's client requests.
const MEMCHECK: usize = (b'M' as usize) << 24 | (b'C' as usize) << 16;
/// `VG_USERREQ__MAKE_MEM_UNDEFINED`.
const MAKE_MEM_UNDEFINED: usize = MEMCHECK + 1;
/// `VG_USERREQ__MAKE_MEM_DEFINED`.
const MAKE_MEM_DEFINED: usize = MEMCHECK + 2;
/// `VG_USERREQ__RUNNING_ON_VALGRIND`.
const RUNNING_ON_VALGRIND: usize = 0x1001;

/// Marks `bytes` as secret: memcheck reports any branch or address that depends on them.
pub fn poison(bytes: &[u8]) {
    client_request(0, MAKE_MEM_UNDEFINED, bytes.as_ptr() as usize, bytes.len());
}

/// Marks `bytes` as public again (a value whose disclosure is by design).
pub fn declassify(bytes: &[u8]) {
    client_request(0, MAKE_MEM_DEFINED, bytes.as_ptr() as usize, bytes.len());
}

/// True when the program runs under Valgrind.
pub fn running_on_valgrind() -> bool {
    client_request(0, RUNNING_ON_VALGRIND, 0, 0) != 0
}

/// Valgrind's client request: the request and its arguments in memory, their address in
/// `rax`, the default result in `rdx`, then the marker sequence, which Valgrind recognises
/// and a CPU runs as no-ops (`rdi` is rotated by 3 + 13 + 61 + 51 = 128 bits).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn client_request(default: usize, request: usize, first: usize, second: usize) -> usize {
    let args: [usize; 6] = [request, first, second, 0, 0, 0];
    let mut result = default;
    // SAFETY: the sequence reads the six words of `args` (alive for the whole statement) and
    // changes no register but `rdx` (declared) and `rdi` (turned back to its value; declared
    // anyway) and the flags; `rbx` is exchanged with itself.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") result,
            in("rax") args.as_ptr(),
            inout("rdi") 0usize => _,
            options(nostack),
        );
    }
    result
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn client_request(default: usize, _request: usize, _first: usize, _second: usize) -> usize {
    default
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outside Valgrind the requests change nothing; under it, a poisoned byte that decides a
    /// branch would be reported, and a declassified one is not.
    #[test]
    fn requests_leave_the_bytes_alone() {
        let secret = [1u8, 2, 3, 4];
        poison(&secret);
        declassify(&secret);
        assert_eq!(secret, [1, 2, 3, 4]);
        let _ = running_on_valgrind();
    }
}
