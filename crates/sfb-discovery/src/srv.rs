//! RFC 2782 ordering of SRV answers: lowest priority first, weighted random choice inside one
//! priority, with the randomness injected.

/// A source of uniform random numbers, injected so the ordering is testable.
pub trait SrvRng {
    /// A uniform random number in `0..=max`.
    fn uniform_inclusive(&mut self, max: u32) -> u32;
}

/// An SRV answer that has a target (the `.` target is filtered out before ordering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvTarget<T> {
    /// Priority.
    pub priority: u16,
    /// Weight.
    pub weight: u16,
    /// Whatever the caller carries along (target, port, ...).
    pub item: T,
}

/// Orders SRV answers.
///
/// RFC 2782, "Usage rules": sort by priority, lowest first. Inside one priority, order the
/// records with weight 0 first, keep a running sum of the weights, "choose a uniform random
/// number between 0 and the sum computed (inclusive)", select the first record whose running sum
/// is greater than or equal to it, remove it and repeat until none is left. Every record is kept.
pub fn order_srv<T>(mut records: Vec<SrvTarget<T>>, rng: &mut dyn SrvRng) -> Vec<SrvTarget<T>> {
    // Stable sort: equal priorities keep wire order, weight-0 records first within one priority.
    records.sort_by_key(|r| (r.priority, r.weight != 0));
    let mut out = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let prio = records.first().map(|r| r.priority).unwrap_or_default();
        let end = records
            .iter()
            .position(|r| r.priority != prio)
            .unwrap_or(records.len());
        let mut group: Vec<SrvTarget<T>> = records.drain(..end).collect();
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let pick = rng.uniform_inclusive(total).min(total);
            let mut running = 0u32;
            let mut chosen = group.len() - 1;
            for (i, r) in group.iter().enumerate() {
                running += u32::from(r.weight);
                if running >= pick {
                    chosen = i;
                    break;
                }
            }
            out.push(group.remove(chosen));
        }
    }
    out
}

/// A small deterministic generator (SplitMix64), good enough for load spreading; seed it from
/// anything. Not for cryptography.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Seeded from the standard library's per-process random hasher keys.
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5fb_d15c);
        Self(h.finish())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl SrvRng for SplitMix64 {
    fn uniform_inclusive(&mut self, max: u32) -> u32 {
        let span = u64::from(max) + 1;
        // Multiply-shift maps 64 random bits into 0..span with negligible bias.
        ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns scripted numbers, recording the bounds it was asked for.
    struct Script(Vec<u32>, Vec<u32>);
    impl SrvRng for Script {
        fn uniform_inclusive(&mut self, max: u32) -> u32 {
            self.1.push(max);
            if self.0.is_empty() {
                0
            } else {
                self.0.remove(0)
            }
        }
    }

    fn t(priority: u16, weight: u16, item: &'static str) -> SrvTarget<&'static str> {
        SrvTarget {
            priority,
            weight,
            item,
        }
    }

    fn items(v: Vec<SrvTarget<&'static str>>) -> Vec<&'static str> {
        v.into_iter().map(|r| r.item).collect()
    }

    #[test]
    fn priority_first_then_weight() {
        // Priority 10: a(60) b(30) c(10). Draws: 65 -> b (running 60, 90), then a(60)+c(10)
        // total 70: draw 0 -> a, then c.
        let recs = vec![
            t(20, 0, "z"),
            t(10, 60, "a"),
            t(10, 30, "b"),
            t(10, 10, "c"),
        ];
        let mut rng = Script(vec![65, 0, 0, 0], vec![]);
        assert_eq!(items(order_srv(recs, &mut rng)), ["b", "a", "c", "z"]);
        assert_eq!(rng.1, [100, 70, 10, 0]);
    }

    #[test]
    fn zero_weight_is_first_in_the_running_sum() {
        // w0 first in the sum: a draw of 0 picks the weight-0 record, anything else skips it.
        let recs = vec![t(0, 5, "heavy"), t(0, 0, "zero")];
        assert_eq!(
            items(order_srv(recs.clone(), &mut Script(vec![0], vec![]))),
            ["zero", "heavy"]
        );
        assert_eq!(
            items(order_srv(recs, &mut Script(vec![3], vec![]))),
            ["heavy", "zero"]
        );
    }

    #[test]
    fn every_record_kept_with_a_hostile_rng() {
        struct Max;
        impl SrvRng for Max {
            fn uniform_inclusive(&mut self, _max: u32) -> u32 {
                u32::MAX
            }
        }
        let recs = vec![
            t(1, 0, "a"),
            t(1, 0, "b"),
            t(0, 65535, "c"),
            t(0, 65535, "d"),
        ];
        let out = items(order_srv(recs, &mut Max));
        assert_eq!(out, ["d", "c", "a", "b"]);
    }

    #[test]
    fn output_is_a_permutation_sorted_by_priority() {
        let mut rng = SplitMix64::new(3);
        for round in 0..500 {
            let n = rng.uniform_inclusive(12) as usize;
            let recs: Vec<SrvTarget<usize>> = (0..n)
                .map(|i| SrvTarget {
                    priority: rng.uniform_inclusive(3) as u16,
                    weight: [0, 1, 10, 65535][rng.uniform_inclusive(3) as usize],
                    item: i,
                })
                .collect();
            let out = order_srv(recs.clone(), &mut rng);
            let mut ids: Vec<usize> = out.iter().map(|r| r.item).collect();
            ids.sort_unstable();
            assert_eq!(ids, (0..n).collect::<Vec<_>>(), "round {round}");
            assert!(out.windows(2).all(|w| w[0].priority <= w[1].priority));
        }
    }

    #[test]
    fn weights_bias_the_first_pick() {
        // 90 vs 10: over many seeds the heavy record comes first about 90% of the time.
        let mut heavy_first = 0;
        for seed in 0..2000 {
            let recs = vec![t(0, 10, "light"), t(0, 90, "heavy")];
            if order_srv(recs, &mut SplitMix64::new(seed))[0].item == "heavy" {
                heavy_first += 1;
            }
        }
        assert!((1700..1900).contains(&heavy_first), "{heavy_first}");
    }

    #[test]
    fn splitmix_stays_in_range_and_spreads() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [0u32; 4];
        for _ in 0..4000 {
            let v = rng.uniform_inclusive(3);
            assert!(v <= 3);
            seen[v as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
        assert_eq!(rng.clone().uniform_inclusive(0), 0);
    }
}
