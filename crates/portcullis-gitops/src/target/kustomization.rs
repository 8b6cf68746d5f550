//! `kustomization.yaml` images, edited like `kustomize edit set image`: the `images:` entry
//! whose `name` is the image (equal as written or after Docker normalisation) gets
//! `newName` (only when it names another image), `newTag` and `digest`; without a name
//! override, an entry whose `newName` is the image is the one updated; an entry is added
//! when there is none. Fields not given are removed from the entry (a digest-only pin
//! drops a stale `newTag`), as Image Updater replaces the whole entry; every other key,
//! comment and entry stays as it was.

use super::error::EditError;
use super::kustomize_image::same_repository;
use super::yaml::{Document, Editor, Kind, NewValue, Node, Owner, Splice};

/// What one kustomization image entry should say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KustomizeImageEdit {
    /// The entry's `name`: the image as the manifests spell it (or the `kustomize.image-name`
    /// override).
    pub name: String,
    /// `newName`, when the image to deploy is another repository than `name`.
    pub new_name: Option<String>,
    /// `newTag`.
    pub new_tag: Option<String>,
    /// `digest`.
    pub digest: Option<String>,
}

impl KustomizeImageEdit {
    fn fields(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("newName", self.new_name.as_deref()),
            ("newTag", self.new_tag.as_deref()),
            ("digest", self.digest.as_deref()),
        ]
    }

    fn as_item(&self) -> NewValue {
        let mut m = vec![("name".to_owned(), NewValue::Scalar(self.name.clone()))];
        for (k, v) in self.fields() {
            if let Some(v) = v {
                m.push((k.to_owned(), NewValue::Scalar(v.to_owned())));
            }
        }
        NewValue::Map(m)
    }
}

/// Applies `edit` to the text of a kustomization.
pub fn set_kustomization_image(
    existing: &str,
    edit: &KustomizeImageEdit,
) -> Result<String, EditError> {
    let mut ed = Editor::new(existing);
    // One field per pass: name match, then newName, newTag, digest; at most a handful.
    for _ in 0..8 {
        let splices = {
            let doc = ed.doc()?;
            next_step(&doc, edit)?
        };
        match splices {
            Some(s) => ed.apply(s)?,
            None => return Ok(ed.into_text()),
        }
    }
    Ok(ed.into_text())
}

fn next_step(
    doc: &Document<'_>,
    edit: &KustomizeImageEdit,
) -> Result<Option<Vec<Splice>>, EditError> {
    if doc.more_documents {
        return Err(EditError::MultipleDocuments);
    }
    if doc.root.entries().is_none() && !doc.root.is_empty_value() {
        return Err(unexpected(doc, "(top level)", &doc.root, "a mapping"));
    }
    let Some(images) = doc.root.get("images") else {
        return Ok(Some(doc.insert_entry(
            Owner::Root,
            "images",
            &NewValue::Seq(vec![edit.as_item()]),
        )?));
    };
    if images.value.is_empty_value() {
        return Ok(Some(
            doc.append_item(Owner::Entry(images), &edit.as_item())?,
        ));
    }
    let items = images
        .value
        .items()
        .ok_or_else(|| unexpected(doc, "images", &images.value, "a list"))?;
    let field = |it: &Node, key: &str| -> Option<String> {
        it.get(key)
            .and_then(|e| e.value.scalar())
            .map(str::to_owned)
    };
    // An entry the editor cannot read (flow style, no name) could be the image's own: adding
    // another would leave two, and which one kustomize applies would be a guess.
    if let Some(unreadable) = items
        .iter()
        .find(|it| !matches!(it.kind, Kind::Map { .. }) || field(it, "name").is_none())
    {
        return Err(unexpected(
            doc,
            "images[]",
            unreadable,
            "a block mapping with a 'name' (write `- name: ...` entries)",
        ));
    }
    let by_name = items
        .iter()
        .find(|it| field(it, "name").is_some_and(|n| same_repository(&n, &edit.name)));
    // Without a name override, an entry that already points at the image through
    // `newName` is the one that deploys it: update it rather than add a dead entry.
    let by_new_name = items.iter().find(|it| {
        edit.new_name.is_none()
            && field(it, "newName").is_some_and(|n| same_repository(&n, &edit.name))
    });
    let (item, edit) = match (by_name, by_new_name) {
        (Some(item), _) => (item, edit.clone()),
        (None, Some(item)) => (
            item,
            KustomizeImageEdit {
                name: field(item, "name").unwrap_or_default(),
                new_name: field(item, "newName"),
                ..edit.clone()
            },
        ),
        (None, None) => {
            return Ok(Some(
                doc.append_item(Owner::Entry(images), &edit.as_item())?,
            ));
        }
    };
    let name = field(item, "name").unwrap_or_default();
    let name = name.as_str();
    for (key, want) in edit.fields() {
        let current = item.get(key);
        match (current, want) {
            (Some(e), Some(w)) => {
                let same = match key {
                    "newName" => e.value.scalar().is_some_and(|c| same_repository(c, w)),
                    _ => e.value.scalar() == Some(w),
                };
                if !same {
                    return Ok(Some(doc.set_scalar(&e.value, w)?));
                }
            }
            (None, Some(w)) => {
                // `newName` equal to `name` says nothing: leave it out.
                if key == "newName" && same_repository(name, w) {
                    continue;
                }
                return Ok(Some(doc.insert_entry(
                    Owner::Node(item),
                    key,
                    &NewValue::Scalar(w.to_owned()),
                )?));
            }
            (Some(e), None) => {
                if key == "newName" && e.value.scalar().is_some_and(|c| same_repository(c, name)) {
                    continue;
                }
                let index = item
                    .entries()
                    .and_then(|es| es.iter().position(|x| x.key == key))
                    .unwrap_or(usize::MAX);
                return Ok(Some(doc.remove_entry(item, index)?));
            }
            (None, None) => {}
        }
    }
    Ok(None)
}

fn unexpected(doc: &Document<'_>, key: &str, node: &Node, expected: &'static str) -> EditError {
    EditError::UnexpectedValue {
        key: key.to_owned(),
        line: doc.line_at(node.start) + 1,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(name: &str, tag: Option<&str>, digest: Option<&str>) -> KustomizeImageEdit {
        KustomizeImageEdit {
            name: name.into(),
            new_name: None,
            new_tag: tag.map(Into::into),
            digest: digest.map(Into::into),
        }
    }

    #[test]
    fn updates_the_matching_entry_in_place() {
        let text = "resources:\n- deploy.yaml\nimages:\n- name: docker.io/library/nginx # web\n  newTag: 1.25.0\n- name: redis\n";
        let out = set_kustomization_image(text, &edit("nginx", Some("1.26.0"), Some("sha256:aa")))
            .unwrap();
        assert_eq!(
            out,
            "resources:\n- deploy.yaml\nimages:\n- name: docker.io/library/nginx # web\n  newTag: 1.26.0\n  digest: sha256:aa\n- name: redis\n"
        );
    }

    #[test]
    fn finds_the_entry_that_renames_to_the_image() {
        let text = "images:\n- name: web\n  newName: ghcr.io/acme/web\n  newTag: 1.0.0\n";
        let out =
            set_kustomization_image(text, &edit("ghcr.io/acme/web", Some("1.1.0"), None)).unwrap();
        assert_eq!(
            out,
            "images:\n- name: web\n  newName: ghcr.io/acme/web\n  newTag: 1.1.0\n"
        );
    }

    #[test]
    fn digest_only_drops_the_stale_tag() {
        let text = "images:\n  - name: app\n    newTag: \"1.0\"\n";
        let out = set_kustomization_image(text, &edit("app", None, Some("sha256:bb"))).unwrap();
        assert_eq!(out, "images:\n  - name: app\n    digest: sha256:bb\n");
    }

    #[test]
    fn adds_the_images_list_when_missing() {
        let text = "kind: Kustomization\nresources: []\n";
        let out = set_kustomization_image(text, &edit("app", Some("1.20"), None)).unwrap();
        assert_eq!(
            out,
            "kind: Kustomization\nresources: []\nimages:\n- name: app\n  newTag: \"1.20\"\n"
        );
    }
}
