//! `memcmp` and `bcmp` defined in the executable, for the short comparisons a conversion makes.
//!
//! Rust compares `str` and `[u8]` through the C library: `==` calls `bcmp`, ordering (`BTreeMap`
//! keys, sorting) calls `memcmp`. A conversion of the 500-stage file makes about 60,000 of these
//! calls, nearly all under 32 bytes. glibc picks its variant once per process from the CPU's
//! features; on an AMD EPYC with AVX-512 it is `__memcmp_evex_movbe`, whose short path is a
//! masked vector compare, and those calls were 5-6 % of the CPU's samples (`perf annotate`: most
//! of them on that one instruction). With glibc told to pick its AVX2 variant instead
//! (`GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512BW`), the same run used 0.75 ms (4.5 %) less CPU,
//! 60 alternating runs (docs/performance.md, "Twelfth session").
//!
//! A definition in the executable comes before the C library's for every call the executable
//! makes (the C library's own calls keep its own). These compare eight bytes at a time as
//! big-endian words, whose order as integers is the bytes' order, with the last word read where
//! it overlaps the one before instead of a loop over the tail's bytes. Plain loads only: nothing
//! here may compile to a call to `memcmp` or `bcmp` (the tests would overflow the stack).

use std::cmp::Ordering;
use std::ptr::read_unaligned;

/// `memcmp(3)`: the sign of the first differing byte pair of `a[..n]` and `b[..n]`, or 0.
///
/// # Safety
/// `a` and `b` are readable for `n` bytes, as `memcmp(3)` requires.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's contract is this one.
    match unsafe { compare(a, b, n) } {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// `bcmp(3)`: 0 when `a[..n]` and `b[..n]` are equal, not 0 otherwise.
///
/// # Safety
/// `a` and `b` are readable for `n` bytes, as `bcmp(3)` requires.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's contract is this one.
    i32::from(unsafe { compare(a, b, n) }.is_ne())
}

/// The big-endian word of the eight bytes at `p`.
///
/// # Safety
/// `p` is readable for 8 bytes.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn word(p: *const u8) -> u64 {
    // SAFETY: the caller's contract; `[u8; 8]` has no alignment.
    u64::from_be_bytes(unsafe { read_unaligned(p.cast::<[u8; 8]>()) })
}

/// The big-endian word of the four bytes at `p`.
///
/// # Safety
/// `p` is readable for 4 bytes.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn half(p: *const u8) -> u32 {
    // SAFETY: the caller's contract; `[u8; 4]` has no alignment.
    u32::from_be_bytes(unsafe { read_unaligned(p.cast::<[u8; 4]>()) })
}

/// `a[..n]` against `b[..n]`, in the bytes' order.
///
/// # Safety
/// `a` and `b` are readable for `n` bytes.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> Ordering {
    // SAFETY (all reads below): each is at an offset `o` with `o + width <= n`.
    unsafe {
        if n >= 8 {
            let mut i = 0;
            while i + 8 < n {
                let (x, y) = (word(a.add(i)), word(b.add(i)));
                if x != y {
                    return x.cmp(&y);
                }
                i += 8;
            }
            // The last eight bytes; those they share with the words before are equal.
            return word(a.add(n - 8)).cmp(&word(b.add(n - 8)));
        }
        if n >= 4 {
            let first = half(a).cmp(&half(b));
            return first.then_with(|| half(a.add(n - 4)).cmp(&half(b.add(n - 4))));
        }
        let mut i = 0;
        while i < n {
            let (x, y) = (*a.add(i), *b.add(i));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    /// Every length to 40 and a long one, a difference at every position (up and down), against
    /// the order of the bytes compared one by one; through the exported functions.
    #[test]
    fn orders_like_the_bytes() {
        for n in (0..=40).chain([100, 4096 + 3]) {
            let base: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            check(&base, &base.clone());
            for at in 0..n {
                for delta in [1u8, 0x80, 0xff] {
                    let mut other = base.clone();
                    other[at] = other[at].wrapping_add(delta);
                    check(&base, &other);
                    check(&other, &base);
                }
            }
        }
    }

    fn check(a: &[u8], b: &[u8]) {
        let want = a.iter().zip(b).map(|(x, y)| x.cmp(y)).find(|o| o.is_ne());
        let want = want.unwrap_or(Ordering::Equal);
        #[allow(unsafe_code)]
        // SAFETY: both are readable for their length, which is the same.
        let (m, e) = unsafe {
            (
                super::memcmp(a.as_ptr(), b.as_ptr(), a.len()),
                super::bcmp(a.as_ptr(), b.as_ptr(), a.len()),
            )
        };
        assert_eq!(m.cmp(&0), want, "memcmp of {a:?} and {b:?}");
        assert_eq!(e != 0, want.is_ne(), "bcmp of {a:?} and {b:?}");
    }

    /// Rust's own comparisons, which come here, agree with the bytes' order.
    #[test]
    fn std_comparisons_come_out_right() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "run",
            "RUN",
            "copy--from",
            "copy--fro",
        ];
        for x in words {
            for y in words {
                let bytes = x.bytes().cmp(y.bytes());
                assert_eq!(x.cmp(y), bytes, "{x:?} against {y:?}");
                assert_eq!(x == y, bytes.is_eq());
            }
        }
    }
}
