//! Variable expansion as the converter needs it: a thin adapter over the
//! shell-word lexer ([`crate::words`]) with upstream's lexer settings for each
//! use (plain words, display text, heredoc bodies, word splitting).

use std::borrow::Cow;

use crate::words::{Lexer, WordError};

/// Where expansion looks variables up (the lexer's environment trait).
pub(crate) use crate::words::Env;

/// Expand one word (quotes removed, escapes applied; upstream `ProcessWord`).
pub(crate) fn expand_word(word: &str, env: &dyn Env, escape: char) -> Result<String, WordError> {
    Ok(Lexer::new(escape).expand(word, env)?.into_owned())
}

/// [`expand_word`], borrowing the word when it has nothing to expand.
pub(crate) fn expand_text<'w>(
    word: &'w str,
    env: &dyn Env,
    escape: char,
) -> Result<Cow<'w, str>, WordError> {
    Lexer::new(escape).expand(word, env)
}

/// Expand a RUN line for its progress name: quotes kept, escapes applied,
/// unset variables kept literally, errors leave the text unchanged
/// (upstream `processCmdEnv` with `RawQuotes` and `SkipUnsetEnv`).
pub(crate) fn expand_for_display(word: &str, env: &dyn Env, escape: char) -> String {
    let mut lx = Lexer::new(escape);
    lx.raw_quotes = true;
    lx.skip_unset_env = true;
    match lx.expand(word, env) {
        Ok(e) => e.into_owned(),
        Err(_) => word.to_string(),
    }
}

/// Expand a COPY/ADD/WORKDIR line for its progress name: the plain word
/// lexer (quotes removed, unset variables empty), errors leave the text
/// unchanged (upstream `processCmdEnv` with the stage's lexer).
pub(crate) fn expand_for_name(word: &str, env: &dyn Env, escape: char) -> String {
    match Lexer::new(escape).expand(word, env) {
        Ok(e) => e.into_owned(),
        Err(_) => word.to_string(),
    }
}

/// Expand a COPY/ADD heredoc body with an unquoted delimiter: quotes are
/// ordinary characters and `\` is the escape whatever the file's escape
/// directive says (upstream `ExpandRaw` lexer with `SkipProcessQuotes`).
pub(crate) fn expand_heredoc(body: &str, env: &dyn Env) -> Result<String, WordError> {
    let mut lx = Lexer::new('\\');
    lx.skip_process_quotes = true;
    Ok(lx.expand(body, env)?.into_owned())
}

/// Expand and split into words on unquoted whitespace (upstream
/// `ProcessWords`).
pub(crate) fn expand_words(
    word: &str,
    env: &dyn Env,
    escape: char,
) -> Result<Vec<String>, WordError> {
    Ok(Lexer::new(escape).process_words(word, env)?.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::convert::args::EnvList;

    #[test]
    fn expands_basic_forms() {
        let mut env = EnvList::default();
        env.add_or_replace("A", "x");
        env.add_or_replace("E", "");
        assert_eq!(expand_word("$A/${A}", &env, '\\').unwrap(), "x/x");
        assert_eq!(
            expand_word("${B:-d}${E:-e}${A:+p}", &env, '\\').unwrap(),
            "dep"
        );
        assert_eq!(
            expand_word("'$A' \"$A\" \\$A", &env, '\\').unwrap(),
            "$A x $A"
        );
        assert_eq!(expand_for_display("echo $A $B", &env, '\\'), "echo x $B");
        assert_eq!(expand_for_display("a\\b 'q'", &env, '\\'), "ab 'q'");
        assert_eq!(
            expand_for_name("COPY [\"a\", \"$B\"]", &env, '\\'),
            "COPY [a, ]"
        );
        assert_eq!(expand_words("80 $A", &env, '\\').unwrap(), vec!["80", "x"]);
        assert_eq!(expand_heredoc("'$A' \"$E\"", &env).unwrap(), "'x' \"\"");
    }

    #[test]
    fn errors_are_located() {
        let env = EnvList::default();
        let e = expand_word("a${B:?missing}", &env, '\\').unwrap_err();
        let d = crate::convert::Error::word(e, crate::text::TextRange::new(10, 24)).to_diagnostic();
        assert!(d.message.contains("missing"));
        assert!(d.span.start >= 10 && d.span.end <= 24);
    }
}
