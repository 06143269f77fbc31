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
//! A list of at most [`SMALL`] variables (nearly every real one) is a shared
//! slice instead: a step copies it (a few reference counts), a lookup scans
//! it, and iterating it reads one block instead of a tree's nodes spread over
//! the heap (the marshaler reads every exec op's list; on 5,000 stages that
//! walk missed the caches). It becomes the two maps when it grows past that.
//!
//! Order follows Go's `EnvList.AddOrReplace`: setting an existing key moves
//! it to the end.

use std::fmt;
use std::sync::Arc;

use rpds::{HashTrieMapSync, RedBlackTreeMapSync};
use rustc_hash::FxBuildHasher;

/// One environment variable, shared between states and ops.
pub type EnvPair = (Arc<str>, Arc<str>);

/// The most variables kept as a shared slice.
const SMALL: usize = 32;

/// An environment list in insertion order, cheap to clone and to extend.
#[derive(Clone)]
pub struct Env(Repr);

#[derive(Clone)]
enum Repr {
    /// In order, each key once.
    Small(Arc<[EnvPair]>),
    Large(Box<Persistent>),
}

/// The maps of a list past [`SMALL`] variables.
#[derive(Clone, Default)]
struct Persistent {
    /// Entries by insertion sequence number: the iteration order.
    order: RedBlackTreeMapSync<u64, EnvPair>,
    /// The sequence number of each key's entry. FxHash: names are short and every instruction
    /// looks some up (SipHash cost 2%). A file could pick names that collide, but only to slow
    /// its own build, within the instruction limits.
    keys: HashTrieMapSync<Arc<str>, u64, FxBuildHasher>,
    next: u64,
}

impl Default for Env {
    fn default() -> Env {
        Env(Repr::Small(Arc::new([])))
    }
}

impl Persistent {
    fn set(&mut self, key: &str, value: &str) {
        self.remove(key);
        let key: Arc<str> = key.into();
        self.order
            .insert_mut(self.next, (key.clone(), value.into()));
        self.keys.insert_mut(key, self.next);
        self.next += 1;
    }

    fn remove(&mut self, key: &str) {
        if let Some(&seq) = self.keys.get(key) {
            self.order.remove_mut(&seq);
            self.keys.remove_mut(key);
        }
    }
}

impl Env {
    /// An empty list.
    pub fn new() -> Env {
        Env::default()
    }

    /// Sets `key` to `value`; an existing entry is removed first, so the
    /// key moves to the end.
    pub fn set(&mut self, key: &str, value: &str) {
        match &mut self.0 {
            Repr::Small(pairs) => {
                // The entries around `key`'s (if any), then the new one: an iterator of a known
                // length, which the shared slice is made from in one allocation.
                // A key set again keeps its shared name.
                let (before, after, name) = match pairs.iter().position(|(k, _)| &**k == key) {
                    Some(i) => (&pairs[..i], &pairs[i + 1..], pairs[i].0.clone()),
                    None => (&pairs[..], &[][..], Arc::from(key)),
                };
                let new: EnvPair = (name, value.into());
                let next = before
                    .iter()
                    .chain(after)
                    .cloned()
                    .chain(std::iter::once(new));
                if before.len() + after.len() < SMALL {
                    let next: Arc<[EnvPair]> = next.collect();
                    *pairs = next;
                } else {
                    let next: Vec<EnvPair> = next.collect();
                    let mut large = Persistent::default();
                    for (k, v) in &next {
                        large.set(k, v);
                    }
                    self.0 = Repr::Large(Box::new(large));
                }
            }
            Repr::Large(large) => large.set(key, value),
        }
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &str) {
        match &mut self.0 {
            Repr::Small(pairs) => {
                if pairs.iter().any(|(k, _)| &**k == key) {
                    *pairs = pairs.iter().filter(|(k, _)| &**k != key).cloned().collect();
                }
            }
            Repr::Large(large) => large.remove(key),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        match &self.0 {
            Repr::Small(pairs) => pairs.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v),
            Repr::Large(large) => {
                let seq = large.keys.get(key)?;
                large.order.get(seq).map(|(_, v)| &**v)
            }
        }
    }

    /// True when `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        match &self.0 {
            Repr::Small(pairs) => pairs.iter().any(|(k, _)| &**k == key),
            Repr::Large(large) => large.keys.contains_key(key),
        }
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let (small, large) = match &self.0 {
            Repr::Small(pairs) => (Some(pairs.iter()), None),
            Repr::Large(large) => (None, Some(large.order.values())),
        };
        small
            .into_iter()
            .flatten()
            .chain(large.into_iter().flatten())
            .map(|(k, v)| (&**k, &**v))
    }

    /// The number of variables.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Small(pairs) => pairs.len(),
            Repr::Large(large) => large.order.size(),
        }
    }

    /// True when no variable is set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn a_list_growing_past_the_small_size_keeps_its_order_and_its_copies() {
        let mut env = Env::new();
        let mut copies = Vec::new();
        for i in 0..SMALL + 5 {
            copies.push(env.clone());
            env.set(&format!("K{i}"), &i.to_string());
        }
        env.set("K0", "moved");
        env.remove("K1");
        let keys: Vec<&str> = env.iter().map(|(k, _)| k).collect();
        assert_eq!(keys.len(), SMALL + 4);
        assert_eq!((keys[0], keys[keys.len() - 1]), ("K2", "K0"));
        assert_eq!(env.get("K0"), Some("moved"));
        assert!(!env.contains("K1") && env.contains("K2"));
        for (n, copy) in copies.iter().enumerate() {
            assert_eq!(copy.len(), n);
            assert_eq!(copy.get("K0"), (n > 0).then_some("0"));
        }
        let rebuilt: Env = env.iter().collect();
        assert_eq!(rebuilt, env);
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
