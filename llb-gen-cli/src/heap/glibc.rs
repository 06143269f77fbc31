//! glibc's settings, and the allocator over glibc's: small freed blocks kept per size class
//! (`classes.rs`), each new part of the heap faulted in by one call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::classes;

/// Blocks of at least this many bytes get a mapping of their own. Under it, the heap: a bigger
/// threshold (32 MiB) was no faster, and raised the peak of a file stopped at the 8 MiB limit
/// from 20.5 to 29.7 MB (23.8 MB at 4 MiB); 1 MiB left 130 more faults on the 500-stage file.
const MMAP_THRESHOLD: i32 = 4 << 20;

/// What the heap grows by past each request, and so the size of each part faulted in at once.
const TOP_PAD: i32 = 256 << 10;

/// The heap's end as last seen, and the page size.
struct Watch {
    /// `usize::MAX` while nothing is watched (before `tune`, and after a refusal): no block
    /// ends past it.
    seen: AtomicUsize,
    page: AtomicUsize,
}

impl Watch {
    const fn off() -> Self {
        Watch {
            seen: AtomicUsize::new(usize::MAX),
            page: AtomicUsize::new(0),
        }
    }

    fn start(&self, brk: usize, page: usize) {
        self.page.store(page, Ordering::Relaxed);
        self.seen.store(brk, Ordering::Relaxed);
    }

    /// After a block `[ptr, ptr + size)` was handed out: past the end seen last, the heap may
    /// have grown.
    #[inline(always)]
    fn handed_out(&self, ptr: *mut u8, size: usize) {
        if (ptr as usize).saturating_add(size) > self.seen.load(Ordering::Relaxed) {
            self.grown(current_end);
        }
    }

    /// Faults in what the heap grew by since it was last seen (`end` reads its end now). A block
    /// of its own, mapped above the heap, comes here too and finds the end where it was.
    #[cold]
    #[inline(never)]
    #[allow(unsafe_code)]
    fn grown(&self, end: fn() -> usize) {
        let seen = self.seen.load(Ordering::Relaxed);
        if seen == usize::MAX {
            return;
        }
        let Some((start, len)) = fresh(seen, end(), self.page.load(Ordering::Relaxed)) else {
            return;
        };
        if self
            .seen
            .compare_exchange(seen, start + len, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        // SAFETY: [start, start + len) lies within the heap's mapping (the page holding the old
        // end up to the page end past the new one), private anonymous memory: populating it
        // writes nothing the allocator could see, it only backs the pages now instead of at
        // their first write.
        let refused = unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) != 0
        };
        if refused {
            // A kernel before 5.14, or no memory to back the pages yet: one fault at a time.
            self.seen.store(usize::MAX, Ordering::Relaxed);
        }
    }
}

static WATCH: Watch = Watch::off();

/// The part of the heap to fault in when its end moved from `seen` to `brk`: whole pages of
/// `page` bytes (a power of two), from the page holding `seen` to the page end past `brk`; none
/// when the heap did not grow.
fn fresh(seen: usize, brk: usize, page: usize) -> Option<(usize, usize)> {
    if brk <= seen {
        return None;
    }
    let start = seen & !(page - 1);
    let end = brk.checked_add(page - 1)? & !(page - 1);
    Some((start, end - start))
}

/// The heap's end now.
#[allow(unsafe_code)]
fn current_end() -> usize {
    // SAFETY: sbrk(0) only reads the current end of the heap.
    unsafe { libc::sbrk(0) as usize }
}

/// The system's allocator, with small freed blocks kept and the heap watched.
struct Prefaulting;

#[global_allocator]
static HEAP: Prefaulting = Prefaulting;

#[allow(unsafe_code)]
pub(super) fn tune() {
    // SAFETY: mallopt only changes the allocator's parameters, sysconf only reads; called
    // before any other thread exists.
    let (accepted, page) = unsafe {
        let accepted = libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 0
            && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) != 0
            && libc::mallopt(libc::M_TOP_PAD, TOP_PAD) != 0;
        (accepted, libc::sysconf(libc::_SC_PAGESIZE))
    };
    let brk = current_end();
    match usize::try_from(page) {
        Ok(page) if accepted && page.is_power_of_two() && brk != usize::MAX => {
            WATCH.start(brk, page);
        }
        _ => {}
    }
}

/// The layout every block of class `c` is allocated at, so that any block of the class can serve
/// any request of it.
#[inline(always)]
fn class_layout(c: usize) -> Layout {
    // A class size is a non-zero multiple of 16 up to 1 KiB, and 16 a power of two: the fallback,
    // the largest class's layout, is never taken.
    Layout::from_size_align(classes::class_size(c), 16).unwrap_or(Layout::new::<[u128; 64]>())
}

impl Prefaulting {
    /// A new block of the carved class `c`, cut from this thread's chunk or from a new one.
    #[inline(always)]
    #[allow(unsafe_code)]
    fn cut(&self, c: usize) -> *mut u8 {
        let block = classes::cut(c);
        if !block.is_null() {
            return block;
        }
        let layout = Layout::new::<[u128; classes::CHUNK / 16]>();
        // SAFETY: a non-zero size.
        let chunk = unsafe { System.alloc(layout) };
        if chunk.is_null() {
            return chunk;
        }
        WATCH.handed_out(chunk, layout.size());
        classes::refill(chunk);
        classes::cut(c)
    }
}

// SAFETY: every block comes from the system's allocator, and goes back to it with the layout it
// was allocated at (`class_layout` for a size class), unless a size-class list keeps it for a
// later request of the same class; a block of a carved class is cut from a chunk the system's
// allocator gave, and never goes back to it. The watch only reads the returned pointer's value.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Prefaulting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let layout = match classes::class(layout.size(), layout.align()) {
            Some(c) => {
                let block = classes::take(c);
                if !block.is_null() {
                    return block;
                }
                if classes::carved(c) {
                    return self.cut(c);
                }
                class_layout(c)
            }
            None => layout,
        };
        // SAFETY: the caller's contract, passed on; a class's layout only raises the size and
        // the alignment.
        let ptr = unsafe { System.alloc(layout) };
        WATCH.handed_out(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if classes::class(layout.size(), layout.align()).is_none() {
            // SAFETY: the caller's contract, passed on.
            let ptr = unsafe { System.alloc_zeroed(layout) };
            WATCH.handed_out(ptr, layout.size());
            return ptr;
        }
        // A block from a list holds what its last owner wrote.
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { self.alloc(layout) };
        if !ptr.is_null() {
            // SAFETY: the block is at least `layout.size()` bytes and ours.
            unsafe { ptr.write_bytes(0, layout.size()) };
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old, new) = (
            classes::class(layout.size(), layout.align()),
            classes::class(new_size, layout.align()),
        );
        if old.is_none() && new.is_none() {
            // SAFETY: the caller's contract, passed on; the block was allocated at `layout`.
            let new = unsafe { System.realloc(ptr, layout, new_size) };
            WATCH.handed_out(new, new_size);
            return new;
        }
        if old.is_some() && old == new {
            // The block is its class's size, which the new size fits.
            return ptr;
        }
        // SAFETY: the caller's contract: `new_size` rounded up to `layout.align()` does not
        // overflow, and the alignment is a power of two.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` has a non-zero size (the caller's contract).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are ours, distinct, and at least as long as the copy.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let layout = match classes::class(layout.size(), layout.align()) {
            // SAFETY: a block of class `c` was allocated at the class's layout (`alloc`), and
            // the caller gives it up.
            Some(c) if unsafe { classes::keep(c, ptr) } => return,
            // A carved block is always kept (above); were it not, it is still not glibc's to
            // take back: it stays allocated.
            Some(c) if classes::carved(c) => return,
            Some(c) => class_layout(c),
            None => layout,
        };
        // SAFETY: the caller's contract; the block was allocated at `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::{fresh, Watch};
    use std::sync::atomic::Ordering;

    const PAGE: usize = 4096;

    /// A fresh private anonymous mapping of `pages` pages, unmapped on drop.
    struct Mapping(usize, usize);

    impl Mapping {
        #[allow(unsafe_code)]
        fn new(pages: usize) -> Mapping {
            let len = pages * PAGE;
            // SAFETY: asks for a new mapping; nothing else is touched.
            let map = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(map, libc::MAP_FAILED);
            Mapping(map as usize, len)
        }

        /// Whether each page is resident, by `mincore`.
        #[allow(unsafe_code)]
        fn resident(&self) -> Vec<bool> {
            let mut flags = vec![0u8; self.1 / PAGE];
            // SAFETY: the range is this mapping, and `flags` holds one byte per page.
            let r =
                unsafe { libc::mincore(self.0 as *mut libc::c_void, self.1, flags.as_mut_ptr()) };
            assert_eq!(r, 0, "mincore: {}", std::io::Error::last_os_error());
            flags.iter().map(|f| f & 1 == 1).collect()
        }
    }

    impl Drop for Mapping {
        #[allow(unsafe_code)]
        fn drop(&mut self) {
            // SAFETY: this mapping, no longer used.
            unsafe { libc::munmap(self.0 as *mut libc::c_void, self.1) };
        }
    }

    thread_local! {
        static END: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn pretend_end() -> usize {
        END.with(std::cell::Cell::get)
    }

    /// A pretend heap in a mapping of its own (the test threads' blocks come from glibc's
    /// per-thread arenas, not the main heap): each time its end moves, the new pages and only
    /// those are backed, their contents untouched.
    #[test]
    fn each_new_part_of_the_heap_is_backed_in_one_call() {
        let map = Mapping::new(64);
        let watch = Watch::off();
        watch.start(map.0 + 3, PAGE);
        END.with(|e| e.set(map.0 + 10 * PAGE + 5));
        watch.grown(pretend_end);
        let resident = map.resident();
        assert!(resident[..11].iter().all(|r| *r), "{resident:?}");
        assert!(resident[11..].iter().all(|r| !r), "{resident:?}");
        assert_eq!(watch.seen.load(Ordering::Relaxed), map.0 + 11 * PAGE);

        // A block handed out below the end seen: nothing to do.
        watch.handed_out((map.0 + PAGE) as *mut u8, 100);
        assert!(map.resident()[11..].iter().all(|r| !r));

        END.with(|e| e.set(map.0 + 64 * PAGE));
        watch.handed_out((map.0 + 20 * PAGE) as *mut u8, 100);
        // SAFETY: the mapping is readable and this long.
        #[allow(unsafe_code)]
        let bytes = unsafe { std::slice::from_raw_parts(map.0 as *const u8, map.1) };
        assert!(bytes.iter().all(|b| *b == 0));
        assert!(map.resident().iter().all(|r| *r));
    }

    /// A refusal (here: pages that may not be written) turns the watch off for good.
    #[test]
    #[allow(unsafe_code)]
    fn a_refused_call_turns_the_watch_off() {
        let map = Mapping::new(4);
        let watch = Watch::off();
        // Nothing is watched before `start`.
        watch.handed_out(map.0 as *mut u8, 100);
        assert!(map.resident().iter().all(|r| !r));
        // SAFETY: the range is the mapping above, which nothing else uses.
        let r = unsafe { libc::mprotect(map.0 as *mut libc::c_void, map.1, libc::PROT_READ) };
        assert_eq!(r, 0);
        watch.start(map.0, PAGE);
        END.with(|e| e.set(map.0 + 2 * PAGE));
        watch.grown(pretend_end);
        assert_eq!(watch.seen.load(Ordering::Relaxed), usize::MAX);
        END.with(|e| e.set(map.0 + 4 * PAGE));
        watch.handed_out((map.0 + 3 * PAGE) as *mut u8, 100);
        assert_eq!(watch.seen.load(Ordering::Relaxed), usize::MAX);
    }

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
