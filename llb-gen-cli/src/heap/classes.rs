//! Small freed blocks kept per thread and handed out again before glibc is asked.
//!
//! A conversion makes and frees about 150,000 small blocks; on the 500-stage file glibc's
//! `malloc` and `free` were about 29M of its 154M instructions, and 125,000 of the frees missed
//! glibc's own per-thread cache (seven blocks a size) for its slower path (callgrind). Here a
//! freed block of at most 1 KiB goes onto a list of its size class (16 bytes apart), and the next
//! request of that class takes it back: a few instructions each way. Blocks of a class are all
//! allocated at the class's size, so any block on a list fits any request of its class.
//!
//! The smallest classes (to [`CARVED`] x 16 bytes, most of the blocks a conversion makes) do not
//! come from glibc one by one either: they are cut from a chunk of [`CHUNK`] bytes per thread, end
//! to end, without glibc's header and its 32-byte minimum, and never go back to glibc, so their
//! lists have no bound. The other classes come from glibc and a list keeps at most [`CAP`] of
//! them; a further freed block goes back. On the 500-stage file, 40 alternating runs: 15.39 ->
//! 14.39 ms CPU and peak RSS -0.35 MB with four such classes; with all of them 14.50 ms and
//! +1.1 MB (blocks of one size cannot serve another).

use std::cell::Cell;

/// Size classes: 16, 32, ..., 1024 bytes.
const CLASSES: usize = 64;

/// The most blocks a list of a class from glibc keeps; a further freed block goes back to glibc.
/// 16 to 64 saved 12.5M to 13.8M instructions on the 500-stage file for 0.1 to 0.25 MB of peak
/// RSS; unbounded lists saved 21M and cost 1.4 MB.
const CAP: u32 = 32;

/// The classes cut from a chunk (16 to 64 bytes). Eight (to 128 bytes) used 0.14-0.23 ms less
/// CPU for 0.15-0.4 MB more memory (two measurements), sixteen 0.4 ms less for 1.3 MB more.
const CARVED: usize = 4;

/// The size of the chunks small blocks are cut from (glibc's block; a chunk's last bytes, when
/// too few for the block asked, are left unused).
pub(super) const CHUNK: usize = 64 << 10;

/// The class of a block of `size` bytes aligned to `align`, or none when the system's allocator
/// serves it directly (over 1 KiB, empty, or aligned past glibc's 16 bytes).
#[inline(always)]
pub(super) fn class(size: usize, align: usize) -> Option<usize> {
    if size == 0 || size > CLASSES * 16 || align > 16 {
        None
    } else {
        Some((size - 1) / 16)
    }
}

/// The size every block of class `c` is allocated at.
#[inline(always)]
pub(super) fn class_size(c: usize) -> usize {
    (c + 1) * 16
}

/// Whether blocks of class `c` are cut from a chunk (and never go back to glibc).
#[inline(always)]
pub(super) fn carved(c: usize) -> bool {
    c < CARVED
}

/// One list: its first block (each block's first word holds the next one's address) and length.
struct List {
    head: Cell<*mut u8>,
    len: Cell<u32>,
}

/// What is left of this thread's chunk: where the next block starts and how many bytes are left.
struct Chunk {
    next: Cell<*mut u8>,
    left: Cell<usize>,
}

thread_local! {
    static CUT: Chunk = const {
        Chunk {
            next: Cell::new(std::ptr::null_mut()),
            left: Cell::new(0),
        }
    };
    // Const-initialized and without a destructor: no registration at thread start, and usable
    // until the thread's very end (blocks on a list when a thread ends stay allocated).
    static LISTS: [List; CLASSES] = const {
        [const {
            List {
                head: Cell::new(std::ptr::null_mut()),
                len: Cell::new(0),
            }
        }; CLASSES]
    };
}

/// A block of class `c` from this thread's list, or null when the list is empty.
#[inline(always)]
#[allow(unsafe_code)]
pub(super) fn take(c: usize) -> *mut u8 {
    LISTS
        .try_with(|lists| {
            let Some(list) = lists.get(c) else {
                return std::ptr::null_mut();
            };
            let block = list.head.get();
            if !block.is_null() {
                // SAFETY: a block on the list is at least 16 bytes, 16-aligned, and owned by the
                // list; its first word holds the next block's address (see `keep`).
                list.head.set(unsafe { block.cast::<*mut u8>().read() });
                list.len.set(list.len.get() - 1);
            }
            block
        })
        .unwrap_or(std::ptr::null_mut())
}

/// A new block of the carved class `c` cut from this thread's chunk, or null when too little of it
/// is left (the caller hands over a new one with [`refill`]).
#[inline(always)]
pub(super) fn cut(c: usize) -> *mut u8 {
    CUT.try_with(|chunk| {
        let (size, left) = (class_size(c), chunk.left.get());
        if left < size {
            return std::ptr::null_mut();
        }
        let block = chunk.next.get();
        // The chunk holds `left` more bytes from `block`.
        chunk.next.set(block.wrapping_add(size));
        chunk.left.set(left - size);
        block
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Makes `chunk`, [`CHUNK`] bytes aligned to 16 that the caller gives up, this thread's chunk to
/// cut blocks from.
pub(super) fn refill(chunk: *mut u8) {
    let _ = CUT.try_with(|cut| {
        cut.next.set(chunk);
        cut.left.set(CHUNK);
    });
}

/// Keeps the freed block `block` of class `c` on this thread's list; false when the list of a
/// class from glibc is full (the caller frees it). A carved block is always kept.
///
/// # Safety
/// `block` was allocated at `class_size(c)` with an alignment of at most 16, and the caller gives
/// up its ownership when this returns true.
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn keep(c: usize, block: *mut u8) -> bool {
    LISTS
        .try_with(|lists| {
            let Some(list) = lists.get(c) else {
                return false;
            };
            if list.len.get() >= CAP && !carved(c) {
                return false;
            }
            // SAFETY: the caller's contract: the block is ours, at least 16 bytes and aligned
            // for a pointer.
            unsafe { block.cast::<*mut u8>().write(list.head.get()) };
            list.head.set(block);
            list.len.set(list.len.get() + 1);
            true
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    //! These run under the test binary's global allocator, which is this crate's: the lists are
    //! the ones every allocation of the tests goes through.
    use super::{class, class_size};

    #[test]
    fn sizes_up_to_a_kibibyte_with_glibcs_alignment_have_a_class() {
        assert_eq!(class(0, 1), None);
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(16, 8), Some(0));
        assert_eq!(class(17, 8), Some(1));
        assert_eq!(class(1024, 16), Some(63));
        assert_eq!(class_size(63), 1024);
        assert_eq!(class(1025, 8), None);
        assert_eq!(class(64, 32), None);
    }

    #[test]
    fn a_kept_block_comes_back_zeroed_when_asked_so() {
        let dirty = vec![0xAAu8; 100];
        let at = dirty.as_ptr();
        drop(dirty);
        // `vec![0; n]` asks for zeroed memory: the same block, from this thread's list.
        #[allow(clippy::useless_vec)] // the block on the heap is the point
        let zeroed = vec![0u8; 100];
        assert_eq!(zeroed.as_ptr(), at, "the freed block was not kept");
        assert!(zeroed.iter().all(|b| *b == 0));
    }

    #[test]
    fn growing_within_a_class_keeps_the_block_and_across_classes_the_bytes() {
        let mut v: Vec<u8> = Vec::with_capacity(20);
        let at = v.as_ptr();
        v.reserve_exact(30);
        assert_eq!(v.as_ptr(), at, "20 and 30 bytes are one class (17 to 32)");
        v.extend(0..=255u8);
        v.extend(0..=255u8);
        v.extend(std::iter::repeat_n(7u8, 5000));
        assert!(v[..256].iter().copied().eq(0..=255u8));
        assert!(v[256..512].iter().copied().eq(0..=255u8));
        assert!(v[512..].iter().all(|b| *b == 7));
        v.truncate(10);
        v.shrink_to_fit();
        assert!(v.iter().copied().eq(0..10u8));
    }

    /// Small blocks, enough for several chunks: each 16-aligned, none overlapping another, each
    /// keeping its bytes; freed, the last one is the first the class hands out again.
    #[test]
    fn small_blocks_are_cut_apart() {
        let blocks: Vec<Box<[u8; 48]>> = (0..5000u32).map(|i| Box::new([i as u8; 48])).collect();
        let mut at: Vec<usize> = blocks.iter().map(|b| b.as_ptr() as usize).collect();
        assert!(at.iter().all(|a| a % 16 == 0));
        at.sort_unstable();
        assert!(at.windows(2).all(|w| w[1] - w[0] >= 48), "blocks overlap");
        for (i, b) in blocks.iter().enumerate() {
            assert!(b.iter().all(|x| *x == i as u8));
        }
        let last = blocks.last().map(|b| b.as_ptr() as usize);
        drop(blocks);
        // 40 bytes: the class of 33 to 48.
        let again = Box::new([7u8; 40]);
        assert_eq!(Some(again.as_ptr() as usize), last);
    }

    /// Blocks of every class and beyond, made, grown, checked and freed on four threads, a part of
    /// them freed on another thread than their own: every block keeps what its owner wrote.
    #[test]
    fn blocks_keep_their_bytes_across_threads() {
        let (send, receive) = std::sync::mpsc::channel::<(u8, Vec<u8>)>();
        let workers: Vec<_> = (0..4u8)
            .map(|t| {
                let send = send.clone();
                std::thread::spawn(move || {
                    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(t);
                    let mut live: Vec<(u8, Vec<u8>)> = Vec::new();
                    for i in 0..20_000u32 {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        let size = (seed >> 33) as usize % 1500 + 1;
                        let mark = (i as u8) ^ t;
                        let mut block = vec![mark; size];
                        if seed & 4 == 0 {
                            block.resize(size * 2 + 7, mark);
                        }
                        live.push((mark, block));
                        if live.len() > 200 || seed & 8 == 0 {
                            let k = (seed >> 20) as usize % live.len();
                            let (mark, block) = live.swap_remove(k);
                            assert!(block.iter().all(|b| *b == mark));
                            if seed & 16 == 0 {
                                let _ = send.send((mark, block));
                            }
                        }
                    }
                    live.iter().all(|(mark, b)| b.iter().all(|x| x == mark))
                })
            })
            .collect();
        drop(send);
        let checker = std::thread::spawn(move || {
            receive
                .iter()
                .all(|(mark, block)| block.iter().all(|b| *b == mark))
        });
        for w in workers {
            assert!(w.join().unwrap_or(false));
        }
        assert!(checker.join().unwrap_or(false));
    }
}
