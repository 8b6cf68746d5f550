//! Selection over 10,000 tags: semver constraint plus a regexp allow filter (goal < 5 ms).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis_policy::{SelectionOptions, Strategy, TagInfo};

fn tags() -> Vec<TagInfo> {
    let mut tags = Vec::with_capacity(10_000);
    for i in 0..10_000u32 {
        let name = match i % 10 {
            0 => format!("sha-{i:08x}"),
            1 => format!("{}.{}.{}-rc.{}", i / 1000, (i / 10) % 100, i % 7, i % 3),
            2 => format!("v{}.{}.{}", i / 1000, (i / 10) % 100, i % 10),
            _ => format!("{}.{}.{}", i / 1000, (i / 10) % 100, i % 10),
        };
        tags.push(TagInfo::named(name));
    }
    tags
}

fn bench(c: &mut Criterion) {
    let tags = tags();
    let options = SelectionOptions::new(
        Strategy::Semver,
        Some(">=2.0.0, <8"),
        Some(r"regexp:^v?[0-9]+\.[0-9]+\.[0-9]+$"),
        &["*-debug".to_owned()],
    )
    .expect("valid options");
    c.bench_function("select semver+regexp over 10k tags", |b| {
        b.iter(|| options.select(None, black_box(&tags)).expect("selects"));
    });
    let newest = SelectionOptions::new(Strategy::Alphabetical, None, None, &[]).expect("valid");
    c.bench_function("select alphabetical over 10k tags", |b| {
        b.iter(|| newest.select(None, black_box(&tags)).expect("selects"));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
