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
//! next request of that class (`classes.rs`): glibc's `malloc` and `free` were a fifth of the
//! conversion's instructions.
//!
//! Elsewhere (musl, other systems) the allocator is the system's, untouched.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod classes;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc;

/// Applies the settings and starts watching the heap; call first thing in `main`, before any
/// other thread exists. Where glibc refuses a setting, or this is not glibc, its defaults stay.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::tune();
}

/// The part of the heap to fault in when its end moved from `seen` to `brk`: whole pages of
/// `page` bytes (a power of two), from the page holding `seen` to the page end past `brk`; none
/// when the heap did not grow.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
fn fresh(seen: usize, brk: usize, page: usize) -> Option<(usize, usize)> {
    if brk <= seen {
        return None;
    }
    let start = seen & !(page - 1);
    let end = brk.checked_add(page - 1)? & !(page - 1);
    Some((start, end - start))
}

#[cfg(test)]
mod tests {
    use super::fresh;

    #[test]
    fn the_part_to_fault_in_is_whole_pages_from_the_old_end_to_the_new() {
        assert_eq!(fresh(0x1000, 0x1000, 0x1000), None);
        assert_eq!(fresh(0x5000, 0x4000, 0x1000), None);
        assert_eq!(fresh(0x1000, 0x41000, 0x1000), Some((0x1000, 0x40000)));
        // Unaligned ends: the page holding the old end, up to the page end past the new one.
        assert_eq!(fresh(0x1234, 0x3001, 0x1000), Some((0x1000, 0x3000)));
        assert_eq!(fresh(usize::MAX - 10, usize::MAX, 0x1000), None);
    }
}
