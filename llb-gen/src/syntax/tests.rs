//! Whole-file parser tests: heredoc words, over-long lines, encodings.

use super::{parse, parse_bytes, Parsed};

fn codes(p: &Parsed) -> Vec<&'static str> {
    p.errors.iter().map(|e| e.code().as_str()).collect()
}

fn keywords(p: &Parsed) -> Vec<&str> {
    let nodes = p.dockerfile.nodes.iter();
    nodes.map(|n| n.keyword.value.as_str()).collect()
}

/// The source text of the first error's span.
fn first_error_text<'a>(src: &'a [u8], p: &Parsed) -> &'a [u8] {
    &src[p.errors[0].span.as_usize()]
}

#[test]
fn blanks_between_marker_and_word() {
    for marker in ["<< EOF", "<<  EOF", "<<\tEOF", "<< \"EOF\""] {
        let src = format!("FROM scratch\nRUN cat {marker} > /etc/app.conf\nhello\nEOF\n");
        let p = parse(&src);
        assert!(p.is_ok(), "{marker}: {:?}", p.errors);
        let h = &p.dockerfile.nodes[1].heredocs[0];
        assert_eq!((h.name.as_str(), h.content.as_str()), ("EOF", "hello\n"));
        assert_eq!(h.expand, !marker.contains('"'), "{marker}");
        assert_eq!(&src[h.word_span.as_usize()], marker);
    }
}

#[test]
fn empty_heredoc_terminator_is_one_located_error() {
    let src = "FROM scratch\nRUN <<\"\"\nhello\n\nRUN true\n";
    let p = parse(src);
    assert_eq!(codes(&p), ["empty-heredoc-name"]);
    assert_eq!(first_error_text(src.as_bytes(), &p), b"<<\"\"");
    // The body up to the empty line is consumed: no `hello` instruction.
    assert_eq!(keywords(&p), ["FROM", "RUN", "RUN"]);
    assert!(p.dockerfile.nodes[1].heredocs.is_empty());
}

#[test]
fn blank_after_chomp_marker_is_one_located_error() {
    let src = "FROM scratch\nRUN cat <<- EOF\n\thello\n\tEOF\nRUN true\n";
    let p = parse(src);
    assert_eq!(codes(&p), ["blank-after-heredoc-chomp"]);
    assert_eq!(first_error_text(src.as_bytes(), &p), b"<<- EOF");
    assert!(p.errors[0].to_string().contains("`<<-EOF`"));
    assert_eq!(keywords(&p), ["FROM", "RUN", "RUN"]);
}

#[test]
fn cut_line_keeps_its_heredocs_and_continuation() {
    let long = "x".repeat(70_000);
    let src = format!("FROM scratch\nRUN {long} <<EOF\nbody\nFOO bar\nEOF\nRUN true\n");
    let p = parse(&src);
    assert_eq!(codes(&p), ["line-too-long"]);
    assert_eq!(keywords(&p), ["FROM", "RUN", "RUN"]);
    assert_eq!(p.dockerfile.nodes[1].heredocs[0].content, "body\nFOO bar\n");
    let src = format!("FROM scratch\nRUN {long} \\\n  && echo hi\nRUN true\n");
    let p = parse(&src);
    assert_eq!(codes(&p), ["line-too-long"]);
    assert_eq!(keywords(&p), ["FROM", "RUN", "RUN"]);
}

#[test]
fn literal_copy_heredoc_keeps_its_bytes() {
    let src = b"FROM scratch\nCOPY <<\"EOF\" /etc/motd\ncaf\xe9\nEOF\n";
    let p = parse_bytes(src);
    assert!(p.is_ok(), "{:?}", p.errors);
    let h = &p.dockerfile.nodes[1].heredocs[0];
    assert_eq!(h.literal_bytes.as_deref(), Some(&b"caf\xe9\n"[..]));
    assert_eq!(h.content, "caf\u{fffd}\n");
    let src = b"FROM scratch\nADD <<-'EOF' /x\n\tcaf\xe9\n\t\tEOF\n";
    let p = parse_bytes(src);
    assert!(p.is_ok(), "{:?}", p.errors);
    let h = &p.dockerfile.nodes[1].heredocs[0];
    assert_eq!(h.literal_data().as_deref(), Some(&b"caf\xe9\n"[..]));
}

#[test]
fn invalid_utf8_where_text_is_needed_is_one_error() {
    let cases: [&[u8]; 5] = [
        b"FROM scratch\nRUN <<'EOF'\necho caf\xe9\nEOF\n",
        b"FROM scratch\nCOPY <<EOF /x\ncaf\xe9 $HOME\nEOF\n",
        b"FROM scratch\nLABEL a=caf\xe9\nRUN echo \xff\xfe\n",
        b"FROM scratch\nONBUILD COPY <<'EOF' /x\ncaf\xe9\nEOF\n",
        b"# syntax=docker/dockerfile:\xe9\nFROM scratch\n",
    ];
    for src in cases {
        let p = parse_bytes(src);
        let name = String::from_utf8_lossy(src);
        assert_eq!(codes(&p), ["invalid-utf8"], "{name}");
        let at = src.iter().position(|&b| b >= 0x80).unwrap_or_default();
        assert_eq!(p.errors[0].span.start as usize, at, "{name}");
        assert!(p.errors[0].to_string().contains("0x"), "{name}");
    }
}

#[test]
fn comments_may_hold_other_bytes() {
    let p = parse_bytes(b"# Auteur: Jos\xe9\nFROM scratch\nRUN true \\\n# \xff\n  && false\n");
    assert!(p.is_ok(), "{:?}", p.errors);
    assert_eq!(
        &p.dockerfile.nodes[0].prev_comment[..],
        ["Auteur: Jos\u{fffd}"]
    );
}

#[test]
fn spans_after_invalid_bytes_count_the_original_bytes() {
    let src = b"FROM scratch\nENV a=\xe9\xe9 b\n";
    let p = parse_bytes(src);
    assert_eq!(codes(&p), ["invalid-utf8", "missing-equals"]);
    assert_eq!(&src[p.errors[1].span.as_usize()], b"b");
}

#[test]
fn utf16_and_binary_files_are_one_error() {
    let utf16 = |big: bool, bom: bool| -> Vec<u8> {
        let units = bom.then_some(0xFEFF).into_iter();
        let units = units.chain("FROM scratch\nRUN true\n".encode_utf16());
        let bytes = |u: u16| {
            if big {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        };
        units.flat_map(bytes).collect()
    };
    for (big, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let p = parse_bytes(&utf16(big, bom));
        assert_eq!(codes(&p), ["utf16-file"], "big {big} bom {bom}");
        assert!(p.dockerfile.nodes.is_empty());
        assert!(p.errors[0]
            .to_diagnostic()
            .help
            .unwrap_or_default()
            .contains("UTF-16"));
    }
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00";
    let p = parse_bytes(elf);
    assert_eq!(codes(&p), ["binary-file"]);
    assert_eq!(p.errors[0].span.start, 7);
}
