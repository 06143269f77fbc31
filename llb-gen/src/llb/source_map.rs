//! Source maps: which lines of which file an op came from
//! (`client/llb/sourcemap.go`). They end up in `Definition.source` and let
//! BuildKit show the Dockerfile snippet of a failing step.

use std::sync::Arc;

use super::marshal::{MarshalOptions, OpDigest};
use super::state::State;
use super::LlbError;
use crate::pb;

/// One source file (e.g. the Dockerfile). Share it through `Arc`: ops that
/// point at the same `Arc` share one `SourceInfo` entry.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// The file's name as shown to users.
    pub filename: String,
    /// The file's contents (shared with the build's
    /// [`crate::sources::SourceSet`]: one copy of a file however many
    /// places hold it).
    pub data: Arc<[u8]>,
    /// e.g. `Dockerfile`.
    pub language: String,
    /// The state that loads the file (marshaled into `SourceInfo.definition`)...
    pub state: Option<State>,
    /// ...or an already marshaled definition (takes precedence).
    pub definition: Option<pb::Definition>,
}

impl SourceMap {
    /// A source map for `filename` with contents `data`.
    pub fn new(filename: impl Into<String>, data: impl Into<Arc<[u8]>>) -> Arc<SourceMap> {
        Arc::new(SourceMap {
            filename: filename.into(),
            data: data.into(),
            ..SourceMap::default()
        })
    }

    /// A location in this file covering the 1-based, inclusive `lines`
    /// (one range per line, character 0, like upstream).
    pub fn location(self: &Arc<Self>, lines: std::ops::RangeInclusive<i32>) -> SourceLocation {
        let ranges = lines.map(|l| line_range(l, l)).collect();
        SourceLocation {
            source: self.clone(),
            ranges,
        }
    }
}

/// A `pb::Range` from line `start` to line `end`, character 0.
pub(super) fn line_range(start: i32, end: i32) -> pb::Range {
    pb::Range {
        start: Some(pb::Position {
            line: start,
            character: 0,
        }),
        end: Some(pb::Position {
            line: end,
            character: 0,
        }),
    }
}

/// Ranges of one op in one source file.
#[derive(Debug, Clone)]
pub struct SourceLocation {
    /// The file.
    pub source: Arc<SourceMap>,
    /// The op's ranges in it.
    pub ranges: Vec<pb::Range>,
}

/// An op's ranges in one file, in the order the ops were added (sorted when marshaled: a
/// B-tree insert per op cost about 700 instructions).
type RangesByDigest = Vec<(OpDigest, Vec<pb::Range>)>;

/// Collects locations per source map while marshaling.
#[derive(Default)]
pub(crate) struct SourceMapCollector {
    maps: Vec<(Arc<SourceMap>, RangesByDigest)>,
}

impl SourceLocation {
    /// The byte range in the file's data of the lines this location covers
    /// (from the start of its first line to the end of its last).
    pub fn byte_range(&self) -> std::ops::Range<usize> {
        let lines = |f: fn(&pb::Range) -> Option<&pb::Position>| {
            self.ranges.iter().filter_map(f).map(|p| p.line)
        };
        let first = lines(|r| r.start.as_ref()).min().unwrap_or(1);
        let last = lines(|r| r.end.as_ref()).max().unwrap_or(first);
        let data = &self.source.data;
        let start_of = |line: i32| {
            let skip = usize::try_from(line.saturating_sub(1)).unwrap_or(0);
            if skip == 0 {
                return 0;
            }
            data.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(skip - 1)
                .map_or(data.len(), |(i, _)| i + 1)
        };
        let start = start_of(first);
        let end = start_of(last.saturating_add(1));
        let end = if end > start && data.get(end - 1) == Some(&b'\n') {
            end - 1
        } else {
            end
        };
        start..end.max(start)
    }
}

/// The bytes of each file of a `Source`, in the order of its `infos`.
pub(crate) type FileBytes = Vec<Arc<[u8]>>;

impl SourceMapCollector {
    /// What `source` adds to the Definition if no op used it yet: its
    /// `SourceInfo` (file name and data, the loading definition aside).
    pub(crate) fn new_file_cost(&self, source: &Arc<SourceMap>) -> usize {
        if self.maps.iter().any(|(m, _)| Arc::ptr_eq(m, source)) {
            0
        } else {
            source.data.len() + source.filename.len() + source.language.len() + 32
        }
    }

    pub(crate) fn add(&mut self, digest: OpDigest, locations: &[SourceLocation]) {
        for l in locations {
            let idx = match self
                .maps
                .iter()
                .position(|(m, _)| Arc::ptr_eq(m, &l.source))
            {
                Some(i) => i,
                None => {
                    self.maps.push((l.source.clone(), Vec::new()));
                    self.maps.len() - 1
                }
            };
            self.maps[idx].1.push((digest, l.ranges.clone()));
        }
    }

    /// Consumes the collector: digests and ranges are moved, not copied.
    pub(crate) fn marshal(self, opts: &MarshalOptions) -> Result<pb::Source, LlbError> {
        let parts = self.marshal_parts(opts)?;
        let mut source = pb::Source {
            infos: parts.infos,
            ..pb::Source::default()
        };
        for (info, d) in source.infos.iter_mut().zip(parts.data) {
            info.data = d.to_vec();
        }
        for (dgst, location) in parts.locations.0 {
            let entry = source.locations.entry(dgst.to_string()).or_default();
            entry.locations.push(location);
        }
        Ok(source)
    }

    /// [`SourceMapCollector::marshal`] in parts: the files' `infos` with empty `data`, each
    /// info's bytes (shared with the source maps), and the locations by digest.
    pub(crate) fn marshal_parts(self, opts: &MarshalOptions) -> Result<SourceParts, LlbError> {
        let mut infos = Vec::with_capacity(self.maps.len());
        let mut data = Vec::with_capacity(self.maps.len());
        let total = self.maps.iter().map(|(_, r)| r.len()).sum();
        let mut locations = Vec::with_capacity(total);
        for (i, (map, mut ranges)) in self.maps.into_iter().enumerate() {
            let definition = match (&map.definition, &map.state) {
                (Some(d), _) => Some(d.clone()),
                (None, Some(st)) => Some(st.marshal(opts)?),
                (None, None) => None,
            };
            infos.push(pb::SourceInfo {
                filename: map.filename.clone(),
                data: Vec::new(),
                definition,
                language: map.language.clone(),
            });
            data.push(map.data.clone());
            // By digest; a digest added again (an op equal to an earlier one) keeps the
            // ranges added last, as a map's insert would: reversed, a stable sort puts them
            // first, and the dedup keeps the first of each run.
            ranges.reverse();
            ranges.sort_by_key(|a| a.0);
            ranges.dedup_by(|a, b| a.0 == b.0);
            locations.extend(ranges.into_iter().map(|(dgst, r)| {
                let location = pb::Location {
                    source_index: i as i32,
                    ranges: r,
                };
                (dgst, location)
            }));
        }
        // Stable: a digest's locations stay in the order of their files (each file's are
        // sorted already, so one file, the usual case, is a single run).
        locations.sort_by_key(|(dgst, _)| *dgst);
        Ok(SourceParts {
            infos,
            data,
            locations: DigestLocations(locations),
        })
    }
}

/// A marshaled `Source` in parts (see [`SourceMapCollector::marshal_parts`]).
pub(crate) struct SourceParts {
    /// The files, with empty `data`.
    pub(crate) infos: Vec<pb::SourceInfo>,
    /// Each file's bytes, in the order of `infos`.
    pub(crate) data: FileBytes,
    /// The ops' locations.
    pub(crate) locations: DigestLocations,
}

/// Every op's locations, sorted by digest (the order of `Source.locations`, keyed by the
/// digest's text) and, for one digest, by file.
pub(crate) struct DigestLocations(Vec<(OpDigest, pb::Location)>);

impl DigestLocations {
    /// Each digest with its locations, as runs of the sorted list.
    pub(crate) fn runs(&self) -> impl Iterator<Item = &[(OpDigest, pb::Location)]> + '_ {
        self.0.chunk_by(|a, b| a.0 == b.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorted by digest across files, a digest's locations in the order of their files, and
    /// a digest added again to a file keeps the ranges added last (a map's insert).
    #[test]
    fn locations_sorted_by_digest_last_added_wins() {
        let (a, b) = (
            SourceMap::new("a", b"1\n2\n3\n".to_vec()),
            SourceMap::new("b", b"x\n".to_vec()),
        );
        let d = |n: u8| OpDigest::of(&[n]);
        let mut c = SourceMapCollector::default();
        c.add(d(1), &[a.location(1..=1)]);
        c.add(d(2), &[b.location(1..=1), a.location(2..=2)]);
        c.add(d(1), &[a.location(3..=3)]);
        c.add(d(3), &[b.location(1..=1)]);
        let source = c.marshal(&MarshalOptions::default()).expect("marshal");
        let mut want: Vec<(String, Vec<(i32, i32)>)> = vec![
            (d(1).to_string(), vec![(0, 3)]),
            (d(2).to_string(), vec![(0, 2), (1, 1)]),
            (d(3).to_string(), vec![(1, 1)]),
        ];
        want.sort();
        let got: Vec<(String, Vec<(i32, i32)>)> = (source.locations.iter())
            .map(|(k, l)| {
                let lines = l.locations.iter().map(|l| {
                    let line = l.ranges[0].start.as_ref().map_or(0, |p| p.line);
                    (l.source_index, line)
                });
                (k.clone(), lines.collect())
            })
            .collect();
        assert_eq!(got, want);
        let names: Vec<&str> = source.infos.iter().map(|i| i.filename.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
