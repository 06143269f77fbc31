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

/// A Definition at least this large is sent after [`release_free`]: its message is encoded
/// into fresh mappings of about its size, twice (the Definition and tonic's encoding of the
/// `Solve`).
pub const RELEASE_BEFORE_BYTES: usize = 1 << 20;

/// Gives the heap's free pages back to the system (glibc's `malloc_trim`). What the converter
/// freed (its graph, the instructions) stays resident in the heap otherwise, under the
/// mappings of the message sent next: 5,000 stages peaked at 78.7 MB while sending a 13 MB
/// Definition, on top of the 53 MB the heap had reached. Costs a walk of the free chunks.
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
}
