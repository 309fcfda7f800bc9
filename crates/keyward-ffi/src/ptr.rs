//! Every conversion of a caller's pointer into a Rust value or reference: all of the crate's
//! reads and writes of the caller's memory happen here.
//!
//! NULL where a pointer is required is `NTE_INVALID_PARAMETER`; so is a misaligned pointer.
//! The caller guarantees the rest (that a non-NULL pointer points to as many valid bytes as
//! its length says), exactly as with the Windows functions.

use keyward_core::{Error, Result};

use crate::types::{CHAR, DWORD, LPCWSTR};

/// Calls an `unsafe fn` of this crate on pointers that came from C: the reader of a caller's
/// pointer (this module), or a lookup through one (`card::card_data`, `d3d11::objects`).
///
/// `caller!(input(pbInput, cbInput))` reads as the exported function's translation: "the
/// caller's input". Every exported function is `unsafe` with the contract of its Windows
/// original, spelled out in its `# Safety` section: each pointer argument is NULL or valid as
/// the Windows documentation says (readable or writable for the length passed with it,
/// strings NUL-terminated, structures of their type whose own pointers are valid in turn), and
/// stays so for the call. That is exactly the precondition of each function called through
/// this macro, which checks NULL and alignment itself. So the macro is for calls whose
/// pointer arguments are an exported function's arguments, or fields of the structures they
/// point to, or pointers an `unsafe fn` of this crate received under the same contract
/// (its `# Safety` says so); for nothing else. It takes one call, of a function or of a
/// method of a local, with plain arguments (places, casts, references, arithmetic).
macro_rules! caller {
    ($($function:ident)::+ $(::<$($generic:tt),+>)? ($($argument:expr),* $(,)?)) => {
        // SAFETY: the pointers passed are those of an exported function's caller, valid by
        // the Windows contract in its `# Safety` section, which is the precondition of the
        // function called (see the macro's documentation).
        unsafe { $($function)::+ $(::<$($generic),+>)? ($($argument),*) }
    };
    ($receiver:ident . $method:ident ($($argument:expr),* $(,)?)) => {
        // SAFETY: as above, for a method of a wrapper around the caller's pointer.
        unsafe { $receiver.$method($($argument),*) }
    };
}
pub(crate) use caller;

/// `flags` must be zero (`NTE_BAD_FLAGS` otherwise): the reserved `dwFlags`.
pub(crate) fn no_flags(flags: DWORD) -> Result<()> {
    if flags == 0 {
        Ok(())
    } else {
        Err(Error::BadFlags)
    }
}

/// The caller's `len` bytes at `ptr`. NULL is the empty slice when `len` is 0 and
/// `InvalidParameter` otherwise.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay unchanged during the call.
pub(crate) unsafe fn input<'a>(ptr: *const u8, len: DWORD) -> Result<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::InvalidParameter("NULL input buffer"))
        };
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len as usize) })
}

/// Like [`input`], but NULL or empty is `InvalidParameter`.
///
/// # Safety
/// As [`input`].
pub(crate) unsafe fn required_input<'a>(ptr: *const u8, len: DWORD) -> Result<&'a [u8]> {
    if ptr.is_null() || len == 0 {
        return Err(Error::InvalidParameter("missing input buffer"));
    }
    caller!(input(ptr, len))
}

/// The caller's output buffer, or `None` for NULL (a size query).
///
/// # Safety
/// A non-NULL `ptr` must point to `len` writable bytes not otherwise referenced during the
/// call.
pub(crate) unsafe fn output<'a>(ptr: *mut u8, len: DWORD) -> Option<&'a mut [u8]> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: non-NULL, and the caller guarantees `len` writable, unaliased bytes.
        Some(unsafe { core::slice::from_raw_parts_mut(ptr, len as usize) })
    }
}

/// Like [`output`], but NULL is `InvalidParameter`.
///
/// # Safety
/// As [`output`].
pub(crate) unsafe fn required_output<'a>(ptr: *mut u8, len: DWORD) -> Result<&'a mut [u8]> {
    caller!(output(ptr, len)).ok_or(Error::InvalidParameter("NULL output buffer"))
}

/// A copy of the caller's `N` bytes at `ptr` (a key, a nonce); NULL is `InvalidParameter`.
///
/// # Safety
/// A non-NULL `ptr` must point to `N` readable bytes.
pub(crate) unsafe fn input_array<const N: usize>(ptr: *const u8) -> Result<[u8; N]> {
    let len = DWORD::try_from(N).map_err(|_| Error::Internal("array longer than a DWORD"))?;
    caller!(required_input(ptr, len))?
        .try_into()
        .map_err(|_| Error::Internal("array length"))
}

/// The caller's `N` writable bytes at `ptr`; NULL is `InvalidParameter`.
///
/// # Safety
/// As [`output`], with `N` bytes.
pub(crate) unsafe fn output_array<'a, const N: usize>(ptr: *mut u8) -> Result<&'a mut [u8; N]> {
    let len = DWORD::try_from(N).map_err(|_| Error::Internal("array longer than a DWORD"))?;
    caller!(required_output(ptr, len))?
        .try_into()
        .map_err(|_| Error::Internal("array length"))
}

/// The caller's out-parameter; NULL or misaligned is `InvalidParameter`.
///
/// # Safety
/// A non-NULL `ptr` must point to a writable `T`.
pub(crate) unsafe fn out<'a, T>(ptr: *mut T) -> Result<&'a mut T> {
    if !ptr.is_aligned() {
        return Err(Error::InvalidParameter("misaligned pointer"));
    }
    // SAFETY: aligned; the caller guarantees a writable `T` when non-NULL.
    unsafe { ptr.as_mut() }.ok_or(Error::InvalidParameter("NULL output pointer"))
}

/// A caller's out-parameter, checked for NULL and alignment and written through its raw
/// pointer. No Rust reference to the caller's memory is ever made, so out-parameters that
/// alias one another (the same `DWORD` passed twice) or an input the callee already copied are
/// sound: each write is a plain store, and the last one wins, as in C.
pub(crate) struct OutPtr<'a, T: Copy> {
    ptr: core::ptr::NonNull<T>,
    _call: core::marker::PhantomData<&'a ()>,
}

impl<T: Copy> OutPtr<'_, T> {
    /// Stores `value`.
    pub(crate) fn write(&self, value: T) {
        // SAFETY: non-NULL and aligned (checked by `out_ptr`); the caller of `out_ptr`
        // guaranteed a writable `T` for the call. A raw store creates no reference, so another
        // pointer to the same memory is no aliasing violation.
        unsafe { self.ptr.as_ptr().write(value) }
    }
}

/// The caller's out-parameter as an [`OutPtr`]; NULL or misaligned is `InvalidParameter`.
///
/// # Safety
/// A non-NULL `ptr` must point to a writable `T` for the rest of the call.
pub(crate) unsafe fn out_ptr<'a, T: Copy>(ptr: *mut T) -> Result<OutPtr<'a, T>> {
    if !ptr.is_aligned() {
        return Err(Error::InvalidParameter("misaligned pointer"));
    }
    let ptr = core::ptr::NonNull::new(ptr).ok_or(Error::InvalidParameter("NULL output pointer"))?;
    Ok(OutPtr {
        ptr,
        _call: core::marker::PhantomData,
    })
}

/// An optional out-parameter: NULL is `None`, misaligned is `InvalidParameter`.
///
/// # Safety
/// As [`out_ptr`].
pub(crate) unsafe fn optional_out_ptr<'a, T: Copy>(ptr: *mut T) -> Result<Option<OutPtr<'a, T>>> {
    if ptr.is_null() {
        return Ok(None);
    }
    caller!(out_ptr(ptr)).map(Some)
}

/// A caller's output buffer of `len` bytes, written through its raw pointer (see [`OutPtr`]).
pub(crate) struct OutBuffer<'a> {
    ptr: core::ptr::NonNull<u8>,
    len: usize,
    _call: core::marker::PhantomData<&'a ()>,
}

impl OutBuffer<'_> {
    /// The buffer's length.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies `data` to the start of the buffer; longer than the buffer is `BufferTooSmall`.
    pub(crate) fn write_prefix(&self, data: &[u8]) -> Result<()> {
        if data.len() > self.len {
            return Err(Error::BufferTooSmall { needed: data.len() });
        }
        // SAFETY: the caller of `out_buffer` guaranteed `len` writable bytes, and `data` (our
        // own memory) fits; a raw copy creates no reference to the caller's memory.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr(), data.len()) };
        Ok(())
    }
}

/// The caller's output buffer as an [`OutBuffer`], or `None` for NULL.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` writable bytes for the rest of the call.
pub(crate) unsafe fn out_buffer<'a>(ptr: *mut u8, len: DWORD) -> Option<OutBuffer<'a>> {
    core::ptr::NonNull::new(ptr).map(|ptr| OutBuffer {
        ptr,
        len: len as usize,
        _call: core::marker::PhantomData,
    })
}

/// The caller's in-parameter structure; NULL or misaligned is `InvalidParameter`.
///
/// # Safety
/// A non-NULL `ptr` must point to a readable `T`.
pub(crate) unsafe fn in_ref<'a, T>(ptr: *const T) -> Result<&'a T> {
    if !ptr.is_aligned() {
        return Err(Error::InvalidParameter("misaligned pointer"));
    }
    // SAFETY: aligned; the caller guarantees a readable `T` when non-NULL.
    unsafe { ptr.as_ref() }.ok_or(Error::InvalidParameter("NULL input pointer"))
}

/// Reads a NUL-terminated UTF-16 string of at most `max_chars` code units (the NUL not
/// counted). NULL, a longer string or invalid UTF-16 is `InvalidParameter`.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated UTF-16 string, or to at least
/// `max_chars + 1` readable code units.
pub(crate) unsafe fn wide_string(ptr: LPCWSTR, max_chars: usize) -> Result<String> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(Error::InvalidParameter("NULL or misaligned string"));
    }
    let mut units = Vec::new();
    for i in 0..=max_chars {
        // SAFETY: the string is NUL-terminated, so every unit up to the NUL is readable, and
        // the loop stops at the NUL or after `max_chars + 1` units.
        let unit = unsafe { ptr.add(i).read() };
        if unit == 0 {
            return String::from_utf16(&units)
                .map_err(|_| Error::InvalidParameter("string is not UTF-16"));
        }
        units.push(unit);
    }
    Err(Error::InvalidParameter("string too long"))
}

/// Reads a NUL-terminated ASCII string of at most `max_len` bytes (the NUL not counted), as
/// bytes without the NUL. NULL or a longer string is `InvalidParameter`.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string, or to at least `max_len + 1`
/// readable bytes.
pub(crate) unsafe fn c_string<'a>(ptr: *const CHAR, max_len: usize) -> Result<&'a [u8]> {
    if ptr.is_null() {
        return Err(Error::InvalidParameter("NULL string"));
    }
    for len in 0..=max_len {
        // SAFETY: the string is NUL-terminated, so every byte up to the NUL is readable, and
        // the loop stops at the NUL or after `max_len + 1` bytes.
        if unsafe { ptr.add(len).read() } == 0 {
            // SAFETY: the `len` bytes before the NUL were just read.
            return Ok(unsafe { core::slice::from_raw_parts(ptr.cast::<u8>(), len) });
        }
    }
    Err(Error::InvalidParameter("string too long"))
}

/// Writes `len` to the caller's `DWORD` (NULL is `InvalidParameter`).
///
/// # Safety
/// As [`out`].
pub(crate) unsafe fn write_len(ptr: *mut DWORD, len: usize) -> Result<()> {
    let len = DWORD::try_from(len).map_err(|_| Error::Internal("length exceeds a DWORD"))?;
    *caller!(out(ptr))? = len;
    Ok(())
}

/// The two-call output of Windows: `*pcbResult` always receives the full size; with NULL
/// `pbOutput` that is all (a size query), otherwise `data` is copied if it fits and
/// `NTE_BUFFER_TOO_SMALL` is returned if not.
///
/// # Safety
/// As [`output`] for `pb_output`/`cb_output` and [`out`] for `pcb_result`.
pub(crate) unsafe fn write_result(
    data: &[u8],
    pb_output: *mut u8,
    cb_output: DWORD,
    pcb_result: *mut DWORD,
) -> Result<()> {
    caller!(write_len(pcb_result, data.len()))?;
    let Some(out) = caller!(output(pb_output, cb_output)) else {
        return Ok(());
    };
    let dest = out
        .get_mut(..data.len())
        .ok_or(Error::BufferTooSmall { needed: data.len() })?;
    dest.copy_from_slice(data);
    Ok(())
}

/// Fills a fixed `WCHAR[N]` field with `text`, NUL-terminated (truncated to fit).
pub(crate) fn fill_wide<const N: usize>(field: &mut [u16; N], text: &str) {
    *field = [0; N];
    for (slot, unit) in field.iter_mut().take(N - 1).zip(text.encode_utf16()) {
        *slot = unit;
    }
}

/// `text` as a NUL-terminated UTF-16 vector.
pub(crate) fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_strings_are_bounded() {
        let text = wide("SHA256");
        // SAFETY: `text` is NUL-terminated.
        assert_eq!(unsafe { wide_string(text.as_ptr(), 64) }.unwrap(), "SHA256");
        // SAFETY: `text` is NUL-terminated.
        assert!(unsafe { wide_string(text.as_ptr(), 5) }.is_err());
        // SAFETY: NULL is checked.
        assert!(unsafe { wide_string(core::ptr::null(), 5) }.is_err());
    }

    #[test]
    fn aliased_out_parameters_are_plain_stores() {
        let mut value = 0u32;
        let shared: *mut u32 = &mut value;
        // SAFETY: `shared` points to a writable u32 for the whole test.
        let (first, second) = unsafe { (out_ptr(shared).unwrap(), out_ptr(shared).unwrap()) };
        first.write(1);
        second.write(2);
        first.write(3);
        assert_eq!(value, 3);
        // SAFETY: NULL and misalignment are checked.
        assert!(unsafe { out_ptr::<u32>(core::ptr::null_mut()) }.is_err());
        // SAFETY: as above.
        assert!(unsafe { optional_out_ptr::<u32>(core::ptr::null_mut()) }
            .unwrap()
            .is_none());
        // One byte into a `u32` array is misaligned for `u32` wherever the array sits (a
        // `[u8; 8]` may start anywhere, e.g. at 3 mod 4 under Miri's address randomization).
        let mut words = [0u32; 2];
        let misaligned = words
            .as_mut_ptr()
            .cast::<u8>()
            .wrapping_add(1)
            .cast::<u32>();
        // SAFETY: as above.
        assert!(unsafe { out_ptr(misaligned) }.is_err());
        let mut bytes = [0u8; 8];
        // SAFETY: `bytes` holds 8 writable bytes.
        let buffer = unsafe { out_buffer(bytes.as_mut_ptr(), 4) }.unwrap();
        buffer.write_prefix(b"abc").unwrap();
        assert_eq!(
            buffer.write_prefix(b"abcde"),
            Err(Error::BufferTooSmall { needed: 5 })
        );
        assert_eq!(&bytes[..4], b"abc\0");
    }

    #[test]
    fn two_call_output() {
        let mut len = 0u32;
        // SAFETY: valid pointers.
        unsafe { write_result(b"abcd", core::ptr::null_mut(), 0, &mut len) }.unwrap();
        assert_eq!(len, 4);
        let mut small = [0u8; 3];
        // SAFETY: valid pointers.
        let err = unsafe { write_result(b"abcd", small.as_mut_ptr(), 3, &mut len) };
        assert_eq!(err, Err(Error::BufferTooSmall { needed: 4 }));
        assert_eq!(len, 4);
        let mut fits = [0u8; 8];
        // SAFETY: valid pointers.
        unsafe { write_result(b"abcd", fits.as_mut_ptr(), 8, &mut len) }.unwrap();
        assert_eq!(&fits[..4], b"abcd");
    }

    // Every unsafe path of this module, for Miri (`cargo +nightly miri test -p keyward-ffi
    // --lib ptr::`): reads and writes through the caller's pointers at their bounds, NULL,
    // misalignment, and the stopping points of the string readers.

    #[test]
    fn input_slices_borrow_exactly_the_callers_bytes() {
        let bytes = [1u8, 2, 3, 4];
        // SAFETY: `bytes` has 4 readable bytes.
        assert_eq!(unsafe { input(bytes.as_ptr(), 4) }.unwrap(), &bytes);
        // SAFETY: 0 of them are read.
        assert_eq!(unsafe { input(bytes.as_ptr(), 0) }.unwrap(), &[] as &[u8]);
        // SAFETY: NULL is checked.
        let empty = unsafe { input(core::ptr::null(), 0) };
        assert_eq!(empty.unwrap(), &[] as &[u8]);
        // SAFETY: NULL is checked.
        assert!(unsafe { input(core::ptr::null(), 1) }.is_err());
        // SAFETY: NULL and empty are checked; `bytes` has 2 readable bytes from index 2.
        assert!(unsafe { required_input(core::ptr::null(), 4) }.is_err());
        // SAFETY: as above.
        assert!(unsafe { required_input(bytes.as_ptr(), 0) }.is_err());
        // SAFETY: as above.
        let tail = unsafe { required_input(bytes[2..].as_ptr(), 2) };
        assert_eq!(tail.unwrap(), &[3, 4]);
    }

    #[test]
    fn fixed_arrays_are_exactly_n_bytes() {
        let bytes = [1u8, 2, 3, 4, 5];
        // SAFETY: `bytes` has 4 readable bytes from index 1.
        let copied = unsafe { input_array::<4>(bytes[1..].as_ptr()) };
        assert_eq!(copied.unwrap(), [2, 3, 4, 5]);
        // SAFETY: NULL is checked.
        assert!(unsafe { input_array::<4>(core::ptr::null()) }.is_err());
        let mut out = [0u8; 6];
        // SAFETY: 4 writable bytes from index 1, not otherwise referenced.
        let array = unsafe { output_array::<4>(out[1..].as_mut_ptr()) }.unwrap();
        *array = *b"wxyz";
        assert_eq!(&out, b"\0wxyz\0");
        // SAFETY: NULL is checked.
        assert!(unsafe { output_array::<4>(core::ptr::null_mut()) }.is_err());
        // SAFETY: NULL is checked.
        assert!(unsafe { required_output(core::ptr::null_mut(), 4) }.is_err());
    }

    #[test]
    fn output_slices_write_only_the_callers_bytes() {
        let mut buffer = [0u8; 6];
        // SAFETY: 4 writable bytes from index 1, not otherwise referenced.
        let out = unsafe { output(buffer[1..].as_mut_ptr(), 4) }.unwrap();
        out.copy_from_slice(b"abcd");
        assert_eq!(&buffer, b"\0abcd\0");
        // SAFETY: NULL is checked.
        assert!(unsafe { output(core::ptr::null_mut(), 8) }.is_none());
    }

    #[test]
    fn out_and_in_ref_check_null_and_alignment() {
        let mut words = [0u32; 2];
        // SAFETY: a writable, aligned `u32`.
        *unsafe { out(&mut words[1] as *mut u32) }.unwrap() = 7;
        assert_eq!(words, [0, 7]);
        // SAFETY: NULL is checked.
        assert!(unsafe { out::<u32>(core::ptr::null_mut()) }.is_err());
        let misaligned = words
            .as_mut_ptr()
            .cast::<u8>()
            .wrapping_add(1)
            .cast::<u32>();
        // SAFETY: misalignment is checked before any access.
        assert!(unsafe { out(misaligned) }.is_err());
        // SAFETY: a readable, aligned `u32`.
        assert_eq!(*unsafe { in_ref(&words[1] as *const u32) }.unwrap(), 7);
        // SAFETY: NULL is checked.
        assert!(unsafe { in_ref::<u32>(core::ptr::null()) }.is_err());
        // SAFETY: misalignment is checked before any access.
        assert!(unsafe { in_ref(misaligned.cast_const()) }.is_err());
    }

    #[test]
    fn lengths_are_written_through_the_callers_pointer() {
        let mut len: DWORD = 0;
        // SAFETY: a writable `DWORD`.
        unsafe { write_len(&mut len, 42) }.unwrap();
        assert_eq!(len, 42);
        // SAFETY: NULL is checked.
        assert!(unsafe { write_len(core::ptr::null_mut(), 1) }.is_err());
        // SAFETY: a writable `DWORD`; the length is refused before the write.
        let too_long = unsafe { write_len(&mut len, usize::MAX) };
        assert_eq!(too_long, Err(Error::Internal("length exceeds a DWORD")));
        assert_eq!(len, 42);
        let mut data = [0u8; 4];
        // SAFETY: NULL `pcbResult` is checked first; nothing is written to `data`.
        let missing = unsafe { write_result(b"ab", data.as_mut_ptr(), 4, core::ptr::null_mut()) };
        assert!(missing.is_err());
        assert_eq!(data, [0; 4]);
    }

    #[test]
    fn wide_strings_stop_at_the_nul_or_the_limit() {
        // Exactly `max_chars` units before the NUL: read to the NUL, no further.
        let exact = wide("abcd");
        // SAFETY: NUL-terminated.
        assert_eq!(unsafe { wide_string(exact.as_ptr(), 4) }.unwrap(), "abcd");
        // No NUL within the limit: at most `max_chars + 1` units are read.
        let unterminated = [0x41u16; 3];
        // SAFETY: 3 readable units = `max_chars + 1`.
        assert!(unsafe { wide_string(unterminated.as_ptr(), 2) }.is_err());
        // A lone surrogate is not UTF-16.
        let lone = [0xD800u16, 0];
        // SAFETY: NUL-terminated.
        assert!(unsafe { wide_string(lone.as_ptr(), 8) }.is_err());
        let empty = [0u16];
        // SAFETY: NUL-terminated.
        assert_eq!(unsafe { wide_string(empty.as_ptr(), 0) }.unwrap(), "");
        let units = [0x41u16, 0x42, 0];
        let misaligned = units.as_ptr().cast::<u8>().wrapping_add(1).cast::<u16>();
        // SAFETY: misalignment is checked before any read.
        assert!(unsafe { wide_string(misaligned, 8) }.is_err());
    }

    #[test]
    fn c_strings_stop_at_the_nul_or_the_limit() {
        let text = b"label\0";
        // SAFETY: NUL-terminated.
        let read = unsafe { c_string(text.as_ptr().cast(), 5) }.unwrap();
        assert_eq!(read, b"label");
        // SAFETY: 6 readable bytes = `max_len + 1`, no NUL among the first 5.
        assert!(unsafe { c_string(text.as_ptr().cast(), 4) }.is_err());
        // SAFETY: NULL is checked.
        assert!(unsafe { c_string(core::ptr::null(), 4) }.is_err());
        let empty = [0 as CHAR];
        // SAFETY: NUL-terminated.
        assert_eq!(unsafe { c_string(empty.as_ptr(), 0) }.unwrap(), b"");
    }

    #[test]
    fn fixed_wide_fields_are_truncated_and_terminated() {
        let mut field = [0xFFFFu16; 4];
        fill_wide(&mut field, "abcdef");
        assert_eq!(field, [0x61, 0x62, 0x63, 0]);
        fill_wide(&mut field, "a");
        assert_eq!(field, [0x61, 0, 0, 0]);
    }
}
