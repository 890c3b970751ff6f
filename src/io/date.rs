//! Calendar dates in CSV fields: the day a customer was won (`columns.date`), which orders a
//! retrain's holdout and weighs customers by recency. ISO dates only (`2026-11-30`, also with a
//! time after it, or `/` between the parts): a CRM's `11/03/2026` means March to some and
//! November to others, and guessing would silently reorder a history.

/// Days since 1970-01-01 of an ISO date (`YYYY-MM-DD`, `YYYY/MM/DD`, or either followed by `T`
/// or a space and a time, which is ignored), or `None` when the text is not one.
pub fn parse_days(text: &str) -> Option<i64> {
    let (y, m, d) = shape(text)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Why `text`, written as an ISO date, is no day of the calendar: `"2026-02-30" is not a day:
/// February 2026 has 28 days`, `"2026-13-01" is not a day: month 13 does not exist`. `None`
/// when it is a day, or is not written as a date at all (then "expected a date as YYYY-MM-DD"
/// says what is wrong). A date that does not exist was typed or computed wrong, not written in
/// another convention, and saying it was not YYYY-MM-DD sent people looking at the format.
pub fn not_a_day(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d) = shape(text)?;
    let why = if !(1..=12).contains(&m) {
        format!("month {m:02} does not exist")
    } else if d < 1 {
        "day 00 does not exist".to_string()
    } else if d > days_in_month(y, m) {
        let month = MONTHS[(m - 1) as usize];
        format!("{month} {y:04} has {} days", days_in_month(y, m))
    } else {
        return None;
    };
    Some(format!(
        "{} is not a day: {why}",
        crate::io::table::shown(text.trim())
    ))
}

/// Year, month and day of text written as an ISO date, whatever their values: four digits,
/// `-` or `/`, two, the same separator, two, then nothing or `T` or a space and anything.
fn shape(text: &str) -> Option<(i64, i64, i64)> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 10 || (b.len() > 10 && !matches!(b[10], b'T' | b't' | b' ')) {
        return None;
    }
    let sep = b[4];
    if !matches!(sep, b'-' | b'/') || b[7] != sep {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = &t[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    Some((num(0..4)?, num(5..7)?, num(8..10)?))
}

/// `YYYY-MM-DD` of a day number from [`parse_days`].
pub fn format_days(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Now, or `SOURCE_DATE_EPOCH` when set, so a run on the same data can be byte-identical.
pub fn now() -> std::time::SystemTime {
    source_date_epoch()
        .ok()
        .flatten()
        .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
        .unwrap_or_else(std::time::SystemTime::now)
}

/// The environment variable that fixes "now" (reproducible-builds.org's convention).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The last second a timestamp is written for: 9999-12-31T23:59:59Z. RFC 3339 has four-digit
/// years, and writing a later one panicked.
pub const LAST_EPOCH_SECOND: u64 = 253_402_300_799;

/// `SOURCE_DATE_EPOCH` as set: `None` when unset or empty, whole seconds since 1970 up to
/// [`LAST_EPOCH_SECOND`], or what is wrong with it. Checked before any command runs
/// (`crate::run`): the convention asks a malformed value to fail the run rather than be
/// replaced by the clock, which would make a run meant to be reproducible quietly not so.
pub fn source_date_epoch() -> Result<Option<u64>, String> {
    let Some(value) = std::env::var_os(SOURCE_DATE_EPOCH) else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(s) if s <= LAST_EPOCH_SECOND => Ok(Some(s)),
        _ => Err(format!(
            "{SOURCE_DATE_EPOCH}={text:?}: expected whole seconds since 1970-01-01T00:00:00Z, at most {LAST_EPOCH_SECOND} (9999-12-31T23:59:59Z)"
        )),
    }
}

/// [`now`] as an RFC 3339 timestamp to the second: `2026-11-30T04:12:30Z`.
pub fn timestamp() -> String {
    humantime::format_rfc3339_seconds(now()).to_string()
}

/// The day number of an RFC 3339 timestamp (as [`timestamp`] writes), if it is one.
pub fn days_of_timestamp(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some((secs / 86_400) as i64)
}

/// Today's day number, from [`now`].
pub fn today() -> i64 {
    let secs = now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil and civil_from_days (public domain): exact for every
// proleptic Gregorian date, no calendar crate needed for two conversions.
/// Days since 1970-01-01 of year `y`, month `m` (1-12), day `d` (a valid date).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month (1-12) and day of a day number: the inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(parse_days("1970-01-01"), Some(0));
        assert_eq!(parse_days("2000-03-01"), Some(11_017));
        assert_eq!(parse_days("2026-11-30"), Some(20_787));
        assert_eq!(parse_days("2026/11/30"), Some(20_787));
        assert_eq!(parse_days(" 2026-11-30T13:45:00Z "), Some(20_787));
        assert_eq!(parse_days("2026-11-30 08:00"), Some(20_787));
        assert_eq!(parse_days("1969-12-31"), Some(-1));
        assert_eq!(days_of_timestamp("2026-11-30T04:12:30Z"), Some(20_787));
    }

    #[test]
    fn refuses_what_is_not_an_iso_date() {
        for bad in [
            "",
            "2026-13-01",
            "2026-02-29",
            "2026-04-31",
            "30/11/2026",
            "2026-1-5",
            "2026-11-30x",
            "2026-11/30",
            "２０２６-11-30",
            "2026-11-3a",
        ] {
            assert_eq!(parse_days(bad), None, "{bad}");
        }
        assert_eq!(parse_days("2024-02-29"), Some(19_782));
    }

    #[test]
    fn a_date_written_right_that_does_not_exist_is_named_so() {
        let said = |t: &str| not_a_day(t).unwrap_or_default();
        assert_eq!(
            said("2026-02-30"),
            "\"2026-02-30\" is not a day: February 2026 has 28 days"
        );
        assert_eq!(
            said("2026-02-29"),
            "\"2026-02-29\" is not a day: February 2026 has 28 days"
        );
        assert_eq!(
            said("2100-02-29"),
            "\"2100-02-29\" is not a day: February 2100 has 28 days"
        );
        assert_eq!(
            said(" 2026/04/31T10:00 "),
            "\"2026/04/31T10:00\" is not a day: April 2026 has 30 days"
        );
        assert_eq!(
            said("2026-13-01"),
            "\"2026-13-01\" is not a day: month 13 does not exist"
        );
        assert_eq!(
            said("2026-00-10"),
            "\"2026-00-10\" is not a day: month 00 does not exist"
        );
        assert_eq!(
            said("2026-01-00"),
            "\"2026-01-00\" is not a day: day 00 does not exist"
        );
        // Real days, and text that is not written as a date, are not for this message.
        for other in [
            "2024-02-29",
            "2026-12-31",
            "30/11/2026",
            "2026-1-5",
            "",
            "2026-11-3a",
        ] {
            assert_eq!(not_a_day(other), None, "{other}");
        }
        // Every text of the right shape is either a day or said not to be one.
        for m in 0..=13 {
            for d in 0..=32 {
                let t = format!("2024-{m:02}-{d:02}");
                assert_ne!(parse_days(&t).is_some(), not_a_day(&t).is_some(), "{t}");
            }
        }
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        let start = parse_days("1900-01-01").unwrap();
        for day in start..start + 146_097 {
            assert_eq!(parse_days(&format_days(day)), Some(day));
        }
    }
}
