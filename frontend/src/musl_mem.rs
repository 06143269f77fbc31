//! `memcpy`, `memmove` and `memcmp` for the musl build of the image's binary.
//!
//! musl's x86_64 `memcpy` copies with `rep movsq` after aligning byte by byte, and its `memcmp`
//! compares one byte per iteration: fine for large blocks, slow for the many copies of a few to a
//! few dozen bytes that protobuf encoding and string building make. These versions copy up to 64
//! bytes with overlapping unaligned loads and stores (every load before any store, so the same
//! code serves `memmove`), up to 512 bytes in 16-byte blocks (`rep movsb` took 4.8 % of the
//! 500-stage replay's samples on an AMD EPYC, whose fast strings start slowly: 5,000 stages
//! 2.7 % less CPU without it, session 12), larger blocks with `rep movsb`, and compare eight
//! bytes at a time. Statically linked, the definitions here take the place of libc's: the archive's
//! members that define them are never pulled in. Only built for musl targets; glibc picks its own
//! versions per CPU at start-up, fast for copies, but its AVX-512 `memcmp` was slow on short
//! compares on an AMD EPYC, so the glibc CLI has a `memcmp` of its own too
//! (`llb-gen-cli/src/heap/compare.rs`).
//!
//! Tests: `mem_tests.rs` (every length up to 600, every alignment up to 16, overlaps both ways),
//! run by `scripts/test` on the musl build.

// SAFETY: each routine reads and writes only within the `n` bytes its caller passes, as the C
// standard defines them; memmove copies backwards when the regions overlap that way.
#[allow(unsafe_code)]
mod routines {
    core::arch::global_asm!(
        // memcpy(dst: rdi, src: rsi, n: rdx) -> dst
        ".globl memcpy",
        ".type memcpy,@function",
        ".p2align 4",
        "memcpy:",
        "    mov rax, rdi",
        "    cmp rdx, 16",
        "    jb 20f",
        "    cmp rdx, 32",
        "    ja 30f",
        // 16..=32 bytes: two overlapping 16-byte blocks.
        "    movups xmm0, [rsi]",
        "    movups xmm1, [rsi + rdx - 16]",
        "    movups [rdi], xmm0",
        "    movups [rdi + rdx - 16], xmm1",
        "    ret",
        // 0..16 bytes.
        "20: cmp rdx, 8",
        "    jb 21f",
        "    mov rcx, [rsi]",
        "    mov r8, [rsi + rdx - 8]",
        "    mov [rdi], rcx",
        "    mov [rdi + rdx - 8], r8",
        "    ret",
        "21: cmp rdx, 4",
        "    jb 22f",
        "    mov ecx, [rsi]",
        "    mov r8d, [rsi + rdx - 4]",
        "    mov [rdi], ecx",
        "    mov [rdi + rdx - 4], r8d",
        "    ret",
        "22: test rdx, rdx",
        "    jz 24f",
        "    movzx ecx, byte ptr [rsi]",
        "    movzx r8d, byte ptr [rsi + rdx - 1]",
        "    cmp rdx, 2",
        "    jb 23f",
        "    movzx r9d, byte ptr [rsi + 1]",
        "    mov [rdi + 1], r9b",
        "23: mov [rdi], cl",
        "    mov [rdi + rdx - 1], r8b",
        "24: ret",
        // 33..=64 bytes: four overlapping 16-byte blocks.
        "30: cmp rdx, 64",
        "    ja 31f",
        "    movups xmm0, [rsi]",
        "    movups xmm1, [rsi + 16]",
        "    movups xmm2, [rsi + rdx - 32]",
        "    movups xmm3, [rsi + rdx - 16]",
        "    movups [rdi], xmm0",
        "    movups [rdi + 16], xmm1",
        "    movups [rdi + rdx - 32], xmm2",
        "    movups [rdi + rdx - 16], xmm3",
        "    ret",
        // 65..=512 bytes: 16-byte blocks forwards, the last 16 bytes loaded first and stored last
        // (`rep movsb` starts slowly for these sizes on some CPUs: AMD EPYC). Also memmove's path
        // when forwards is safe: each block is loaded before it is stored.
        "31: cmp rdx, 512",
        "    ja 33f",
        "    movups xmm1, [rsi + rdx - 16]",
        "    xor ecx, ecx",
        "32: movups xmm0, [rsi + rcx]",
        "    movups [rdi + rcx], xmm0",
        "    add rcx, 16",
        "    lea r8, [rcx + 16]",
        "    cmp r8, rdx",
        "    jb 32b",
        "    movups [rdi + rdx - 16], xmm1",
        "    ret",
        // Over 512 bytes: fast strings, forwards.
        "33: mov rcx, rdx",
        "    rep movsb",
        "    ret",
        ".size memcpy, .-memcpy",
        // memmove(dst: rdi, src: rsi, n: rdx) -> dst
        ".globl memmove",
        ".type memmove,@function",
        ".p2align 4",
        "memmove:",
        // Up to 64 bytes memcpy loads everything before it stores anything.
        "    cmp rdx, 64",
        "    jbe memcpy",
        // Forwards is safe unless dst lies inside (src, src + n).
        "    mov rcx, rdi",
        "    sub rcx, rsi",
        "    cmp rcx, rdx",
        "    jae memcpy",
        // Backwards in 16-byte blocks from the end; the first 16 bytes are loaded before any store
        // and stored last.
        "    mov rax, rdi",
        "    movups xmm1, [rsi]",
        "    mov rcx, rdx",
        "40: sub rcx, 16",
        "    movups xmm0, [rsi + rcx]",
        "    movups [rdi + rcx], xmm0",
        "    cmp rcx, 16",
        "    ja 40b",
        "    movups [rdi], xmm1",
        "    ret",
        ".size memmove, .-memmove",
        // memcmp(a: rdi, b: rsi, n: rdx) -> <0, 0, >0
        ".globl memcmp",
        ".type memcmp,@function",
        ".p2align 4",
        "memcmp:",
        "    xor ecx, ecx",
        "50: lea r8, [rcx + 8]",
        "    cmp r8, rdx",
        "    ja 52f",
        "    mov rax, [rdi + rcx]",
        "    mov r9, [rsi + rcx]",
        "    cmp rax, r9",
        "    jne 51f",
        "    mov rcx, r8",
        "    jmp 50b",
        // The first differing word: big-endian order makes the unsigned comparison byte-wise.
        "51: bswap rax",
        "    bswap r9",
        "    cmp rax, r9",
        "    sbb eax, eax",
        "    or eax, 1",
        "    ret",
        "52: cmp rcx, rdx",
        "    jae 54f",
        "    movzx eax, byte ptr [rdi + rcx]",
        "    movzx r9d, byte ptr [rsi + rcx]",
        "    sub eax, r9d",
        "    jnz 53f",
        "    inc rcx",
        "    jmp 52b",
        "53: ret",
        "54: xor eax, eax",
        "    ret",
        ".size memcmp, .-memcmp",
        // bcmp(a, b, n): zero when equal; musl's calls its memcmp, this one is the same code.
        ".globl bcmp",
        ".type bcmp,@function",
        "bcmp = memcmp",
    );
}

#[cfg(test)]
#[path = "mem_tests.rs"]
mod tests;
