//! Durations as the policy writes them: whole numbers with a unit, `s`, `m`, `h` or `d`,
//! optionally combined (`1h30m`). No fractions, no bare numbers, no negative values.

use std::time::Duration;

/// Parses `24h`, `90m`, `7d`, `1h30m`, `10s`. `None` for anything else (or an overflow).
pub(crate) fn parse(text: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut saw_unit = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
        saw_unit = true;
    }
    if !digits.is_empty() || !saw_unit {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// The shortest way to write `d` in this syntax (`1h30m`, `7d`, `0s`).
pub(crate) fn format(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_combinations() {
        let table: &[(&str, Option<u64>)] = &[
            ("24h", Some(86_400)),
            ("90m", Some(5_400)),
            ("7d", Some(604_800)),
            ("1h30m", Some(5_400)),
            ("10s", Some(10)),
            ("0s", Some(0)),
            ("10", None),
            ("", None),
            ("1.5h", None),
            ("-1h", None),
            ("1w", None),
            ("h", None),
            ("99999999999999999999d", None),
        ];
        for (text, secs) in table {
            assert_eq!(parse(text).map(|d| d.as_secs()), *secs, "{text:?}");
        }
        assert_eq!(format(Duration::from_secs(5_400)), "1h30m");
        assert_eq!(format(Duration::from_secs(604_800)), "7d");
    }
}
