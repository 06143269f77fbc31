//! The executable's code layout (`build.rs`, `hot-text.ld`): on Linux with glibc the functions a
//! run executes are linked into a `.text.hot` section of their own, before `.text`, unless the
//! build was told not to (`LLB_GEN_HOT_TEXT=off`). A linker that ignored the script, or a build
//! script that lost its path, would only show as more resident memory: this makes it fail.

#![allow(clippy::unwrap_used)] // tests may unwrap

/// (name, address, size) of each section of a little-endian ELF64 file.
fn elf_sections(elf: &[u8]) -> Vec<(String, u64, u64)> {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
    assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "a little-endian ELF64 file");
    let (shoff, shentsize) = (u64_at(0x28) as usize, u16_at(0x3a));
    let (shnum, shstrndx) = (u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| shoff + i * shentsize;
    let strtab = u64_at(header(shstrndx) + 0x18) as usize;
    (0..shnum)
        .map(|i| {
            let h = header(i);
            let name_at = strtab + u32_at(h);
            let len = elf[name_at..].iter().position(|&b| b == 0).unwrap();
            let name = String::from_utf8_lossy(&elf[name_at..name_at + len]).into_owned();
            (name, u64_at(h + 0x10), u64_at(h + 0x20))
        })
        .collect()
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
fn the_code_a_run_executes_has_a_section_of_its_own_before_the_rest() {
    if option_env!("LLB_GEN_HOT_TEXT") == Some("off") {
        return; // built without the layout, as asked
    }
    let elf = std::fs::read(env!("CARGO_BIN_EXE_llb-gen")).unwrap();
    let sections = elf_sections(&elf);
    let find = |name: &str| sections.iter().find(|s| s.0 == name);
    let hot = find(".text.hot").unwrap_or_else(|| panic!("no .text.hot in {sections:?}"));
    let text = find(".text").unwrap();
    // The list names ~1,200 functions (about 1.5 MB in a release build); any build of these
    // sources matches most of them.
    assert!(hot.2 > 256 << 10, "{hot:?}");
    assert!(hot.1 + hot.2 <= text.1, "{hot:?} before {text:?}");
}
