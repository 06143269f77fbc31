//! [`Env`]: the environment list of a state, persistent and ordered.
//!
//! Every `ENV` and `ARG` makes a new state whose list differs from the
//! previous one by one entry, while the previous list stays alive (earlier
//! exec ops and states hold it). A copied `Vec` made each of those steps
//! cost the whole list: 20,000 `ENV` lines took 10 s. Two persistent maps
//! (`rpds`, structural sharing) make a step, a lookup and a clone cost
//! O(log n) or less; iterating is O(n) in insertion order, which is what
//! exec ops marshal.
//!
//! Order follows Go's `EnvList.AddOrReplace`: setting an existing key moves
//! it to the end.

use std::fmt;
use std::sync::Arc;

use rpds::{HashTrieMapSync, RedBlackTreeMapSync};
use rustc_hash::FxBuildHasher;

/// One environment variable, shared between states and ops.
pub type EnvPair = (Arc<str>, Arc<str>);

/// An environment list in insertion order, cheap to clone and to extend.
#[derive(Clone, Default)]
pub struct Env {
    /// Entries by insertion sequence number: the iteration order.
    order: RedBlackTreeMapSync<u64, EnvPair>,
    /// The sequence number of each key's entry.
    /// FxHash: names are short and every instruction looks some up (SipHash cost 2%). A file
    /// could pick names that collide, but only to slow its own build, within the instruction
    /// limits.
    keys: HashTrieMapSync<Arc<str>, u64, FxBuildHasher>,
    next: u64,
}

impl Env {
    /// An empty list.
    pub fn new() -> Env {
        Env::default()
    }

    /// Sets `key` to `value`; an existing entry is removed first, so the
    /// key moves to the end.
    pub fn set(&mut self, key: &str, value: &str) {
        self.remove(key);
        let key: Arc<str> = key.into();
        self.order
            .insert_mut(self.next, (key.clone(), value.into()));
        self.keys.insert_mut(key, self.next);
        self.next += 1;
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &str) {
        if let Some(&seq) = self.keys.get(key) {
            self.order.remove_mut(&seq);
            self.keys.remove_mut(key);
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        let seq = self.keys.get(key)?;
        self.order.get(seq).map(|(_, v)| &**v)
    }

    /// True when `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.order.values().map(|(k, v)| (&**k, &**v))
    }

    /// The number of variables.
    pub fn len(&self) -> usize {
        self.order.size()
    }

    /// True when no variable is set.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Env {
    fn eq(&self, other: &Env) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Env {}

impl<'a> FromIterator<(&'a str, &'a str)> for Env {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(items: I) -> Env {
        let mut env = Env::new();
        for (k, v) in items {
            env.set(k, v);
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_moves_to_the_end_and_old_copies_keep_their_values() {
        let mut a = Env::new();
        a.set("A", "1");
        a.set("B", "2");
        let before = a.clone();
        a.set("A", "3");
        assert_eq!(a.iter().collect::<Vec<_>>(), [("B", "2"), ("A", "3")]);
        assert_eq!(before.iter().collect::<Vec<_>>(), [("A", "1"), ("B", "2")]);
        assert_eq!(a.get("A"), Some("3"));
        assert_eq!(before.get("A"), Some("1"));
        a.remove("B");
        assert_eq!(a.iter().collect::<Vec<_>>(), [("A", "3")]);
        assert!(!a.contains("B") && before.contains("B"));
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn many_keys_keep_insertion_order() {
        let keys: Vec<String> = (0..1000)
            .map(|i| format!("K{}", (i * 7919) % 1000))
            .collect();
        let env: Env = keys.iter().map(|k| (k.as_str(), "v")).collect();
        let got: Vec<&str> = env.iter().map(|(k, _)| k).collect();
        assert_eq!(got, keys.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
