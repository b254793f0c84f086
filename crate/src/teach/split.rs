//! The stratified validation split both trainers use: in every tag, a share of its pictures (at
//! least one, and at least one left to learn from) is kept aside, chosen by a seed.

use crate::preprocess::rng::SplitMix64;

/// A tag with fewer than two pictures: nothing to learn from or nothing to check with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooFew {
    /// Index of the tag.
    pub tag: usize,
    /// How many pictures it has.
    pub count: usize,
}

/// Splits sample indices by `labels[i]` (each `< tags`): in every tag, `valid_fraction` of its
/// samples (rounded, within 1..=count-1) go to validation, picked by a SplitMix64 shuffle of
/// `seed`. Returns `(train, valid)`, each sorted. The order of draws (tag by tag, one generator)
/// is part of the contract: the same seed gives the same split natively and in the page.
pub fn stratified(labels: &[usize], tags: usize, valid_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>), TooFew> {
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    let mut rng = SplitMix64::new(seed);
    for tag in 0..tags {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == tag).collect();
        if members.len() < 2 {
            return Err(TooFew { tag, count: members.len() });
        }
        rng.shuffle(&mut members);
        let n_valid = ((members.len() as f64 * valid_fraction).round() as usize).clamp(1, members.len() - 1);
        valid.extend_from_slice(&members[..n_valid]);
        train.extend_from_slice(&members[n_valid..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    Ok((train, valid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_is_split_and_nothing_is_lost_or_shared() {
        let labels: Vec<usize> = (0..23).map(|i| i % 3).collect(); // 8, 8, 7
        let (train, valid) = stratified(&labels, 3, 0.2, 7).unwrap();
        assert_eq!(train.len() + valid.len(), 23);
        assert!(train.iter().all(|i| !valid.contains(i)));
        for tag in 0..3 {
            let n = valid.iter().filter(|&&i| labels[i] == tag).count();
            assert_eq!(n, if tag == 2 { 1 } else { 2 }, "tag {tag}: round(0.2 × its count)");
        }
        assert_eq!(stratified(&labels, 3, 0.2, 7).unwrap(), (train.clone(), valid.clone()), "seeded");
        assert_ne!(stratified(&labels, 3, 0.2, 8).unwrap().1, valid, "another seed, another split");
    }

    #[test]
    fn a_tag_with_one_picture_is_named() {
        assert_eq!(stratified(&[0, 0, 1], 2, 0.2, 1), Err(TooFew { tag: 1, count: 1 }));
        assert_eq!(stratified(&[0, 0, 1, 1], 3, 0.2, 1), Err(TooFew { tag: 2, count: 0 }));
        // Two pictures: one to learn from, one to check with, whatever the fraction.
        let (train, valid) = stratified(&[0, 0, 1, 1], 2, 0.9, 1).unwrap();
        assert_eq!((train.len(), valid.len()), (2, 2));
    }
}
