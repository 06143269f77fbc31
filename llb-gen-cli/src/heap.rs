//! The CLI's heap: glibc's malloc, set up for one conversion and the exit.
//!
//! A run touches its heap once, page by page, and exits: on the 500-stage file about 1,750 page
//! faults, most of them the first write to a fresh heap page (a chunk header in `_int_malloc`, a
//! growing vector's copy in `memmove`). On this kind of virtual machine a fault is a trap to the
//! hypervisor, and faults were a fifth of the run's CPU time (`perf record`, 2026-11-27). So:
//!
//! - blocks under 4 MiB come from the heap (glibc's threshold for a block of its own starts at
//!   128 KiB and moves), and freed memory is never handed back while the process lives: it is
//!   reused instead of faulted in again;
//! - the heap grows 256 KiB past each request, and each time it has grown, the new part is
//!   faulted in by one `madvise(MADV_POPULATE_WRITE)` (Linux 5.14) instead of one trap per page.
//!
//! On the 500-stage file: 1,748 -> 321 page faults, 18.9 -> 17.1 ms wall, peak RSS +0.2 MB (the
//! pages past the last request); docs/performance.md, "Eleventh session". A kernel without the
//! call, or a refusal, turns the populating off: the pages then come one fault at a time.
//!
//! And a freed block of at most 1 KiB is kept on a list of its size class, per thread, for the
//! next request of that class, and the smallest blocks are cut from chunks of 64 KiB instead of
//! asked of glibc one by one (`classes.rs`): glibc's `malloc` and `free` were a fifth of the
//! conversion's instructions.
//!
//! The executable also has its own `memcmp` and `bcmp` (`compare.rs`): glibc's AVX-512 variant,
//! which it picks on CPUs that have it, was slow on the conversion's many short comparisons.
//!
//! Elsewhere (musl, other systems) the allocator is the system's, untouched.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod classes;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod compare;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc;

/// Applies the settings and starts watching the heap; call first thing in `main`, before any
/// other thread exists. Where glibc refuses a setting, or this is not glibc, its defaults stay.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::tune();
}
