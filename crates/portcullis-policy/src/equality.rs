//! Is this an update? Image Updater's tag equality (`ImageTag.Equals`).
//!
//! When either side has a digest, the digests decide, so one side without a digest is never
//! equal to one with a digest; otherwise the names decide. An empty digest counts as none.
//! A caller following a tag (digest strategy) passes both digests; a caller comparing
//! versions passes none, or a digest on one side alone makes every comparison an update.

use portcullis_image::Digest;

use crate::TagInfo;

/// Image Updater's tag equality on raw values (digests as written, `""` = none).
pub fn tags_equal(
    a_name: &str,
    a_digest: Option<&str>,
    b_name: &str,
    b_digest: Option<&str>,
) -> bool {
    let a_digest = a_digest.unwrap_or_default();
    let b_digest = b_digest.unwrap_or_default();
    if !a_digest.is_empty() || !b_digest.is_empty() {
        return a_digest == b_digest;
    }
    a_name == b_name
}

/// Whether moving from the deployed `current_tag` (with its digest, if known) to `chosen`
/// is an update: the negation of [`tags_equal`].
#[must_use]
pub fn is_update(current_tag: &str, current_digest: Option<&Digest>, chosen: &TagInfo) -> bool {
    !tags_equal(
        current_tag,
        current_digest.map(Digest::as_str),
        &chosen.name,
        chosen.digest.as_ref().map(Digest::as_str),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_decide_when_present() {
        // (a name, a digest, b name, b digest, equal)
        let table: &[(&str, &str, &str, &str, bool)] = &[
            ("v1.0.0", "", "v1.0.0", "", true),
            ("v1.0.0", "abcdef", "v1.0.0-variant2", "abcdef", true),
            ("v1.0.0", "abcdef", "v1.0.0", "abcdef", true),
            ("v1.0.0", "", "v1.0.1", "", false),
            ("v1.0.0", "abc", "v1.0.0", "def", false),
            ("v1.0.0", "abc", "v1.0.0", "", false),
            ("v1.0.0", "", "v1.0.0", "abc", false),
        ];
        for (an, ad, bn, bd, want) in table {
            assert_eq!(
                tags_equal(an, Some(ad), bn, Some(bd)),
                *want,
                "{an}@{ad} vs {bn}@{bd}"
            );
            assert_eq!(tags_equal(bn, Some(bd), an, Some(ad)), *want, "swapped");
        }
        assert!(tags_equal("v1", None, "v1", Some("")));
    }

    #[test]
    fn an_update_is_a_different_tag_or_a_moved_digest() {
        let old: Digest = format!("sha256:{}", "1".repeat(64)).parse().unwrap();
        let new: Digest = format!("sha256:{}", "2".repeat(64)).parse().unwrap();
        let moved = TagInfo::named("stable").with_digest(new.clone());
        assert!(is_update("stable", Some(&old), &moved));
        assert!(!is_update("stable", Some(&new), &moved));
        // Not knowing the deployed digest of a followed tag means writing the digest.
        assert!(is_update("stable", None, &moved));
        assert!(is_update("1.0.0", None, &TagInfo::named("1.1.0")));
        assert!(!is_update("1.1.0", None, &TagInfo::named("1.1.0")));
    }
}
