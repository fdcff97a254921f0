//! When an assignment is due: a date, a recurring rule, or continuous.
//!
//! Written in files as:
//! - `2025-12-15`: a single date;
//! - `continuous`: ongoing work with no deadline ("thường xuyên");
//! - `yearly:12-15`: every year on 15 December;
//! - `half-yearly:06-15`: the 15th of the 6th month of each half (15 June, 15 December);
//! - `quarterly:03-20`: the 20th of the 3rd month of each quarter;
//! - `monthly:25`: the 25th of every month.
//!
//! A day past the end of a month falls on its last day (`monthly:31` is 28/29 February,
//! `yearly:02-29` is 28 February outside leap years).

use jiff::civil::Date;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Due {
    On(Date),
    Continuous,
    Yearly { month: u8, day: u8 },
    HalfYearly { month: u8, day: u8 },
    Quarterly { month: u8, day: u8 },
    Monthly { day: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a due date: write a date (2025-12-15), continuous, yearly:MM-DD, half-yearly:MM-DD, quarterly:MM-DD or monthly:DD"
)]
pub struct DueError(pub String);

fn two_digits(s: &str) -> Option<u8> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn month_day(s: &str, max_month: u8) -> Option<(u8, u8)> {
    let (m, d) = s.split_once('-')?;
    let (m, d) = (two_digits(m)?, two_digits(d)?);
    // A day must exist in that month of a leap year.
    let max_day = match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    ((1..=max_month).contains(&m) && (1..=max_day).contains(&d)).then_some((m, d))
}

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    s.parse::<Date>().ok()
}

impl FromStr for Due {
    type Err = DueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DueError(s.to_string());
        if s == "continuous" {
            return Ok(Due::Continuous);
        }
        if let Some(d) = parse_date(s) {
            return Ok(Due::On(d));
        }
        let (rule, arg) = s.split_once(':').ok_or_else(err)?;
        match rule {
            "yearly" => month_day(arg, 12).map(|(month, day)| Due::Yearly { month, day }),
            "half-yearly" => month_day(arg, 6).map(|(month, day)| Due::HalfYearly { month, day }),
            "quarterly" => month_day(arg, 3).map(|(month, day)| Due::Quarterly { month, day }),
            "monthly" => two_digits(arg)
                .filter(|d| (1..=31).contains(d))
                .map(|day| Due::Monthly { day }),
            _ => None,
        }
        .ok_or_else(err)
    }
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Due::On(d) => write!(f, "{d}"),
            Due::Continuous => f.write_str("continuous"),
            Due::Yearly { month, day } => write!(f, "yearly:{month:02}-{day:02}"),
            Due::HalfYearly { month, day } => write!(f, "half-yearly:{month:02}-{day:02}"),
            Due::Quarterly { month, day } => write!(f, "quarterly:{month:02}-{day:02}"),
            Due::Monthly { day } => write!(f, "monthly:{day:02}"),
        }
    }
}

/// The given day of a month, or its last day when the month is shorter.
fn clamped(year: i16, month: i8, day: u8) -> Date {
    let first = Date::new(year, month, 1).expect("month in range");
    let last = first.days_in_month();
    Date::new(year, month, (day as i8).min(last)).expect("clamped day is valid")
}

impl Due {
    /// Every occurrence in `year`, in order (empty for a single date outside it and for continuous).
    pub fn occurrences_in_year(&self, year: i16) -> Vec<Date> {
        match *self {
            Due::On(d) => {
                if d.year() == year {
                    vec![d]
                } else {
                    vec![]
                }
            }
            Due::Continuous => vec![],
            Due::Yearly { month, day } => vec![clamped(year, month as i8, day)],
            Due::HalfYearly { month, day } => (0..2)
                .map(|h| clamped(year, (h * 6 + month) as i8, day))
                .collect(),
            Due::Quarterly { month, day } => (0..4)
                .map(|q| clamped(year, (q * 3 + month) as i8, day))
                .collect(),
            Due::Monthly { day } => (1..=12).map(|m| clamped(year, m, day)).collect(),
        }
    }

    /// The first due date on or after `from`; None for continuous work.
    /// A single date is returned even when it lies before `from` (it is then overdue).
    pub fn next_on_or_after(&self, from: Date) -> Option<Date> {
        match *self {
            Due::On(d) => Some(d),
            Due::Continuous => None,
            _ => (from.year()..=from.year() + 1)
                .flat_map(|y| self.occurrences_in_year(y))
                .find(|d| *d >= from),
        }
    }

    /// The last due date strictly before `today`, if any (on or after `since`).
    pub fn last_before(&self, today: Date, since: Option<Date>) -> Option<Date> {
        let found = match *self {
            Due::On(d) => (d < today).then_some(d),
            Due::Continuous => None,
            _ => (today.year() - 1..=today.year())
                .flat_map(|y| self.occurrences_in_year(y))
                .rfind(|d| *d < today),
        };
        found.filter(|d| since.is_none_or(|s| *d >= s))
    }

    pub fn is_recurring(&self) -> bool {
        !matches!(self, Due::On(_) | Due::Continuous)
    }
}

impl serde::Serialize for Due {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Due {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn round_trips() {
        for s in [
            "2025-12-15",
            "continuous",
            "yearly:12-15",
            "half-yearly:06-15",
            "quarterly:03-20",
            "monthly:25",
        ] {
            assert_eq!(s.parse::<Due>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "2025-13-01",
            "2025-02-30",
            "2025-1-1",
            "yearly:13-01",
            "yearly:02-30",
            "half-yearly:07-01",
            "quarterly:04-01",
            "monthly:32",
            "monthly:0",
            "weekly:1",
            "Continuous",
        ] {
            assert!(s.parse::<Due>().is_err(), "{s}");
        }
    }

    #[test]
    fn month_ends_and_leap_years() {
        let m: Due = "monthly:31".parse().unwrap();
        assert_eq!(m.next_on_or_after(d("2025-02-01")), Some(d("2025-02-28")));
        assert_eq!(m.next_on_or_after(d("2024-02-01")), Some(d("2024-02-29")));
        assert_eq!(m.next_on_or_after(d("2025-04-01")), Some(d("2025-04-30")));
        let y: Due = "yearly:02-29".parse().unwrap();
        assert_eq!(y.next_on_or_after(d("2025-01-01")), Some(d("2025-02-28")));
        assert_eq!(y.next_on_or_after(d("2028-01-01")), Some(d("2028-02-29")));
        let q: Due = "quarterly:03-31".parse().unwrap();
        assert_eq!(q.next_on_or_after(d("2025-04-01")), Some(d("2025-06-30")));
        let h: Due = "half-yearly:06-15".parse().unwrap();
        assert_eq!(h.next_on_or_after(d("2025-06-16")), Some(d("2025-12-15")));
        assert_eq!(h.next_on_or_after(d("2025-12-16")), Some(d("2026-06-15")));
        assert_eq!(y.last_before(d("2025-03-01"), None), Some(d("2025-02-28")));
    }
}
