//! Argo CD parameter-override files (`.argocd-source-<app>.yaml`): `kustomize.images` and
//! `helm.parameters`, merged as Image Updater merges them, edited in place.
//!
//! Kustomize images: an existing entry for the same image (name and registry, implicit and
//! explicit `docker.io` alike) is replaced when its tag differs or it has none; other
//! entries keep their order; new images are appended. Helm parameters: an existing
//! parameter of the same name gets the new `value` and `forcestring`; new ones are
//! inserted in name order when the list is sorted (Image Updater sorts), else appended.
//! A file with no mapping at the top (say, `random content`) is regenerated, as Image
//! Updater does; other content of the file (the other section, comments) is kept.

use portcullis_image::aiu::ContainerImage;

use super::error::EditError;
use super::kustomize_image::{same_image, same_tag};
use super::yaml::{Document, Editor, Entry, Kind, NewValue, Node, Owner, Splice};

/// One Helm parameter of an override file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmParameter {
    /// The parameter name, e.g. `image.tag`.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Whether Helm must take the value as a string (`--set-string`).
    pub force_string: bool,
}

fn regenerate(existing: Option<&str>) -> Result<bool, EditError> {
    let Some(text) = existing else {
        return Ok(true);
    };
    if text.trim().is_empty() {
        return Ok(true);
    }
    let doc = Document::parse(text)?;
    if doc.more_documents {
        return Err(EditError::MultipleDocuments);
    }
    match doc.root.kind {
        Kind::Map { .. } | Kind::Null => Ok(false),
        // A flow-style or JSON mapping with entries: regenerating would drop the other pins
        // it holds, and editing it in place is beyond the block-YAML editor.
        Kind::Flow {
            map: true,
            empty: false,
        } => Err(EditError::UnexpectedValue {
            key: "(the top level)".to_owned(),
            line: 1,
            expected: "a block YAML mapping (this file is flow-style or JSON: rewrite it in \
                       block style, or delete it to have it written anew)",
        }),
        _ => Ok(true),
    }
}

/// Merges Kustomize image strings (`[alias=]image[:tag][@digest]`) into the
/// `kustomize.images` list of an override file (`None`: no file yet).
pub fn merge_kustomize_images(
    existing: Option<&str>,
    images: &[String],
) -> Result<String, EditError> {
    if regenerate(existing)? {
        let list = images.iter().map(|i| NewValue::Scalar(i.clone())).collect();
        return fresh("kustomize", "images", NewValue::Seq(list));
    }
    let mut ed = Editor::new(existing.unwrap_or_default());
    for image in images {
        let new = ContainerImage::parse(image);
        let splices = {
            let doc = ed.doc()?;
            let section = section(&doc, "kustomize")?;
            match section {
                None => doc.insert_entry(
                    Owner::Root,
                    "kustomize",
                    &NewValue::Map(vec![(
                        "images".into(),
                        NewValue::Seq(vec![NewValue::Scalar(image.clone())]),
                    )]),
                )?,
                Some(k) if k.value.is_empty_value() => doc.insert_entry(
                    Owner::Entry(k),
                    "images",
                    &NewValue::Seq(vec![NewValue::Scalar(image.clone())]),
                )?,
                Some(k) => match k.value.get("images") {
                    None => doc.insert_entry(
                        Owner::Entry(k),
                        "images",
                        &NewValue::Seq(vec![NewValue::Scalar(image.clone())]),
                    )?,
                    Some(list) if list.value.is_empty_value() => {
                        doc.append_item(Owner::Entry(list), &NewValue::Scalar(image.clone()))?
                    }
                    Some(list) => {
                        let items = list.value.items().ok_or_else(|| {
                            unexpected(&doc, "kustomize.images", &list.value, "a list")
                        })?;
                        let mut splices = None;
                        for item in items {
                            let value = item.scalar().ok_or_else(|| {
                                unexpected(
                                    &doc,
                                    "kustomize.images",
                                    item,
                                    "a list of image strings",
                                )
                            })?;
                            let old = ContainerImage::parse(value);
                            if same_image(&new, &old) {
                                let replace = match (&old.tag, &new.tag) {
                                    (None, _) => true,
                                    (Some(o), Some(n)) => !same_tag(o, n),
                                    (Some(_), None) => false,
                                };
                                splices = Some(if replace && value != image {
                                    doc.set_scalar(item, image)?
                                } else {
                                    Vec::new()
                                });
                                break;
                            }
                        }
                        match splices {
                            Some(s) => s,
                            None => doc.append_item(
                                Owner::Entry(list),
                                &NewValue::Scalar(image.clone()),
                            )?,
                        }
                    }
                },
            }
        };
        ed.apply(splices)?;
    }
    Ok(ed.into_text())
}

/// Merges Helm parameters into the `helm.parameters` list of an override file (`None`: no
/// file yet). Pass only the parameters write-back manages: unrelated live parameters of
/// the Application must not be committed.
pub fn merge_helm_parameters(
    existing: Option<&str>,
    params: &[HelmParameter],
) -> Result<String, EditError> {
    if regenerate(existing)? {
        let mut sorted: Vec<&HelmParameter> = params.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let list = sorted.into_iter().map(param_value).collect();
        return fresh("helm", "parameters", NewValue::Seq(list));
    }
    let mut ed = Editor::new(existing.unwrap_or_default());
    for p in params {
        // Up to three edits per parameter (value, forcestring, or the whole item); each
        // is computed on the text the previous one produced.
        for _ in 0..3 {
            let splices = {
                let doc = ed.doc()?;
                helm_parameter_step(&doc, p)?
            };
            match splices {
                Some(s) => ed.apply(s)?,
                None => break,
            }
        }
    }
    Ok(ed.into_text())
}

/// The next edit that brings parameter `p` into the file, or `None` when it is there.
fn helm_parameter_step(
    doc: &Document<'_>,
    p: &HelmParameter,
) -> Result<Option<Vec<Splice>>, EditError> {
    let item = param_value(p);
    let Some(helm) = section(doc, "helm")? else {
        return Ok(Some(doc.insert_entry(
            Owner::Root,
            "helm",
            &NewValue::Map(vec![("parameters".into(), NewValue::Seq(vec![item]))]),
        )?));
    };
    if helm.value.is_empty_value() {
        return Ok(Some(doc.insert_entry(
            Owner::Entry(helm),
            "parameters",
            &NewValue::Seq(vec![item]),
        )?));
    }
    let Some(list) = helm.value.get("parameters") else {
        return Ok(Some(doc.insert_entry(
            Owner::Entry(helm),
            "parameters",
            &NewValue::Seq(vec![item]),
        )?));
    };
    if list.value.is_empty_value() {
        return Ok(Some(doc.append_item(Owner::Entry(list), &item)?));
    }
    let items = list
        .value
        .items()
        .ok_or_else(|| unexpected(doc, "helm.parameters", &list.value, "a list"))?;
    let mut names = Vec::new();
    for it in items {
        let name = it
            .get("name")
            .and_then(|e| e.value.scalar())
            .ok_or_else(|| {
                unexpected(
                    doc,
                    "helm.parameters",
                    it,
                    "a list of {name, value, forcestring}",
                )
            })?;
        if name == p.name {
            return existing_param_step(doc, it, p);
        }
        names.push(name);
    }
    let sorted = names.windows(2).all(|w| w[0] <= w[1]);
    let at = if sorted {
        names
            .iter()
            .position(|n| *n > p.name.as_str())
            .unwrap_or(names.len())
    } else {
        names.len()
    };
    Ok(Some(doc.insert_item_before(&list.value, at, &item)?))
}

fn existing_param_step(
    doc: &Document<'_>,
    it: &Node,
    p: &HelmParameter,
) -> Result<Option<Vec<Splice>>, EditError> {
    match it.get("value") {
        Some(v) if v.value.scalar() != Some(p.value.as_str()) => {
            if matches!(v.value.kind, Kind::Null | Kind::Scalar { .. }) {
                return Ok(Some(doc.set_scalar(&v.value, &p.value)?));
            }
            return Err(unexpected(
                doc,
                "helm.parameters[].value",
                &v.value,
                "a string",
            ));
        }
        Some(_) => {}
        None => {
            return Ok(Some(doc.insert_entry(
                Owner::Node(it),
                "value",
                &NewValue::Scalar(p.value.clone()),
            )?));
        }
    }
    let want = if p.force_string { "true" } else { "false" };
    match it.get("forcestring") {
        Some(f) if f.value.scalar() != Some(want) => match f.value.kind {
            Kind::Scalar { .. } => Ok(Some(doc.set_literal(&f.value, want)?)),
            _ => Err(unexpected(
                doc,
                "helm.parameters[].forcestring",
                &f.value,
                "true or false",
            )),
        },
        Some(_) => Ok(None),
        None if p.force_string => Ok(Some(doc.insert_entry(
            Owner::Node(it),
            "forcestring",
            &NewValue::Literal("true"),
        )?)),
        None => Ok(None),
    }
}

fn param_value(p: &HelmParameter) -> NewValue {
    NewValue::Map(vec![
        ("name".into(), NewValue::Scalar(p.name.clone())),
        ("value".into(), NewValue::Scalar(p.value.clone())),
        (
            "forcestring".into(),
            NewValue::Literal(if p.force_string { "true" } else { "false" }),
        ),
    ])
}

/// The top-level entry `key`, checked to be a mapping (or empty) when present.
fn section<'d>(doc: &'d Document<'_>, key: &str) -> Result<Option<&'d Entry>, EditError> {
    let Some(e) = doc.root.get(key) else {
        return Ok(None);
    };
    if e.value.is_empty_value() || e.value.entries().is_some() {
        Ok(Some(e))
    } else {
        Err(unexpected(doc, key, &e.value, "a mapping"))
    }
}

fn unexpected(doc: &Document<'_>, key: &str, node: &Node, expected: &'static str) -> EditError {
    EditError::UnexpectedValue {
        key: key.to_owned(),
        line: doc.line_at(node.start) + 1,
        expected,
    }
}

/// A new override file with one section: `section:\n  key:\n  - ...` as Image Updater
/// writes it (two-space indent, sequences at their key's column).
fn fresh(section: &str, key: &str, value: NewValue) -> Result<String, EditError> {
    let mut ed = Editor::new("");
    let splices = {
        let doc = ed.doc()?;
        doc.insert_entry(
            Owner::Root,
            section,
            &NewValue::Map(vec![(key.to_owned(), value)]),
        )?
    };
    ed.apply(splices)?;
    Ok(ed.into_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_fresh_file_like_image_updater() {
        let out = merge_kustomize_images(None, &["foo".into(), "bar".into()]).unwrap();
        assert_eq!(out, "kustomize:\n  images:\n  - foo\n  - bar\n");
        let out = merge_helm_parameters(None, &[]).unwrap();
        assert_eq!(out, "helm:\n  parameters: []\n");
    }

    #[test]
    fn updates_a_parameter_in_place_and_inserts_in_order() {
        let text = "# managed\nhelm:\n  parameters:\n  - name: image.name\n    value: nginx\n    forcestring: true\n  - name: replicas\n    value: \"2\"\n    forcestring: false\n";
        let out = merge_helm_parameters(
            Some(text),
            &[HelmParameter {
                name: "image.tag".into(),
                value: "1.2@sha256:ab".into(),
                force_string: true,
            }],
        )
        .unwrap();
        assert_eq!(
            out,
            "# managed\nhelm:\n  parameters:\n  - name: image.name\n    value: nginx\n    forcestring: true\n  - name: image.tag\n    value: 1.2@sha256:ab\n    forcestring: true\n  - name: replicas\n    value: \"2\"\n    forcestring: false\n"
        );
    }
}
