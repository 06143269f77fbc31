//! IF / ELSE IF / ELSE / END.

use super::{sub_span, Block, CondEnv, FileCtx, Walker, K};
use crate::convert::compose::cond;
use crate::syntax::ast::Node;
use crate::text::TextRange;

impl Walker<'_> {
    pub(super) fn open_if(
        &mut self,
        node: &Node,
        f: &FileCtx,
        parent: bool,
        blocks: &mut Vec<Block>,
    ) {
        self.extension("IF", node.keyword.span);
        let rest = node.rest();
        let taken = self.condition(rest.value, rest.span, f.escape, parent);
        blocks.push(Block {
            span: node.keyword.span,
            parent,
            active: parent && taken,
            taken,
            else_span: None,
        });
    }

    pub(super) fn else_branch(&mut self, node: &Node, f: &FileCtx, blocks: &mut [Block]) {
        let Some(b) = blocks.last_mut() else {
            let why = "without an open IF";
            self.error(
                K::Unmatched {
                    keyword: "ELSE",
                    why,
                },
                node.keyword.span,
                None,
            );
            return;
        };
        if let Some(earlier) = b.else_span {
            let kind = K::Unmatched {
                keyword: "ELSE",
                why: "after the block's final ELSE",
            };
            self.error_with_label(kind, node.keyword.span, (earlier, "the final ELSE"));
            return;
        }
        let rest = node.rest();
        let text = rest.value;
        if text.is_empty() {
            b.active = b.parent && !b.taken;
            b.taken = true;
            b.else_span = Some(node.keyword.span);
            return;
        }
        let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
        if !text[..word_end].eq_ignore_ascii_case("if") {
            let message = "ELSE takes no argument; write `ELSE IF <condition>` for another test";
            self.error(
                K::Usage {
                    message: message.into(),
                },
                rest.span,
                None,
            );
            return;
        }
        let after = text[word_end..].trim_start();
        let at = text.len() - after.len();
        let span = sub_span(rest.span, at, after.len());
        let (parent, taken) = (b.parent, b.taken);
        let decide = parent && !taken;
        let hit = self.condition(after, span, f.escape, decide);
        if let Some(b) = blocks.last_mut() {
            b.active = decide && hit;
            b.taken = taken || (decide && hit);
        }
    }

    pub(super) fn end(&mut self, node: &Node, blocks: &mut Vec<Block>) {
        let rest = node.rest();
        if !rest.value.is_empty() {
            let message = "END takes no argument".to_string();
            self.error(K::Usage { message }, rest.span, None);
        }
        if blocks.pop().is_none() {
            let why = "without an open IF";
            self.error(
                K::Unmatched {
                    keyword: "END",
                    why,
                },
                node.keyword.span,
                None,
            );
        }
    }

    /// Parses a condition and, when `decide`, evaluates it. A condition
    /// that does not parse is an error wherever it is.
    fn condition(&mut self, text: &str, span: TextRange, escape: char, decide: bool) -> bool {
        let parsed = match cond::parse(text) {
            Ok(c) => c,
            Err(e) => {
                let at = sub_span(span, e.at, 1);
                let at = if at.is_empty() {
                    TextRange::empty(at.start)
                } else {
                    at
                };
                self.error(K::InvalidCondition { message: e.message }, at, None);
                return false;
            }
        };
        if !decide {
            return false;
        }
        let mut env = CondEnv {
            w: self,
            escape,
            span,
        };
        cond::eval(&parsed, &mut env).unwrap_or(false)
    }
}
