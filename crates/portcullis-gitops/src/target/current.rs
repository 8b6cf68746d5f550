//! Reading back what a write-back target says is deployed for an image: the tag and digest a
//! previous update wrote (or a person set), so the gate compares candidates with what runs.
//! Read-only and forgiving: a file it cannot read says nothing, and the caller falls back to
//! its configuration.

use serde_json::Value;

use super::change::Placement;
use super::kustomize_image::same_repository;
use super::spec::WriteBackTarget;

/// What a target file records for an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployed {
    /// The tag, when written.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), when written.
    pub digest: Option<String>,
}

/// What `content` (the file of `target`) records for `image` placed as `placement`; `None`
/// when the file does not mention it or cannot be read as YAML.
pub fn read_deployed(
    target: &WriteBackTarget,
    content: &str,
    image: &str,
    placement: &Placement,
) -> Option<Deployed> {
    let doc: Value = serde_saphyr::from_str(content).ok()?;
    match (target, placement) {
        (WriteBackTarget::Kustomization { .. }, _) => {
            let name = kustomize_name(image, placement);
            doc.get("images")?.as_array()?.iter().find_map(|entry| {
                let entry_name = entry.get("name")?.as_str()?;
                same_repository(entry_name, &name).then(|| Deployed {
                    tag: text(entry.get("newTag")),
                    digest: text(entry.get("digest")),
                })
            })
        }
        (_, Placement::Helm(params)) => {
            // Nested keys first, then a key spelled with the dots: the order the values
            // editor follows, so what is read back is what was written.
            let lookup = |path: &str| {
                path.split('.')
                    .try_fold(&doc, |v, k| v.get(k))
                    .and_then(Value::as_str)
                    .or_else(|| doc.get(path).and_then(Value::as_str))
                    .map(str::to_owned)
            };
            // Parameters of an override file, by name.
            let param = |name: &str| {
                doc.get("helm")?
                    .get("parameters")?
                    .as_array()?
                    .iter()
                    .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                    .and_then(|p| text(p.get("value")))
            };
            let get = |path: &str| lookup(path).or_else(|| param(path));
            // Several images may share one values file: the name field, when the file has
            // one, must be this image's, or the tag beside it is another image's.
            if let Some(name) = get(params.image_name.as_deref().unwrap_or("image.name"))
                && !same_repository(&name, image)
            {
                return None;
            }
            if let Some(spec) = params.image_spec.as_deref().and_then(get) {
                return Some(split_reference(
                    spec.rsplit_once('/').map_or(&spec, |(_, r)| r),
                ));
            }
            let tag = get(params.image_tag.as_deref().unwrap_or("image.tag"))?;
            let mut deployed = split_reference(&format!("x:{tag}"));
            if let Some(d) = params.image_digest.as_deref().and_then(get) {
                deployed.digest = Some(d);
            }
            Some(deployed)
        }
        (_, Placement::Kustomize { .. }) => {
            let name = kustomize_name(image, placement);
            doc.get("kustomize")?
                .get("images")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .find_map(|entry| {
                    let target = entry.split_once('=').map_or(entry, |(_, t)| t);
                    let repo = target.split('@').next().unwrap_or(target);
                    let repo = match repo.rsplit_once(':') {
                        Some((r, t)) if !t.contains('/') => r,
                        _ => repo,
                    };
                    let declared = entry.split_once('=').map_or(repo, |(n, _)| n);
                    (same_repository(declared, &name) || same_repository(repo, &name))
                        .then(|| split_reference(target))
                })
        }
    }
}

fn kustomize_name(image: &str, placement: &Placement) -> String {
    match placement {
        Placement::Kustomize {
            image_name: Some(n),
        } => n.clone(),
        _ => image.to_owned(),
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `repo[:tag][@digest]` (the repository may hold a port) into tag and digest.
fn split_reference(reference: &str) -> Deployed {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d.to_owned())),
        None => (reference, None),
    };
    let tag = match rest.rsplit_once(':') {
        Some((_, t)) if !t.contains('/') && !t.is_empty() => Some(t.to_owned()),
        _ => None,
    };
    Deployed { tag, digest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::HelmParams;

    const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// Where a file has both a nested `image: {tag:}` and a key spelled `image.tag`, the
    /// nested one is read, as the values editor writes it.
    #[test]
    fn a_nested_value_wins_over_a_dotted_key_as_in_the_editor() {
        let h = WriteBackTarget::HelmValues {
            file: "values.yaml".into(),
        };
        let helm = Placement::Helm(HelmParams::default());
        let text = "image.tag: \"9.9.9\"\nimage:\n  tag: 1.0.0\n";
        let d = read_deployed(&h, text, "ghcr.io/acme/web", &helm).unwrap();
        assert_eq!(d.tag.as_deref(), Some("1.0.0"));
        let written = crate::target::set_helm_values(
            Some(text),
            &[crate::target::HelmValueWrite::new("image.tag", "1.1.0")],
        )
        .unwrap();
        let d = read_deployed(&h, &written, "ghcr.io/acme/web", &helm).unwrap();
        assert_eq!(d.tag.as_deref(), Some("1.1.0"), "{written}");
    }

    #[test]
    fn reads_what_each_target_records() {
        let k = WriteBackTarget::Kustomization { dir: ".".into() };
        let text =
            format!("images:\n- name: ghcr.io/acme/web\n  newTag: 1.4.2\n  digest: {DIGEST}\n");
        let d = read_deployed(&k, &text, "ghcr.io/acme/web", &Placement::default()).unwrap();
        assert_eq!(d.tag.as_deref(), Some("1.4.2"));
        assert_eq!(d.digest.as_deref(), Some(DIGEST));
        assert!(read_deployed(&k, &text, "ghcr.io/acme/api", &Placement::default()).is_none());

        let o = WriteBackTarget::Override {
            path: ".argocd-source-shop.yaml".into(),
        };
        let text = format!("kustomize:\n  images:\n  - ghcr.io/acme/web:1.4.2@{DIGEST}\n");
        let d = read_deployed(&o, &text, "ghcr.io/acme/web", &Placement::default()).unwrap();
        assert_eq!(d.tag.as_deref(), Some("1.4.2"));
        assert_eq!(d.digest.as_deref(), Some(DIGEST));

        let h = WriteBackTarget::HelmValues {
            file: "values.yaml".into(),
        };
        let text = format!(
            "# comment\nimage:\n  repository: ghcr.io/acme/web\n  tag: \"1.4.2@{DIGEST}\"\n"
        );
        let helm = Placement::Helm(HelmParams {
            image_name: Some("image.repository".into()),
            image_tag: Some("image.tag".into()),
            ..HelmParams::default()
        });
        let d = read_deployed(&h, &text, "ghcr.io/acme/web", &helm).unwrap();
        assert_eq!(d.tag.as_deref(), Some("1.4.2"));
        assert_eq!(d.digest.as_deref(), Some(DIGEST));
        // The tag beside another image's name is not this image's.
        assert!(read_deployed(&h, &text, "ghcr.io/acme/api", &helm).is_none());
        assert!(read_deployed(&h, "not: [yaml", "x", &helm).is_none());
    }
}
