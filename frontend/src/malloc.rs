//! The C allocator's settings for this process (glibc's malloc; the image's binary links it
//! statically).
//!
//! glibc serves a request of at least the *mmap threshold* (128 KiB to start with) by a
//! mapping of its own, returned to the system when freed, and raises the threshold to the size
//! of each such block freed. The converter frees large buffers early (the file's copies, the
//! growing vectors of a big graph), so the threshold soon reached megabytes and later large
//! blocks were carved from the heap, where their pages stayed resident after use. Fixed at
//! 64 KiB, every large block comes and goes with its mapping: peak RSS on the 500-stage file
//! 13.4 -> 11.3 MB, on 5,000 stages 95.3 -> 82.9 MB, CPU time unchanged
//! (docs/performance.md, "The replay harness").

/// The fixed mmap threshold, in bytes.
pub const MMAP_THRESHOLD: i32 = 64 * 1024;

/// Applies the settings; call first thing in `main`, before the runtime's threads exist.
/// False when the allocator refused them (its defaults then stay) or is not glibc's.
#[allow(unsafe_code)]
pub fn tune() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's parameters, and is called before any
        // other thread exists; it returns 0 when it refuses the value.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 0 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
