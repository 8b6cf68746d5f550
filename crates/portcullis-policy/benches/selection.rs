//! Selection over 10,000 tags: a semver constraint plus a regexp allow filter (goal < 5 ms).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use portcullis_policy::{AllowTags, SelectionOptions, Strategy, TagInfo, UpdateSpec};

/// A registry-like listing: releases with and without `v`, release candidates, commit tags.
fn tags() -> Vec<TagInfo> {
    (0..10_000u32)
        .map(|i| {
            let name = match i % 10 {
                0 => format!("sha-{i:08x}"),
                1 => format!("{}.{}.{}-rc.{}", i / 1000, (i / 10) % 100, i % 7, i % 3),
                2 => format!("v{}.{}.{}", i / 1000, (i / 10) % 100, i % 10),
                3 => format!("{}.{}.{}-debug", i / 1000, (i / 10) % 100, i % 10),
                _ => format!("{}.{}.{}", i / 1000, (i / 10) % 100, i % 10),
            };
            TagInfo::named(name).with_created(Timestamp::from_second(i64::from(i)).unwrap())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tags = tags();
    let semver = SelectionOptions::new(
        UpdateSpec::new(Strategy::Semver)
            .with_constraint(">=2.0.0, <8")
            .with_allow_tags(AllowTags::parse(r"regexp:^v?[0-9]+\.[0-9]+\.[0-9]+$"))
            .with_ignore_tags(["*-debug"]),
    )
    .expect("valid options");
    assert_eq!(
        semver.select(&tags).chosen.map(|t| t.name).as_deref(),
        Some("7.99.9")
    );
    c.bench_function("select semver+regexp over 10k tags", |b| {
        b.iter(|| semver.select(black_box(&tags)));
    });
    let newest = SelectionOptions::new(UpdateSpec::new(Strategy::NewestBuild)).expect("valid");
    c.bench_function("select newest-build over 10k tags", |b| {
        b.iter(|| newest.select(black_box(&tags)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
