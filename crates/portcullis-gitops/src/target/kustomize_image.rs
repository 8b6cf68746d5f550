//! Kustomize image strings as Argo CD and Image Updater compare them.
//!
//! [`KustomizeImage::matches`] is Argo CD's `KustomizeImage.Match`: names compared up to
//! the first delimiter among `=`, `:`, `@`, the delimiter being chosen from the *second*
//! image. [`same_image`] is Image Updater's merge rule for override files: same name and
//! registry, with an implicit and an explicit `docker.io` being the same registry.
//! [`same_repository`] compares kustomization `name`s after Docker normalisation
//! (`nginx` = `docker.io/library/nginx`).

use portcullis_image::Repository;
use portcullis_image::aiu::{ContainerImage, ImageTag};

/// A Kustomize image override string: `[name=]image[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KustomizeImage(pub String);

impl KustomizeImage {
    fn delim(&self) -> char {
        ['=', ':', '@']
            .into_iter()
            .find(|d| self.0.contains(*d))
            .unwrap_or(':')
    }

    /// Whether two strings name the same image, as Argo CD's `KustomizeImage.Match`.
    pub fn matches(&self, other: &Self) -> bool {
        let d = other.delim();
        let mine = self.0.split(d).next().unwrap_or("");
        let theirs = other.0.split(d).next().unwrap_or("");
        mine == theirs
    }

    /// The index of the first of `images` that [`Self::matches`] `self`, as Argo CD's
    /// `KustomizeImages.Find`.
    pub fn find_in(&self, images: &[Self]) -> Option<usize> {
        images.iter().position(|i| i.matches(self))
    }
}

/// Image Updater's `sameImageNameAndRegistry`: same name, and the same registry where an
/// empty registry and `docker.io` are equal.
pub(crate) fn same_image(a: &ContainerImage, b: &ContainerImage) -> bool {
    let hub = |r: &str| r.is_empty() || r == "docker.io";
    a.name == b.name && (a.registry == b.registry || (hub(&a.registry) && hub(&b.registry)))
}

/// Image Updater's tag equality: by digest when either has one, else by name.
pub(crate) fn same_tag(a: &ImageTag, b: &ImageTag) -> bool {
    if !a.digest.is_empty() || !b.digest.is_empty() {
        a.digest == b.digest
    } else {
        a.name == b.name
    }
}

/// Whether two image names are one repository: equal as written, or after Docker's
/// normalisation.
pub(crate) fn same_repository(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (a.parse::<Repository>(), b.parse::<Repository>()),
            (Ok(x), Ok(y)) if x == y
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_up_to_the_other_images_delimiter() {
        let k = |s: &str| KustomizeImage(s.to_owned());
        assert!(k("foo=1").matches(&k("foo=2")));
        assert!(!k("foo=1").matches(&k("bar:1")));
        assert!(!k("foobar@2").matches(&k("foo@2")));
        assert!(k("nginx").matches(&k("nginx")));
    }

    #[test]
    fn docker_hub_spellings_are_one_image() {
        let a = ContainerImage::parse("docker.io/jannfis/foobar:1.0.0");
        let b = ContainerImage::parse("jannfis/foobar:1.0.1");
        assert!(same_image(&a, &b));
        assert!(same_repository("nginx", "docker.io/library/nginx"));
        assert!(!same_repository("nginx", "ghcr.io/nginx"));
    }
}
