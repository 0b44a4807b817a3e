//! Repeated findings folded into one, so that any input, however hostile
//! (65 000 blank lines, thousands of repeated fields), yields a short list.
//!
//! A code (at one severity) that occurs at most [`KEEP`] times keeps one
//! finding per occurrence. One that occurs more often becomes a single
//! finding: the first occurrence's message, fix and position, plus
//! `count` (every occurrence) and `more_positions` (where the next
//! [`POSITIONS`]` - 1` are). In JSON:
//!
//! ```json
//! {"code": "policy-blank-line", "line": 2, "column": 1, "count": 65000,
//!  "more_positions": [{"line": 3, "column": 1}, {"line": 4, "column": 1}]}
//! ```
//!
//! The collector builds a finding's text only for the occurrences it keeps:
//! a repeat costs a counter and, for the first few, a position.

use super::finding::{Code, Finding, Position, Severity};

/// Occurrences of one code kept as separate findings before they fold.
pub const KEEP: usize = 3;
/// Positions a folded finding lists: its own and the next ones.
pub const POSITIONS: usize = 10;

const CODES: usize = Code::ALL.len();

/// Occurrences of one code at one severity.
struct Tally {
    code: Code,
    severity: Severity,
    count: usize,
    /// Indices in the list of the findings built for the first occurrences.
    kept: [usize; KEEP],
    /// The first position, and the next [`POSITIONS`]` - 1` (kept apart so
    /// that a code seen once costs no allocation).
    first_at: Option<Position>,
    more_at: Vec<Position>,
}

/// Occurrences since a [`Mark`] that [`Findings::repeat`] can add again.
const TOUCHED: usize = 8;

/// A list of findings that folds repeats as they come.
pub struct Findings {
    list: Vec<Finding>,
    tally: Vec<Tally>,
    /// Code to its first tally, plus one (0: none yet).
    first: [u16; CODES],
    errors: usize,
    /// Changes other than a count: a finding kept, a position listed, a
    /// new tally.
    changes: usize,
    /// The tallies of the occurrences since the last mark (the first
    /// [`TOUCHED`]), and how many there were.
    touched: [usize; TOUCHED],
    touched_len: usize,
}

/// Where [`Findings::repeat`] starts from.
#[derive(Clone, Copy)]
pub struct Mark {
    changes: usize,
}

impl Default for Findings {
    fn default() -> Self {
        Findings {
            list: Vec::new(),
            tally: Vec::new(),
            first: [0; CODES],
            errors: 0,
            changes: 0,
            touched: [0; TOUCHED],
            touched_len: 0,
        }
    }
}

impl Findings {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an occurrence of `code` at its catalogue severity; `build` runs
    /// only when the finding is kept in full.
    pub fn add(&mut self, code: Code, at: Option<Position>, build: impl FnOnce() -> Finding) {
        self.add_as(code, code.entry().severity, at, build);
    }

    /// [`Findings::add`] for a finding built with another severity than the
    /// catalogue's (which `build` must give it).
    pub fn add_as(
        &mut self,
        code: Code,
        severity: Severity,
        at: Option<Position>,
        build: impl FnOnce() -> Finding,
    ) {
        if self.occurrence(code, severity, at) {
            let f = build();
            debug_assert!(f.code == code && f.severity == severity);
            self.list.push(f);
        }
    }

    /// Counts an occurrence and lists its position; true when its finding
    /// is to be kept in full (pushed next). Apart from [`Findings::add_as`]
    /// so that the many callers' builders do not each carry a copy.
    #[inline(never)]
    fn occurrence(&mut self, code: Code, severity: Severity, at: Option<Position>) -> bool {
        if severity == Severity::Error {
            self.errors += 1;
        }
        let t = self.tally_of(code, severity);
        if let Some(slot) = self.touched.get_mut(self.touched_len) {
            *slot = t;
        }
        self.touched_len += 1;
        let kept = self.list.len();
        let Some(tally) = self.tally.get_mut(t) else {
            return false;
        };
        let keep = tally.count < KEEP;
        if let Some(slot) = tally.kept.get_mut(tally.count) {
            *slot = kept;
        }
        tally.count += 1;
        let mut changed = keep;
        if let Some(p) = at {
            if tally.first_at.is_none() {
                tally.first_at = Some(p);
                changed = true;
            } else if tally.more_at.len() < POSITIONS - 1 {
                tally.more_at.push(p);
                changed = true;
            }
        }
        self.changes += usize::from(changed);
        keep
    }

    /// Starts counting the occurrences that [`Findings::repeat`] repeats.
    pub fn mark(&mut self) -> Mark {
        self.touched_len = 0;
        Mark {
            changes: self.changes,
        }
    }

    /// Adds the occurrences since `mark` `k` times more, as the same calls
    /// would, when that is only counting: when none of them kept a finding
    /// or listed a position (the tallies are full), and there were few.
    /// Returns whether it did (a run of equal lines costs one count).
    pub fn repeat(&mut self, mark: Mark, k: usize) -> bool {
        if self.changes != mark.changes || self.touched_len > TOUCHED {
            return false;
        }
        for &t in self.touched.iter().take(self.touched_len) {
            if let Some(tally) = self.tally.get_mut(t) {
                tally.count += k;
                if tally.severity == Severity::Error {
                    self.errors += k;
                }
            }
        }
        true
    }

    /// `k` occurrences of `code` at column 1 of the lines from `line` on, as
    /// `k` calls of [`Findings::add`] would record them, in constant time
    /// once the kept findings and listed positions are full (65 000 empty
    /// lines cost a count).
    pub fn add_lines(
        &mut self,
        code: Code,
        line: usize,
        k: usize,
        mut build: impl FnMut(usize) -> Finding,
    ) {
        let severity = code.entry().severity;
        for i in 0..k {
            let t = self.tally_of(code, severity);
            let tally = &mut self.tally[t];
            if tally.count >= KEEP && tally.more_at.len() + 1 >= POSITIONS {
                tally.count += k - i;
                if severity == Severity::Error {
                    self.errors += k - i;
                }
                return;
            }
            let n = line + i;
            self.add_as(code, severity, Some(Position::new(n, 1)), || build(n));
        }
    }

    /// Adds a finding already built.
    pub fn push(&mut self, f: Finding) {
        self.add_as(f.code, f.severity, f.position, || f);
    }

    pub fn extend(&mut self, list: impl IntoIterator<Item = Finding>) {
        for f in list {
            self.push(f);
        }
    }

    /// Whether any occurrence so far is an error.
    pub fn has_error(&self) -> bool {
        self.errors > 0
    }

    /// Occurrences of `code` so far, at every severity.
    pub fn count(&self, code: Code) -> usize {
        self.tally
            .iter()
            .filter(|t| t.code == code)
            .map(|t| t.count)
            .sum()
    }

    fn tally_of(&mut self, code: Code, severity: Severity) -> usize {
        let slot = code as usize;
        let first = usize::from(self.first[slot]);
        if first > 0 {
            if self.tally[first - 1].severity == severity {
                return first - 1;
            }
            if let Some(i) = self
                .tally
                .iter()
                .position(|t| t.code == code && t.severity == severity)
            {
                return i;
            }
        }
        self.changes += 1;
        self.tally.push(Tally {
            code,
            severity,
            count: 0,
            kept: [0; KEEP],
            first_at: None,
            more_at: Vec::new(),
        });
        let i = self.tally.len() - 1;
        if first == 0 {
            self.first[slot] = u16::try_from(i + 1).unwrap_or(u16::MAX);
        }
        i
    }

    /// The findings in the order they were added, repeats folded.
    pub fn finish(self) -> Vec<Finding> {
        let mut list = self.list;
        let mut drop = Vec::new();
        for t in self.tally {
            if t.count <= KEEP {
                continue;
            }
            let Some(f) = list.get_mut(t.kept[0]) else {
                continue;
            };
            let positions: Vec<Position> = t.first_at.into_iter().chain(t.more_at).collect();
            f.message.push_str(&also(t.count, &positions));
            f.count = Some(t.count);
            f.more_positions = positions.into_iter().skip(1).collect();
            drop.extend_from_slice(&t.kept[1..]);
        }
        if !drop.is_empty() {
            let mut dropped = vec![false; list.len()];
            for i in drop {
                if let Some(d) = dropped.get_mut(i) {
                    *d = true;
                }
            }
            let mut i = 0;
            list.retain(|_| {
                let keep = !dropped.get(i).copied().unwrap_or(false);
                i += 1;
                keep
            });
        }
        list
    }
}

/// Folds the repeats in a list of findings already built.
pub fn fold(list: Vec<Finding>) -> Vec<Finding> {
    let mut out = Findings::new();
    out.extend(list);
    out.finish()
}

/// The sentence a folded finding's message gains.
fn also(count: usize, positions: &[Position]) -> String {
    let mut lines: Vec<usize> = positions.iter().map(|p| p.line).collect();
    lines.dedup();
    if lines.len() < 2 {
        return format!(" This occurs {count} times in all.");
    }
    let list = lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let more = if count > lines.len() { ", ..." } else { "" };
    format!(" This occurs {count} times in all (lines {list}{more}).")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(n: usize) -> Finding {
        Finding::new(
            Code::PolicyBlankLine,
            format!("Line {n} is empty."),
            "Remove it.",
        )
        .at(n, 1)
    }

    #[test]
    fn a_few_repeats_stay_separate() {
        let list = fold((1..=KEEP).map(blank).collect());
        assert_eq!(list.len(), KEEP);
        assert!(list
            .iter()
            .all(|f| f.count.is_none() && f.more_positions.is_empty()));
    }

    #[test]
    fn many_repeats_become_one_finding_and_are_never_built() {
        let mut out = Findings::new();
        let mut built = 0;
        for n in 1..=65_000 {
            out.add(Code::PolicyBlankLine, Some(Position::new(n, 1)), || {
                built += 1;
                blank(n)
            });
        }
        out.push(Finding::new(Code::PolicySyntax, "other", "fix").at(7, 1));
        let list = out.finish();
        assert_eq!(built, KEEP);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].count, Some(65_000));
        assert_eq!(list[0].position, Some(Position::new(1, 1)));
        assert_eq!(list[0].more_positions.len(), POSITIONS - 1);
        assert_eq!(list[0].more_positions[0], Position::new(2, 1));
        assert!(
            list[0].message.contains("65000 times"),
            "{}",
            list[0].message
        );
        assert_eq!(list[1].code, Code::PolicySyntax);
        assert_eq!(list[1].count, None);
    }

    #[test]
    fn a_run_of_lines_counts_like_one_by_one() {
        let mut one = Findings::new();
        for n in 5..5 + 1000 {
            one.add(Code::PolicyBlankLine, Some(Position::new(n, 1)), || {
                blank(n)
            });
        }
        let mut run = Findings::new();
        run.add_lines(Code::PolicyBlankLine, 5, 1000, blank);
        assert!(run.has_error());
        assert_eq!(run.finish(), one.finish());
    }

    #[test]
    fn severities_fold_apart() {
        let mut list = Vec::new();
        for n in 1..=5 {
            list.push(Finding::new(Code::PolicyUnknownField, "x", "y").at(n, 1));
            list.push(
                Finding::new(Code::PolicyUnknownField, "x", "y")
                    .with_severity(Severity::Warning)
                    .at(n + 10, 1),
            );
        }
        let list = fold(list);
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(|f| f.count == Some(5)));
    }

    #[test]
    fn folded_json_shape() {
        let list = fold((1..=5).map(blank).collect());
        let v = serde_json::to_value(&list[0]).unwrap();
        assert_eq!(v["count"], 5);
        assert_eq!(v["line"], 1);
        assert_eq!(v["more_positions"][0]["line"], 2);
        let single = serde_json::to_value(blank(1)).unwrap();
        assert!(single.get("count").is_none() && single.get("more_positions").is_none());
    }
}
