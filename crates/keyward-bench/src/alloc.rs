//! The counting global allocator: the system allocator, plus a count of the bytes live and of
//! the allocations made, read around the calls into one side of a connection.

// The only `unsafe` in the crate: `GlobalAlloc` is an unsafe trait, and each method forwards
// to the system allocator under the same contract its caller accepted.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

// Counted per thread: a connection is driven by one thread, and the tests that run beside
// each other on other threads do not disturb its counts. (Plain `Cell`s with constant
// initialisers: reading them never allocates.)
thread_local! {
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting.
pub struct Counting;

fn grow(bytes: usize) {
    let _ = LIVE_BYTES.try_with(|live| live.set(live.get() + bytes as i64));
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

fn shrink(bytes: usize) {
    let _ = LIVE_BYTES.try_with(|live| live.set(live.get() - bytes as i64));
}

// SAFETY: every method hands its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are thread-local cells and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's `layout` contract is `System.alloc`'s.
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            grow(layout.size());
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            grow(layout.size());
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from this allocator (so from `System`) with `layout`.
        unsafe { System.dealloc(block, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `block` came from `System` with `layout`; the caller checked `new_size`.
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            shrink(layout.size());
            grow(new_size);
        }
        moved
    }
}

/// Bytes allocated and not yet freed by this thread (its frees counted against it).
pub fn live_bytes() -> i64 {
    LIVE_BYTES.with(Cell::get)
}

/// Allocations (and reallocations) this thread made so far.
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}
