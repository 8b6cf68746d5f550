//! "Did you mean ...?" for misspelt field names, values and references.

/// The candidate closest to `input`, when it is close enough to be a likely typo: the same
/// word in another case, or at most a third of its letters (at least one) different.
pub(crate) fn closest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = input.to_lowercase();
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A hint: `did you mean 'x'?`, or the list of what is accepted when nothing is close.
pub(crate) fn hint<'a, I>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if let Some(best) = closest(input, candidates.clone()) {
        return Some(format!("did you mean '{best}'?"));
    }
    let all: Vec<&str> = candidates.into_iter().collect();
    if all.is_empty() {
        None
    } else {
        Some(format!("expected one of: {}", all.join(", ")))
    }
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_field() {
        let fields = ["identities", "trustedRoot", "github", "extensions"];
        assert_eq!(closest("identites", fields), Some("identities"));
        assert_eq!(closest("trustedroot", fields), Some("trustedRoot"));
        assert_eq!(closest("gihtub", fields), Some("github"));
        assert_eq!(closest("banana", fields), None);
        assert_eq!(
            hint("banana", ["a", "b"]).as_deref(),
            Some("expected one of: a, b")
        );
    }
}
