//! Argo CD Image Updater's own test facts for strategies, sorting, tag filters, strategy
//! properties and tag equality, run generically from `image-updater-compat.json` (in
//! `$PORTCULLIS_TESTDATA`, default `shared/testdata` beside the checkout).
//!
//! Inputs follow the file's `schema.conventions`: tags are names or objects
//! `{name, created_unix?, digest?}`, `tag: null` means no candidate. A missing file fails
//! (naming the upstream source); so does a category the shipped sample carries with no case
//! left, and so does any input or expectation field this harness does not understand. The
//! sample lacks `tag_selection`, `tag_sort` and `tag_filter`; those run whenever a copy of
//! the file carries them.
//!
//! Deliberate differences (see docs/strategies.md) are asserted as such, not skipped: an
//! unknown strategy name is an error here where Image Updater falls back to semver.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::BTreeMap;

use portcullis_policy::{
    AllowTags, IgnorePattern, SelectionOptions, Strategy, TagInfo, UpdateSpec, sort_tags,
    tags_equal,
};
use portcullis_testkit::{case_id, compat_cases, compat_cases_if_present};
use serde_json::{Map, Value};

/// Runs `check` on every case, gathering failures so one run reports all of them.
fn run_all(category: &str, cases: &[Value], check: impl Fn(&Value) -> Result<(), String>) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(c).err().map(|e| format!("{}: {e}", case_id(c))))
        .collect();
    eprintln!("{category}: {} case(s) run", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} {category} case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Fails on fields this harness does not know: a silently ignored field could be the point
/// of the case.
fn only_keys(what: &str, obj: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    let unknown: Vec<&String> = obj
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what} field(s) {unknown:?} not understood — extend this test"
        ))
    }
}

fn object<'a>(what: &str, v: &'a Value) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} must be an object, got {v}"))
}

/// The first of `keys` present (and not null) in `obj`.
fn first<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| obj.get(*k).filter(|v| !v.is_null()))
}

fn text(v: &Value) -> Result<String, String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("expected a string, got {v}"))
}

fn strings(v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a.iter().map(text).collect(),
        Some(other) => Err(format!("expected a string or a list, got {other}")),
    }
}

/// Tags per the conventions, plus each tag's digest as written (upstream fixtures use
/// digests such as `latest@sha:abcdefg` that are not valid OCI digests).
fn tag_list(v: &Value) -> Result<(Vec<TagInfo>, BTreeMap<String, String>), String> {
    let list = v
        .as_array()
        .ok_or_else(|| format!("tags must be a list, got {v}"))?;
    let mut tags = Vec::new();
    let mut raw_digests = BTreeMap::new();
    for t in list {
        let tag = match t {
            // Upstream builds every tag with a date (`time.Unix(0, 0)` when the test does not
            // care), so a bare name is a tag created at the epoch.
            Value::String(name) => {
                TagInfo::named(name.clone()).with_created(jiff::Timestamp::UNIX_EPOCH)
            }
            Value::Object(o) => {
                only_keys("tag", o, &["name", "created_unix", "digest"])?;
                let name = text(o.get("name").ok_or("tag object without a name")?)?;
                let seconds = match o.get("created_unix") {
                    None | Some(Value::Null) => 0,
                    Some(s) => s
                        .as_i64()
                        .ok_or_else(|| format!("created_unix {s} is not an integer"))?,
                };
                let mut tag = TagInfo::named(name.clone()).with_created(
                    jiff::Timestamp::from_second(seconds).map_err(|e| e.to_string())?,
                );
                if let Some(d) = o
                    .get("digest")
                    .and_then(Value::as_str)
                    .filter(|d| !d.is_empty())
                {
                    raw_digests.insert(name, d.to_owned());
                    tag.digest = d.parse().ok();
                }
                tag
            }
            other => return Err(format!("tag entry {other} not understood")),
        };
        tags.push(tag);
    }
    Ok((tags, raw_digests))
}

#[test]
fn tag_selection_cases() {
    let cases = compat_cases_if_present(&["tag_selection"]);
    run_all("tag_selection", &cases, |case| {
        let input = object("input", &case["input"])?;
        only_keys(
            "input",
            input,
            &[
                "tags",
                "strategy",
                "constraint",
                "allow_tags",
                "allowTags",
                "match",
                "ignore_tags",
                "ignoreTags",
                "ignore",
                "image",
                "current",
                "current_tag",
            ],
        )?;
        let expected = object("expected", &case["expected"])?;
        only_keys(
            "expected",
            expected,
            &["tag", "error", "digest", "tag_digest"],
        )?;
        let (tags, raw_digests) = match input.get("tags") {
            None | Some(Value::Null) => (Vec::new(), BTreeMap::new()),
            Some(t) => tag_list(t)?,
        };
        let name = first(input, &["strategy"]).map(text).transpose()?;
        let want_error = matches!(
            expected.get("error"),
            Some(Value::Bool(true) | Value::String(_))
        );
        let mut spec = match name.as_deref() {
            None => UpdateSpec::new(Strategy::Semver),
            Some(n) => match UpdateSpec::named(n) {
                Ok(spec) => spec,
                // Deliberate difference: Image Updater runs an unknown name as semver.
                Err(_) if want_error => return Ok(()),
                Err(e) => {
                    return assert_refused_unknown_strategy(n, &e.to_string());
                }
            },
        };
        spec.constraint = first(input, &["constraint"]).map(text).transpose()?;
        if let Some(allow) = first(input, &["allow_tags", "allowTags", "match"]) {
            spec.allow_tags = Some(AllowTags::parse(&text(allow)?));
        }
        spec.ignore_tags = strings(first(input, &["ignore_tags", "ignoreTags", "ignore"]))?;
        // The deployed tag (`image`, `current`) does not take part: Image Updater stopped
        // validating it against semver (#1473) and otherwise only logs it.
        let options = SelectionOptions::new(spec);
        if want_error {
            return match options {
                Err(_) => Ok(()),
                Ok(o) => Err(format!(
                    "expected an error, got a selection of {:?}",
                    o.select(&tags).chosen.map(|t| t.name)
                )),
            };
        }
        let selection = options
            .map_err(|e| format!("unexpected error: {e}"))?
            .select(&tags);
        let got = selection.chosen.as_ref().map(|t| t.name.clone());
        if let Some(want) = expected.get("tag") {
            let want = want.as_str().map(str::to_owned);
            if got != want {
                return Err(format!(
                    "chose {got:?}, expected {want:?}\n{}",
                    selection.explain()
                ));
            }
        }
        if let Some(want) = first(expected, &["digest", "tag_digest"]) {
            let got_digest = got.as_ref().and_then(|n| raw_digests.get(n));
            if got_digest.map(String::as_str) != want.as_str() {
                return Err(format!("chose digest {got_digest:?}, expected {want}"));
            }
        }
        Ok(())
    });
}

fn assert_refused_unknown_strategy(name: &str, message: &str) -> Result<(), String> {
    if message.starts_with(&format!("unknown update strategy '{name}'")) {
        eprintln!("  deliberate difference: strategy '{name}' is refused, not run as semver");
        Ok(())
    } else {
        Err(format!(
            "strategy '{name}' refused with an unexpected message: {message}"
        ))
    }
}

/// Image Updater's sort modes by the names a case may use.
fn sort_mode(name: &str) -> Result<Strategy, String> {
    match name.to_ascii_lowercase().as_str() {
        "date" | "by_date" | "bydate" | "sortbydate" | "created" => Ok(Strategy::NewestBuild),
        "name" | "alphabetically" | "sortalphabetically" | "lexical" => Ok(Strategy::Alphabetical),
        "sortbysemver" | "version" => Ok(Strategy::Semver),
        other => other.parse().map_err(|e| format!("sort mode: {e}")),
    }
}

#[test]
fn tag_sort_cases() {
    let cases = compat_cases_if_present(&["tag_sort"]);
    run_all("tag_sort", &cases, |case| {
        let input = object("input", &case["input"])?;
        only_keys(
            "input",
            input,
            &[
                "tags", "sort", "sort_by", "by", "mode", "strategy", "order_by",
            ],
        )?;
        let expected = object("expected", &case["expected"])?;
        only_keys(
            "expected",
            expected,
            &["order", "sorted", "tags", "names", "first", "last"],
        )?;
        let (tags, _) = tag_list(input.get("tags").ok_or("no tags in input")?)?;
        let mode = first(
            input,
            &["sort", "sort_by", "by", "mode", "strategy", "order_by"],
        )
        .ok_or("no sort mode in input")?;
        let strategy = sort_mode(&text(mode)?)?;
        let got: Vec<String> = sort_tags(strategy, &tags)
            .iter()
            .map(|t| t.name.clone())
            .collect();
        if let Some(want) = first(expected, &["order", "sorted", "tags", "names"]) {
            let want = strings(Some(want))?;
            if got != want {
                return Err(format!("sorted {got:?}, expected {want:?}"));
            }
        }
        for (key, got) in [("first", got.first()), ("last", got.last())] {
            if let Some(want) = expected.get(key)
                && got.map(String::as_str) != want.as_str()
            {
                return Err(format!("{key} is {got:?}, expected {want}"));
            }
        }
        Ok(())
    });
}

#[test]
fn tag_filter_cases() {
    let cases = compat_cases_if_present(&["tag_filter"]);
    run_all("tag_filter", &cases, |case| {
        let input = object("input", &case["input"])?;
        const ALLOW: &[&str] = &["allow_tags", "allowTags", "match", "allow"];
        const IGNORE: &[&str] = &[
            "ignore_tags",
            "ignoreTags",
            "ignore",
            "ignore_list",
            "ignoreList",
        ];
        let mut known = vec!["tag", "tags", "name"];
        known.extend_from_slice(ALLOW);
        known.extend_from_slice(IGNORE);
        only_keys("input", input, &known)?;
        let expected = object("expected", &case["expected"])?;
        only_keys(
            "expected",
            expected,
            &[
                "matches",
                "match",
                "matched",
                "allowed",
                "kept",
                "passes",
                "ignored",
                "function",
                "match_func",
                "matchfunc",
                "func",
                "pattern",
            ],
        )?;
        let single = first(input, &["tag", "name"]).is_some();
        let tags = strings(first(input, &["tag", "name", "tags"]))?;
        let allow = first(input, ALLOW)
            .map(|a| text(a).map(|s| AllowTags::parse(&s)))
            .transpose()?;
        let ignore: Vec<IgnorePattern> = strings(first(input, IGNORE))?
            .iter()
            .map(|p| IgnorePattern::parse(p))
            .collect();
        let allowed: Vec<bool> = tags
            .iter()
            .map(|t| allow.as_ref().is_none_or(|a| a.allows(t)))
            .collect();
        let ignored: Vec<bool> = tags
            .iter()
            .map(|t| ignore.iter().any(|p| p.ignores(t)))
            .collect();
        let kept: Vec<bool> = allowed
            .iter()
            .zip(&ignored)
            .map(|(a, i)| *a && !*i)
            .collect();
        let compare = |key: &str, got: &[bool]| -> Result<(), String> {
            let Some(want) = expected.get(key) else {
                return Ok(());
            };
            let ok = match want {
                Value::Bool(b) if single => got == [*b],
                Value::Array(a) if a.iter().all(Value::is_boolean) => {
                    a.iter().map(Value::as_bool).collect::<Vec<_>>()
                        == got.iter().map(|b| Some(*b)).collect::<Vec<_>>()
                }
                Value::Array(_) => {
                    let names = strings(Some(want))?;
                    let picked: Vec<String> = tags
                        .iter()
                        .zip(got)
                        .filter(|(_, g)| **g)
                        .map(|(t, _)| t.clone())
                        .collect();
                    picked == names
                }
                Value::Object(per_tag) => per_tag
                    .iter()
                    .all(|(t, w)| tags.iter().position(|x| x == t).map(|i| got[i]) == w.as_bool()),
                other => return Err(format!("expected.{key} = {other} not understood")),
            };
            if ok {
                Ok(())
            } else {
                Err(format!("{key}: got {got:?} for {tags:?}, expected {want}"))
            }
        };
        compare("matches", &allowed)?;
        compare("match", &allowed)?;
        compare("matched", &allowed)?;
        compare("allowed", &allowed)?;
        compare("kept", &kept)?;
        compare("passes", &kept)?;
        compare("ignored", &ignored)?;
        if let Some(want) = first(expected, &["function", "match_func", "matchfunc", "func"]) {
            let got = allow.as_ref().map_or("any", AllowTags::function);
            let want = text(want)?.to_ascii_lowercase();
            let want = want.trim_start_matches("matchfunc");
            if got != want {
                return Err(format!("match function {got}, expected {want}"));
            }
        }
        if let Some(want) = expected.get("pattern") {
            // Image Updater's matcher argument: "" for an empty value, nil for any/none, the
            // expression for regexp.
            let got = allow.as_ref().map(|a| match a.function() {
                _ if a.as_str().is_empty() => Some(String::new()),
                "regexp" => a.as_str().split_once(':').map(|(_, re)| re.to_owned()),
                _ => None,
            });
            let got = got.flatten();
            if got.as_deref() != want.as_str() {
                return Err(format!("pattern {got:?}, expected {want}"));
            }
        }
        Ok(())
    });
}

#[test]
fn strategy_property_cases() {
    let cases = compat_cases(&["strategy_properties"]);
    run_all("strategy_properties", &cases, |case| {
        let input = object("input", &case["input"])?;
        only_keys("input", input, &["strategies", "strategy", "name", "names"])?;
        let expected = object("expected", &case["expected"])?;
        let entries: Vec<Value> = match first(input, &["strategies", "names", "strategy", "name"]) {
            Some(Value::Array(a)) => a.clone(),
            Some(v) => vec![v.clone()],
            None => return Err("no strategies in input".to_owned()),
        };
        let single = !matches!(
            first(input, &["strategies", "names"]),
            Some(Value::Array(_))
        );
        // Image Updater numbers its strategies 0..=3 in `Strategy::ALL` order; any other
        // number is its "unknown" value with default properties.
        let parsed: Vec<Result<Option<Strategy>, String>> = entries
            .iter()
            .map(|e| match e {
                Value::String(s) => Strategy::parse_name(s)
                    .map(|p| Some(p.strategy))
                    .map_err(|e| e.to_string()),
                Value::Number(n) => Ok(n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| Strategy::ALL.get(i).copied())),
                other => Err(format!("strategy entry {other} not understood")),
            })
            .collect();
        for (field, want) in expected {
            let mut got = Vec::new();
            for (entry, p) in entries.iter().zip(&parsed) {
                let s = match p {
                    Ok(s) => *s,
                    Err(msg) if field == "strategy" || field == "parsed" => {
                        // Deliberate difference: an unknown name is refused, not semver.
                        assert_refused_unknown_strategy(entry.as_str().unwrap_or_default(), msg)?;
                        got.push(want_at(want, got.len(), single));
                        continue;
                    }
                    Err(msg) => return Err(msg.clone()),
                };
                let value = match field.as_str() {
                    "string" | "strategy" | "parsed" => {
                        Value::from(s.map_or("unknown", Strategy::as_str))
                    }
                    "is_cacheable" => Value::from(s.is_none_or(Strategy::is_cacheable)),
                    "needs_metadata" => Value::from(s.is_some_and(Strategy::needs_metadata)),
                    "needs_version_constraint" => {
                        Value::from(s.is_some_and(Strategy::needs_version_constraint))
                    }
                    "wants_only_constraint_tag" => {
                        Value::from(s.is_some_and(Strategy::wants_only_constraint_tag))
                    }
                    "deprecated" | "warning" => {
                        let name = entry.as_str().unwrap_or_default();
                        let warned = Strategy::parse_name(name).is_ok_and(|p| p.warning.is_some());
                        Value::from(warned)
                    }
                    other => {
                        return Err(format!(
                            "property '{other}' not understood — extend this test"
                        ));
                    }
                };
                got.push(value);
            }
            let got = if single {
                got.into_iter().next().unwrap_or(Value::Null)
            } else {
                Value::Array(got)
            };
            if &got != want {
                return Err(format!("{field}: got {got}, expected {want}"));
            }
        }
        Ok(())
    });
}

fn want_at(want: &Value, i: usize, single: bool) -> Value {
    if single {
        want.clone()
    } else {
        want.get(i).cloned().unwrap_or(Value::Null)
    }
}

#[test]
fn tag_equality_cases() {
    let cases = compat_cases(&["tag_equality"]);
    run_all("tag_equality", &cases, |case| {
        let input = object("input", &case["input"])?;
        only_keys("input", input, &["a", "b", "tag1", "tag2", "left", "right"])?;
        let expected = object("expected", &case["expected"])?;
        only_keys("expected", expected, &["equal", "symmetric"])?;
        let side = |keys: &[&str]| -> Result<(String, String), String> {
            let o = object("tag", first(input, keys).ok_or("missing side")?)?;
            only_keys("tag", o, &["name", "digest"])?;
            Ok((
                text(o.get("name").ok_or("tag without a name")?)?,
                o.get("digest")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ))
        };
        let (an, ad) = side(&["a", "tag1", "left"])?;
        let (bn, bd) = side(&["b", "tag2", "right"])?;
        let want = expected
            .get("equal")
            .and_then(Value::as_bool)
            .ok_or("expected.equal missing")?;
        if tags_equal(&an, Some(&ad), &bn, Some(&bd)) != want {
            return Err(format!(
                "{an}@{ad:?} vs {bn}@{bd:?}: expected equal = {want}"
            ));
        }
        if expected.get("symmetric").and_then(Value::as_bool) == Some(true)
            && tags_equal(&bn, Some(&bd), &an, Some(&ad)) != want
        {
            return Err(format!("swapped: expected equal = {want}"));
        }
        Ok(())
    });
}
