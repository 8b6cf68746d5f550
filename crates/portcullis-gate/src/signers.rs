//! Distinct signers: `require: N` is met by N authorities each verified by a signer of its
//! own (a key, or a certificate identity and issuer). One signer that two overlapping
//! authorities both accept (two identity patterns matching one workflow, one key listed
//! twice) counts once however many signatures it made, or a two-person rule could be met by
//! one person.
//!
//! Written by hand: a maximum bipartite matching between authorities and signatures by
//! augmenting paths (Kuhn). Both sides are a handful of items, so the simple algorithm is
//! the right one and a graph crate would be weight without gain.

use std::collections::{HashMap, HashSet};

/// For each authority, the signers (numbered) whose signatures it verified. Returns, for
/// each authority, whether it is matched to a signer no other matched authority uses, in a
/// matching as large as possible (earlier authorities are matched first).
pub(crate) fn distinct(verified_by: &[Vec<usize>]) -> Vec<bool> {
    // signature -> the authority it is matched to
    let mut owner: HashMap<usize, usize> = HashMap::new();
    for authority in 0..verified_by.len() {
        let mut seen = HashSet::new();
        augment(authority, verified_by, &mut owner, &mut seen);
    }
    let mut matched = vec![false; verified_by.len()];
    for authority in owner.into_values() {
        matched[authority] = true;
    }
    matched
}

/// Finds a signature for `authority`, moving earlier matches along when that frees one.
/// Recursion depth is bounded by the number of authorities.
fn augment(
    authority: usize,
    verified_by: &[Vec<usize>],
    owner: &mut HashMap<usize, usize>,
    seen: &mut HashSet<usize>,
) -> bool {
    for &signature in &verified_by[authority] {
        if !seen.insert(signature) {
            continue;
        }
        let free = match owner.get(&signature) {
            None => true,
            Some(&other) => augment(other, verified_by, owner, seen),
        };
        if free {
            owner.insert(signature, authority);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::distinct;

    fn count(v: &[Vec<usize>]) -> usize {
        distinct(v).into_iter().filter(|m| *m).count()
    }

    #[test]
    fn one_signature_counts_for_one_authority() {
        assert_eq!(count(&[vec![0], vec![0]]), 1);
        assert_eq!(count(&[vec![0], vec![1]]), 2);
        assert_eq!(count(&[vec![], vec![0]]), 1);
        assert_eq!(count(&[]), 0);
    }

    #[test]
    fn an_earlier_choice_is_moved_to_make_room() {
        // Authority 0 accepts both signatures, authority 1 only the first: both are met
        // (0 takes signature 1, 1 takes signature 0), whatever 0 tried first.
        assert_eq!(distinct(&[vec![0, 1], vec![0]]), vec![true, true]);
        // Three authorities over two signatures: at most two.
        assert_eq!(count(&[vec![0, 1], vec![0, 1], vec![0, 1]]), 2);
        // A chain of moves.
        assert_eq!(count(&[vec![0, 1], vec![1, 2], vec![0]]), 3);
    }
}
