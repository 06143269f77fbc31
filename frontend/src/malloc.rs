//! The allocator of this process and its settings.
//!
//! **musl (the image's binary, scripts/build-image):** mimalloc, with freed pages given back at
//! once (`purge_delay` 0). musl's own malloc takes a lock on every call and was a quarter of the
//! CPU time on the 500-stage file; mimalloc keeps per-thread free lists. Without the immediate
//! purge its peak RSS was half again glibc's (docs/performance-history.md, "musl (session 7)").
//!
//! **glibc (the host's builds, and the image's binary where the musl target cannot be had):**
//! glibc serves a request of at least the *mmap threshold* (128 KiB to start with) by a mapping of
//! its own, returned to the system when freed, and raises the threshold to the size of each such
//! block freed. The converter frees large buffers early (the file's copies, the growing vectors of
//! a big graph), so the threshold soon reached megabytes and later large blocks were carved from
//! the heap, where their pages stayed resident after use. Fixed at 64 KiB, every large block comes
//! and goes with its mapping: peak RSS on the 500-stage file 13.4 -> 11.3 MB, on 5,000 stages
//! 95.3 -> 82.9 MB, CPU time unchanged (docs/performance-history.md, "The replay harness").

use llb_gen::llb::Teardown;

/// glibc's fixed mmap threshold, in bytes.
pub const MMAP_THRESHOLD: i32 = 64 * 1024;

/// What becomes of the converted graph once its Definition is written.
///
/// mimalloc frees it cheaply and returns its pages before the `Solve` is encoded: peak RSS on
/// 5,000 stages 76.9 -> 49.4 MB for 7 % more CPU. glibc's free of it cost 7 % of the CPU on 500
/// stages and 14 % on 5,000 (consolidating chunks over the whole heap): there it is left to the
/// process's exit.
pub const GRAPH_TEARDOWN: Teardown = if cfg!(target_env = "musl") {
    Teardown::Free
} else {
    Teardown::Leave
};

/// Applies the settings; call first thing in `main`, before the runtime's threads exist.
/// False when the allocator refused them (its defaults then stay) or is neither of the above.
#[allow(unsafe_code)]
pub fn tune() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's parameters, and is called before any
        // other thread exists; it returns 0 when it refuses the value.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 0 }
    }
    #[cfg(target_env = "musl")]
    {
        // SAFETY: mi_option_set only stores the option's value, before any other thread exists.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
            libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_RESERVE, ARENA_RESERVE_KIB);
        }
        true
    }
    #[cfg(not(any(all(target_os = "linux", target_env = "gnu"), target_env = "musl")))]
    {
        false
    }
}

/// The build is over and the process about to exit: what is freed from now on (the runtime, the
/// connection's buffers) stays with the allocator. With `purge_delay` 0 every freed page went
/// back to the system at once: ten `madvise` calls at the exit of a small build, for pages the
/// exit takes back anyway.
#[allow(unsafe_code)]
pub fn exiting() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's parameters (under its lock).
        unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        }
    }
    #[cfg(target_env = "musl")]
    {
        // SAFETY: mi_option_set only stores the option's value; -1 is "never purge".
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// mimalloc's `mi_option_purge_delay`, by its place in `mi_option_e` (mimalloc.h): the crate
/// names only the options that every version of mimalloc has.
#[cfg(target_env = "musl")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc's `mi_option_arena_reserve` (KiB), likewise.
#[cfg(target_env = "musl")]
const MI_OPTION_ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;

/// The address space mimalloc reserves at a time: 32 MiB instead of 1 GiB, whose free-page
/// bitmaps it sets up at start (42 page faults of the 257 of a small build).
#[cfg(target_env = "musl")]
const ARENA_RESERVE_KIB: std::ffi::c_long = 32 * 1024;

#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Definition at least this large is sent after [`release_free`]: its message is encoded
/// into fresh mappings of about its size, twice (the Definition and tonic's encoding of the
/// `Solve`).
pub const RELEASE_BEFORE_BYTES: usize = 1 << 20;

/// Gives the allocator's free pages back to the system (glibc's `malloc_trim`, mimalloc's
/// `mi_collect`). What the converter freed (its graph, the instructions) stays resident in the
/// heap otherwise, under the mappings of the message sent next: with glibc, 5,000 stages peaked
/// at 78.7 MB while sending a 13 MB Definition, on top of the 53 MB the heap had reached. Costs
/// a walk of the free chunks.
#[allow(unsafe_code)]
pub fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free memory of the allocator's own arenas to the
        // system; it is safe to call at any time from any thread.
        unsafe {
            libc::malloc_trim(0);
        }
    }
    #[cfg(target_env = "musl")]
    {
        // SAFETY: mi_collect only frees this thread's cached free pages; safe from any thread.
        unsafe { libmimalloc_sys::mi_collect(true) };
    }
}
