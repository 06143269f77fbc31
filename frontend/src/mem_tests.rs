//! The memory routines of `musl_mem.rs` against byte-at-a-time references. Safe slice methods
//! reach them: `copy_from_slice` calls `memcpy`, `copy_within` calls `memmove`, slice equality
//! `bcmp` and slice ordering `memcmp`, each with a length known only at run time.

use std::cmp::Ordering;

const MAX_LEN: usize = 600;
const MAX_SHIFT: usize = 16;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn memcpy_every_length_and_alignment() {
    let src = pattern(MAX_LEN + MAX_SHIFT);
    for len in 0..=MAX_LEN {
        for shift in 0..MAX_SHIFT {
            let mut dst = vec![0xAAu8; MAX_LEN + 2 * MAX_SHIFT];
            let at = MAX_SHIFT - shift;
            dst[at..at + len].copy_from_slice(&src[shift..shift + len]);
            assert_eq!(
                &dst[at..at + len],
                &src[shift..shift + len],
                "len {len} shift {shift}"
            );
            assert!(
                dst[..at].iter().all(|&b| b == 0xAA),
                "wrote before, len {len}"
            );
            assert!(
                dst[at + len..].iter().all(|&b| b == 0xAA),
                "wrote after, len {len}"
            );
        }
    }
}

/// `copy_within` against a copy through a second buffer, for every length, both directions and
/// every distance from 0 to 80 (the block sizes of the routine and past them).
#[test]
fn memmove_overlapping_both_ways() {
    let len_total = MAX_LEN + 100;
    for len in 0..=MAX_LEN {
        for distance in 0..=80usize {
            for forwards in [true, false] {
                let mut buf = pattern(len_total);
                let (from, to) = if forwards {
                    (10, 10 + distance)
                } else {
                    (10 + distance, 10)
                };
                let mut expected = buf.clone();
                let moved = buf[from..from + len].to_vec();
                expected[to..to + len].copy_from_slice(&moved);
                buf.copy_within(from..from + len, to);
                assert_eq!(buf, expected, "len {len} from {from} to {to}");
            }
        }
    }
}

fn reference_cmp(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// Equal slices, and slices that differ in one byte (above and below) at every position.
#[test]
fn memcmp_and_bcmp_every_length_and_position() {
    for len in 0..=64usize {
        let a = pattern(len + 3);
        for shift in 0..3 {
            let x = &a[shift..shift + len];
            let y = x.to_vec();
            assert_eq!(x.cmp(&y[..]), Ordering::Equal);
            assert!(x == &y[..]);
            for pos in 0..len {
                for delta in [1u8, 0x80, 0xFF] {
                    let mut z = y.clone();
                    z[pos] = z[pos].wrapping_add(delta);
                    assert_eq!(x.cmp(&z[..]), reference_cmp(x, &z), "len {len} pos {pos}");
                    assert_eq!(z[..].cmp(x), reference_cmp(&z, x), "len {len} pos {pos}");
                    assert!(x != &z[..]);
                }
            }
        }
    }
}
