//! Working days in China Standard Time, with public holidays and make-up working days.
//!
//! Rule for day-based deadlines: the day on which the period starts does not count
//! (as with periods in Chinese administrative practice); the period ends at 24:00
//! CST of its last day, i.e. at 00:00 CST of the day after. A deadline of one
//! working day set on Friday afternoon therefore ends at the end of the next
//! Monday (or of the next working day when Monday is a holiday). Calendar days are
//! counted the same way, but every day counts. Hours are exact.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};
use serde::Deserialize;

use super::definition::DurationUnit;

/// China Standard Time, UTC+8 (no daylight saving).
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The contents of `holidays.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HolidayFile {
    pub holidays: Vec<HolidaySpan>,
    /// Weekend days that are working days (调休上班).
    pub workdays: Vec<NamedDay>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HolidaySpan {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NamedDay {
    pub name: String,
    pub date: NaiveDate,
}

/// Which days are working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Builds the calendar, refusing spans that run backwards, make-up days that are
    /// not at a weekend, and days that are both.
    pub(super) fn from_file(file: HolidayFile) -> Result<Calendar, Vec<String>> {
        let mut problems = Vec::new();
        let mut cal = Calendar::default();
        for span in &file.holidays {
            if span.to < span.from {
                problems.push(format!(
                    "holiday `{}`: `to` {} is before `from` {}",
                    span.name, span.to, span.from
                ));
            }
            let mut d = span.from;
            while d <= span.to {
                cal.holidays.insert(d);
                d = d.succ_opt().expect("date in range");
            }
        }
        for day in &file.workdays {
            if !is_weekend(day.date) {
                problems.push(format!(
                    "make-up working day `{}` {} is not a Saturday or Sunday",
                    day.name, day.date
                ));
            }
            if cal.holidays.contains(&day.date) {
                problems.push(format!(
                    "make-up working day `{}` {} is also a holiday",
                    day.name, day.date
                ));
            }
            cal.workdays.insert(day.date);
        }
        if problems.is_empty() {
            Ok(cal)
        } else {
            Err(problems)
        }
    }

    /// Whether `date` (a CST calendar date) is worked: a make-up working day, or a
    /// weekday that is not a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        !self.holidays.contains(&date) && !is_weekend(date)
    }

    /// The end (24:00 CST) of the `n`-th working day after the CST day of `start`.
    pub fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut day = start.with_timezone(&cst()).date_naive();
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().expect("date in range");
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        end_of_day(day)
    }

    /// `start` plus `n` of `unit`, following the rules in the module documentation.
    pub fn add(&self, start: DateTime<Utc>, n: u32, unit: DurationUnit) -> DateTime<Utc> {
        match unit {
            DurationUnit::Hours => start + Duration::hours(n.into()),
            DurationUnit::CalendarDays => {
                let day = start.with_timezone(&cst()).date_naive();
                end_of_day(day + Duration::days(n.into()))
            }
            DurationUnit::WorkingDays => self.add_working_days(start, n),
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// 24:00 CST of `day`, as an instant.
fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().expect("date in range");
    next.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(cst())
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Calendar {
        let text = include_str!("../../../data/workflows/holidays.yaml");
        Calendar::from_file(serde_yaml_ng::from_str(text).unwrap()).unwrap()
    }

    fn cst_at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        cst()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn spring_festival_2026_with_make_up_days() {
        let cal = shipped();
        // Saturday 14 Feb is a make-up working day, 15–23 Feb are off, Saturday 28 Feb works.
        assert!(cal.is_working_day(date(2026, 2, 14)));
        for d in 15..=23 {
            assert!(!cal.is_working_day(date(2026, 2, d)), "2026-02-{d}");
        }
        assert!(cal.is_working_day(date(2026, 2, 24)));
        assert!(cal.is_working_day(date(2026, 2, 28)));
        // Friday 13 Feb, 15:00: day 1 = Sat 14 (make-up), day 2 = Tue 24.
        let start = cst_at(2026, 2, 13, 15);
        assert_eq!(cal.add_working_days(start, 1), cst_at(2026, 2, 15, 0));
        assert_eq!(cal.add_working_days(start, 2), cst_at(2026, 2, 25, 0));
        // Five working days from Fri 20 Feb (inside the holiday): 24, 25, 26, 27, Sat 28.
        assert_eq!(
            cal.add_working_days(cst_at(2026, 2, 20, 9), 5),
            cst_at(2026, 3, 1, 0)
        );
    }

    #[test]
    fn national_day_2026_with_make_up_days() {
        let cal = shipped();
        assert!(cal.is_working_day(date(2026, 9, 20))); // Sunday, make-up
        assert!(!cal.is_working_day(date(2026, 9, 25))); // 中秋节
        assert!(!cal.is_working_day(date(2026, 10, 1)));
        assert!(!cal.is_working_day(date(2026, 10, 7)));
        assert!(cal.is_working_day(date(2026, 10, 10))); // Saturday, make-up
        // Wed 30 Sep: next working days are Thu 8, Fri 9, Sat 10 Oct.
        let start = cst_at(2026, 9, 30, 10);
        assert_eq!(cal.add_working_days(start, 3), cst_at(2026, 10, 11, 0));
        // Sat 19 Sep: Sun 20 (make-up) is the first working day.
        assert_eq!(
            cal.add_working_days(cst_at(2026, 9, 19, 10), 1),
            cst_at(2026, 9, 21, 0)
        );
    }

    #[test]
    fn day_boundaries_are_in_china_standard_time() {
        let cal = Calendar::default();
        // 2026-03-02 23:30 UTC is already Tuesday 3 March 07:30 in Shanghai.
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 23, 30, 0).unwrap();
        assert_eq!(cal.add_working_days(start, 1), cst_at(2026, 3, 5, 0));
        assert_eq!(
            cal.add(start, 2, DurationUnit::CalendarDays),
            cst_at(2026, 3, 6, 0)
        );
        assert_eq!(
            cal.add(start, 5, DurationUnit::Hours),
            start + Duration::hours(5)
        );
    }

    #[test]
    fn bad_holiday_files_are_refused() {
        let bad = HolidayFile {
            holidays: vec![HolidaySpan {
                name: "x".into(),
                from: date(2026, 5, 5),
                to: date(2026, 5, 1),
            }],
            workdays: vec![NamedDay {
                name: "y".into(),
                date: date(2026, 5, 6),
            }],
        };
        let problems = Calendar::from_file(bad).unwrap_err();
        assert!(problems[0].contains("before"), "{problems:?}");
        assert!(problems[1].contains("2026-05-06"), "{problems:?}");
    }
}
